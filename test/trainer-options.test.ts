// Option validation of the trainer, its model specs and its data-dependent sizes: each bad option is an
// OptionError (a PoFError with a stable code) naming the option and the value.
import test from 'ava';
import { datasets, DeviceName, models, OptionError, PoFError, PoFTrainer, schedules } from '../lib';
import { native } from '../lib/addon';
import { smallMlp as mlp } from './helpers/small-models';
import { blobs, range, testDevice as device } from './helpers/synthetic';
import { nativeDataset } from './helpers/native-dataset';

// The first test keeps the deeper MLP it was written with (in trainer.test.ts).
const deepMlp = () => models.mlp({ inputDim: 6, hidden: [16, 16, 16, 16], numClasses: 3 });

test('invalid options give errors naming the option and the value', async (t) => {
  const data = blobs(32, 6, 3, 3);
  const trainer = new PoFTrainer({ model: deepMlp(), device });
  await t.throwsAsync(trainer.fit(data, { lr: -0.1 }), { message: /fit: lr must be >= 0, got -0.1/ });
  await t.throwsAsync(trainer.fit(data, { batchSize: 0 }), { message: /fit: batchSize must be >= 1, got 0/ });
  await t.throwsAsync(trainer.fit(data, { epochs: 1, lerningRate: 0.1 } as never), { message: /fit: unknown option 'lerningRate'/ });
  // null is not "left out": a value that went missing must not turn into the default.
  await t.throwsAsync(trainer.evaluate(data, { batchSize: null } as never), { code: 'ERR_POF_OPTION', message: /^evaluate: batchSize is null; give a value, or leave it out \(undefined\) for its default$/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, gamma: null } as never), { code: 'ERR_POF_OPTION', message: /^postTrain: gamma is null/ });
  t.throws(() => models.wideResNet({ depth: 10, numClasses: 3, widen: null } as never), { message: /^models.wideResNet: widen is null/ });
  await t.throwsAsync(trainer.fit(data, { method: 'adam' } as never), { message: /fit: method must be one of 'sgd', 'sam', got 'adam'/ });
  await t.throwsAsync(trainer.postTrain(data, { gamma: -1 }), { message: /postTrain: gamma must be >= 0, got -1/ });
  await t.throwsAsync(trainer.postTrain(data, { gammaMode: 'cubic' } as never), { message: /gammaMode must be one of/ });
  await t.throwsAsync(trainer.postTrain(data, { maxStep: 0.5 }), { message: /postTrain: maxStep must be > 1, got 0.5/ });
  t.throws(() => new PoFTrainer({ model: deepMlp(), device, seed: -3 }), { message: /PoFTrainer: seed must be >= 0, got -3/ });
  t.throws(() => new PoFTrainer({ model: deepMlp(), device: 'gpu' as DeviceName }), { code: 'ERR_POF_OPTION', message: /device must be 'cpu', 'cuda' or 'cuda:N', got "gpu"/ });
  t.throws(() => models.wideResNet({ depth: 12, numClasses: 10 }), { message: /depth must be 6n\+4/ });
  t.throws(() => models.mlp({ inputDim: 6, hidden: [0], numClasses: 3 }), { message: /models.mlp: hidden\[0\] must be >= 1, got 0/ });
  const { datasets } = await import('../lib');
  t.throws(() => datasets.fromArrays({ images: new Float32Array(6), labels: Int32Array.from([0, 3]), shape: [2, 3], numClasses: 3 }),
    { message: /label 3 at index 1 is out of range: expected 0..2/ });
  t.throws(() => datasets.fromArrays({ images: new Float32Array(5), labels: Int32Array.from([0, 1]), shape: [2, 3], numClasses: 3 }),
    { message: /holds 6 values but images has 5/ });
});

test('a hand-built model spec is validated like models.mlp / models.wideResNet', (t) => {
  t.throws(() => new PoFTrainer({ model: { kind: 'mlp', inputDim: -1, hidden: [4], numClasses: 2 } }), { instanceOf: OptionError, message: /inputDim must be >= 1, got -1/ });
  t.throws(() => new PoFTrainer({ model: { kind: 'wideResNet', depth: 10, widen: 1e6, numClasses: 2, inputChannels: 3 } }), { message: /widen must be at most 64/ });
  t.throws(() => new PoFTrainer({ model: { kind: 'resnet' } as never }), { message: /model kind "resnet" is unknown/ });
  t.throws(() => new PoFTrainer({ model: mlp(), device: 0 as never }), { instanceOf: OptionError, message: /device must be 'cpu', 'cuda' or 'cuda:N', got 0/ });
  // The native constructor checks the same on its own.
  t.throws(() => new native.Model({ kind: 'mlp', inputDim: 4, hidden: [-3], numClasses: 2 }, 0, 'cpu'), { code: 'ERR_POF_OPTION', message: /hidden\[0\] must be an integer/ });
});

