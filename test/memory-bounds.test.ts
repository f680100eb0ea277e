// Sizes that pass the option bounds but not the machine are refused before anything is allocated, with the
// estimate, what the device has and what to lower (lib/memory-budget.ts); the paper's settings are not.
import test from 'ava';
import * as path from 'path';
import { datasets, DeviceError, models, PoFTrainer, tensor } from '../lib';
import { batchBytes, checkTrainingFits, deviceMemory, modelBytes, parameterCount } from '../lib/memory-budget';

const memory = deviceMemory('cpu')!;
const refusal = /needs about [\d.]+ [GM]B \(an estimate\) but cpu has [\d.]+ GB; /;

test('parameter counts are the built networks\' own', (t) => {
  const specs = [
    models.wideResNet({ depth: 16, widen: 4, numClasses: 10 }),
    models.wideResNet({ depth: 10, widen: 2, numClasses: 3, inputChannels: 1 }),
    models.mlp({ inputDim: 16, hidden: [64, 32], numClasses: 4 }),
  ];
  for (const model of specs) t.is(parameterCount(model), new PoFTrainer({ model }).model.parameterCount, JSON.stringify(model));
});

test('a WRN-994-64 or an MLP with a 2^24-wide layer is refused when the trainer is made, with the estimate', (t) => {
  const wrn = t.throws(() => new PoFTrainer({ model: models.wideResNet({ depth: 994, widen: 64, numClasses: 10 }) }),
    { instanceOf: DeviceError, code: 'ERR_POF_DEVICE' });
  t.regex(wrn!.message, /^PoFTrainer: the wideResNet model with its gradients and optimizer state needs about [\d.]+ GB/);
  t.regex(wrn!.message, refusal);
  t.regex(wrn!.message, /lower depth or widen, or use a device with more memory$/);
  const mlp = t.throws(() => new PoFTrainer({ model: models.mlp({ inputDim: 1 << 14, hidden: [2 ** 24], numClasses: 10 }) }),
    { instanceOf: DeviceError });
  t.regex(mlp!.message, refusal);
  t.regex(mlp!.message, /lower hidden or inputDim/);
});

test('a WRN on huge images is refused before the first epoch: the batch\'s feature maps do not fit', async (t) => {
  // WRN-28-10 on one 20000x20000 image: a per-layer sum of its feature maps.
  const spec = models.wideResNet({ depth: 28, widen: 10, numClasses: 10 });
  const error = t.throws(() => checkTrainingFits('fit', spec, 'cpu', 1, [3, 20000, 20000]), { instanceOf: DeviceError });
  t.regex(error!.message, /^fit: training the wideResNet model on batches of 1 examples of \[3, 20000, 20000\] needs about/);
  t.regex(error!.message, /lower batchSize, the model's width or the image size/);
  // Through fit: two 4096x4096 grey images (32 MB) at batch 2 on a WRN-16-8.
  const side = 4096;
  const images = new Uint8Array(2 * side * side);
  const data = datasets.fromArrays({ images, labels: new Uint8Array([0, 1]), shape: [2, 1, side, side], numClasses: 2, name: 'huge-images' });
  const trainer = new PoFTrainer({ model: models.wideResNet({ depth: 16, widen: 8, numClasses: 2, inputChannels: 1 }) });
  await t.throwsAsync(trainer.fit(data, { epochs: 1, batchSize: 2 }), { instanceOf: DeviceError, message: refusal });
});

test('the paper\'s settings and the defaults pass on a 24 GB machine', (t) => {
  const settings = [
    { model: models.wideResNet({ depth: 28, widen: 10, numClasses: 10 }), batch: 256, example: [3, 32, 32] },
    { model: models.wideResNet({ depth: 28, widen: 10, numClasses: 100 }), batch: 128, example: [3, 32, 32] },
    { model: models.wideResNet({ depth: 16, widen: 8, numClasses: 10 }), batch: 128, example: [3, 32, 32] },
    { model: models.wideResNet({ depth: 28, widen: 10, numClasses: 10, inputChannels: 1 }), batch: 256, example: [1, 28, 28] },
    { model: models.mlp({ inputDim: 16, hidden: [64, 64, 64, 64], numClasses: 4 }), batch: 256, example: [16] },
  ];
  for (const s of settings) {
    const bytes = modelBytes(s.model) + batchBytes(s.model, s.batch, s.example);
    t.true(bytes < 24e9, `${JSON.stringify(s.model)} at batch ${s.batch}: ${(bytes / 1e9).toFixed(1)} GB`);
    t.log(`${s.model.kind} ${JSON.stringify(s.example)} batch ${s.batch}: ${(bytes / 1e9).toFixed(2)} GB`);
  }
});

test('a TorchScript inputShape of [2^30, 2^30] is refused before its probe batch is allocated', (t) => {
  const file = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'clf_100_classes.pt');
  const error = t.throws(() => new PoFTrainer({ model: models.torchScript({ file, inputShape: [2 ** 30, 2 ** 30] }) }),
    { instanceOf: DeviceError, code: 'ERR_POF_DEVICE' });
  t.regex(error!.message, /^the probe batch of 2 examples of inputShape \[1073741824, 1073741824\] needs about [\d.]+ GB but cpu has [\d.]+ GB; check inputShape/);
});

test('a matmul whose result the machine cannot hold is refused before it is computed', async (t) => {
  // A result of 4x the machine's memory from two small vectors (16 GB on a 4 GB machine).
  const n = Math.ceil(2 * Math.sqrt(memory / 4));
  const a = tensor(new Float32Array(n), [n, 1]), b = tensor(new Float32Array(n), [1, n]);
  const error = t.throws(() => a.matmul(b), { instanceOf: DeviceError, code: 'ERR_POF_DEVICE' });
  t.regex(error!.message, new RegExp(`^matmul's result, float32 \\[${n}, ${n}\\], needs about [\\d.]+ GB but cpu has [\\d.]+ GB; multiply smaller blocks`));
  const small = await tensor(new Float32Array([1, 2]), [2, 1]).matmul(tensor(new Float32Array([3, 4]), [1, 2]));
  t.deepEqual(Array.from(small.toArray() as Float32Array), [3, 4, 6, 8]);
});
