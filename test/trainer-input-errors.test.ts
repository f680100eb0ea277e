// What the trainer is given and cannot use: an empty set, data that does not fit the model, NaN weights
// or inputs. Each is a typed error naming the dataset or tensor, and the process lives on.
import test from 'ava';
import { DatasetError, datasets, models, NonFiniteError, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { smallMlp as mlp } from './helpers/small-models';
import { blobs, testDevice as device, tinyImages } from './helpers/synthetic';
import { nativeDataset } from './helpers/native-dataset';

const empty = () => datasets.fromArrays({ images: new Float32Array(0), labels: new Uint8Array(0), shape: [0, 6], numClasses: 3, name: 'none' });

test('an empty training set is a DatasetError in fit (SGD, SAM) and postTrain, not SIGFPE', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  for (const run of [() => trainer.fit(empty(), { epochs: 1, method: 'sgd' }), () => trainer.fit(empty(), { epochs: 1, method: 'sam' }),
    () => trainer.postTrain(empty(), { epochs: 1 })]) {
    const e = await t.throwsAsync(run(), { instanceOf: DatasetError, code: 'ERR_POF_DATASET' });
    t.regex(e!.message, /training data 'none' has 0 examples; expected at least 1/);
  }
  await t.throwsAsync(trainer.evaluate(empty()), { instanceOf: DatasetError, message: /evaluation data 'none' has 0 examples/ });
  // The native side refuses the same on its own (a hand-made Dataset skips the TS checks).
  const ds = nativeDataset({ inputs: new Float32Array(0), shape: [0, 6], labels: new Uint8Array(0), numClasses: 3 });
  const engine = new native.Engine(new native.Model(mlp(), 0, 'cpu'), 0);
  await t.throwsAsync(async () => engine.evaluate(ds, 8), { code: 'ERR_POF_DATASET', message: /no examples/ });
});

test('data that does not fit the model is a DatasetError naming the dataset, the model and what was expected', async (t) => {
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 784, hidden: [16], numClasses: 10 }), device });
  const wrongShape = blobs(32, 100, 3, 1);
  const e = await t.throwsAsync(trainer.fit(wrongShape, { epochs: 1, batchSize: 16 }), { instanceOf: DatasetError });
  t.regex(e!.message, /training data 'blobs-1' has examples of shape \[100\] \(100 values\), but the model mlp \(inputDim 784.*takes 784 values/);
  t.notRegex(e!.message, /mat1 and mat2/);
  const labels = Int32Array.from({ length: 32 }, (_, i) => (i === 5 ? 17 : 0));
  const wrongLabels = datasets.fromArrays({ images: new Float32Array(32 * 784), labels, shape: [32, 784], numClasses: 20, name: 'twenty' });
  await t.throwsAsync(trainer.evaluate(wrongLabels), { instanceOf: DatasetError, message: /'twenty' has labels up to 17, but the model .* has 10 classes/ });
  const wrn = new PoFTrainer({ model: models.wideResNet({ depth: 10, widen: 1, numClasses: 4, inputChannels: 1 }), device });
  await t.throwsAsync(wrn.evaluate(tinyImages(8, 1)), { instanceOf: DatasetError, message: /shape \[3, 8, 8\], but the model wideResNet-10-1 .* takes images \[1, H, W\]/ });
});

test('NaN weights and NaN inputs are errors naming the tensor or the first bad example', async (t) => {
  const trainer = new PoFTrainer({ model: mlp(), device });
  const state = await trainer.stateDict();
  (state['layers.0.bias'].data as Float32Array)[2] = NaN;
  await t.throwsAsync(trainer.loadStateDict(state), { instanceOf: NonFiniteError, code: 'ERR_POF_NON_FINITE', message: /'layers\.0\.bias' holds NaN or infinite values/ });
  const x = new Float32Array(10 * 6);
  x[7 * 6 + 3] = NaN;
  x[8 * 6] = Infinity;
  const bad = datasets.fromArrays({ images: x, labels: new Uint8Array(10), shape: [10, 6], numClasses: 3 });
  await t.throwsAsync(trainer.evaluate(bad), { instanceOf: NonFiniteError, message: /inputs of example 7 \(of 2 such examples\) are NaN or infinite/ });
});