test('sizes larger than the set, and windows larger than the image, are refused', async (t) => {
  const data = blobs(40, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device });
  await t.throwsAsync(trainer.fit(data, { epochs: 1 }), { instanceOf: OptionError, message: /batchSize \(256\) exceeds the 40 examples of training data 'blobs-1'/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, weakBatchSize: 64 }), { message: /weakBatchSize \(64\) exceeds the 40 examples/ });
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, partitions: 1e7 }), { message: /partitions must be at most 1024/ });
  const images = new Uint8Array(4 * 3 * 8 * 8);
  t.throws(() => datasets.fromArrays({ images, labels: new Uint8Array(4), shape: [4, 3, 8, 8], numClasses: 2, augmentation: { cropPadding: 0, flip: false, cutout: 16 } }),
    { instanceOf: OptionError, message: /augmentation.cutout \(16\) must not exceed the image's smaller side \(8 pixels\)/ });
  t.throws(() => datasets.fromArrays({ images, labels: new Uint8Array(4), shape: [4, 3, 8, 8], numClasses: 2, augmentation: { cropPadding: 9, flip: true, cutout: 0 } }),
    { message: /cropPadding \(9\) must not exceed/ });
  t.throws(() => nativeDataset({ inputs: images, shape: [4, 3, 8, 8], labels: new Uint8Array(4), numClasses: 2, cutout: 9 }), { code: 'ERR_POF_OPTION', message: /cutout must lie in 0\.\.8/ });
});

test('step() validates gamma, rho, unknown keys and the index arrays', async (t) => {
  const data = blobs(48, 6, 3, 1);
  const trainer = new PoFTrainer({ model: mlp(), device });
  const base = { indices: range(16), weakIndices: range(16, 32) };
  await t.throwsAsync(trainer.step(data, { ...base, method: 'pof', gamma: -1 }), { instanceOf: OptionError, message: /gamma must be >= 0, got -1/ });
  await t.throwsAsync(trainer.step(data, { ...base, method: 'sam', rho: -0.1 }), { message: /rho must be >= 0/ });
  await t.throwsAsync(trainer.step(data, { ...base, method: 'sgd', lr: 0.1, epochs: 3 } as never), { message: /unknown option 'epochs'/ });
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: Float32Array.from([0, 1]) as never }), { message: /indices must be a non-empty Int32Array.*Float32Array/ });
  await t.throwsAsync(trainer.step(data, { method: 'sgd', indices: Int32Array.from([0, 48]) }), { message: /indices must lie in 0\.\.47, got 48/ });
  await t.throwsAsync(trainer.step(data, { method: 'pof', indices: range(16) }), { message: /PoF needs weakIndices/ });
  await t.notThrowsAsync(trainer.step(data, { ...base, method: 'pof' }));
});

test('every error of the boundary is a PoFError with a stable code', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const errors = await Promise.all([
    trainer.fit(blobs(8, 6, 3, 1), { epochs: -1 }).catch((e) => e),
    trainer.evaluate(null as never).catch((e) => e),
    trainer.postTrain(blobs(8, 6, 3, 1), { gammaMode: 'cubic' as never }).catch((e) => e),
  ]);
  for (const e of errors) {
    t.true(e instanceof PoFError);
    t.is(e.code, 'ERR_POF_OPTION');
    t.true(e.isUserError);
  }
});

test('only an options object\'s own keys are read: an inherited one is neither used nor slips past the key check', async (t) => {
  // Read before, these would have been a DeviceError (no such GPU) and an OptionError (lr -1).
  const inherited = Object.create({ lr: -1, tensorboard: 5 }) as object;
  const withModel = Object.assign(Object.create({ device: 'cuda:7' }) as object, { model: mlp() });
  t.is(new PoFTrainer(withModel as never).device, 'cpu');
  const trainer = new PoFTrainer({ model: mlp(), device });
  const result = await trainer.fit(blobs(16, 6, 3, 1), Object.assign(inherited, { epochs: 1, batchSize: 8 }) as never);
  t.is(result.history.length, 1);
});

test('values finite in JS but not in float32 are refused where they are declared, and so is a schedule that grows past float32', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const data = blobs(16, 6, 3, 1);
  for (const [options, name] of [[{ lr: 1e300 }, 'lr'], [{ weightDecay: 1e300 }, 'weightDecay']] as const) {
    await t.throwsAsync(trainer.fit(data, { epochs: 1, batchSize: 8, ...options }),
      { instanceOf: OptionError, message: new RegExp(`fit: ${name} must be at most 3\\.4028234663852886e\\+38 \\(the largest float32`) });
  }
  // ρ and γ have caps of their own, far below float32's: at 2^31 they train to losses of 1e16-1e30 without a word.
  for (const value of [1e300, 2 ** 31, 100.5]) {
    await t.throwsAsync(trainer.fit(data, { epochs: 1, batchSize: 8, method: 'sam', rho: value }),
      { instanceOf: OptionError, message: /^fit: rho must be at most 100 \(a cap against typos: the paper uses 0\.05\)/ });
    await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, gamma: value }),
      { instanceOf: OptionError, message: /^postTrain: gamma must be at most 100 \(a cap against typos: the paper uses 2\)/ });
  }
  await t.throwsAsync(trainer.postTrain(data, { epochs: 1, batchSize: 8, maxStep: 1e300, initialStep: 1e290 }), { instanceOf: OptionError, message: /maxStep must be at most/ });
  let epochs = 0;
  await t.throwsAsync(trainer.fit(data, { epochs: 3, batchSize: 8, lr: 1e30, schedule: schedules.multistep([1, 2], 1e10), onEpoch: () => { epochs += 1; } }),
    { instanceOf: OptionError, message: /the schedule takes the learning rate to 1e\+40 at epoch 2, beyond float32/ });
  t.is(epochs, 0);
});
