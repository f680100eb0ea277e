// What the data is, declared: pixels (uint8, / 255 and normalised, augmentable), values (float32 as they are, a
// Uint8Array's 0..255 too) and tokens (ids >= 0, reaching the model as int64 unchanged). Token ids 80 and 117
// reach an exported model as 80 and 117 (test/fixtures/python/id_network.py: its features are its ids); a
// Uint8Array that is not [N, C, H, W] must say what it is; the model's input dtype refuses the other kind.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { DatasetError, datasets, models, OptionError, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { BYTES_PER_VALUE, datasetBytes } from '../lib/memory-budget';
import { ResidentData } from '../lib/trainer/resident-data';
import { tempDir } from './helpers/fixtures';
import { nativeDataset } from './helpers/native-dataset';
import { range, testDevice as device } from './helpers/synthetic';

const root = path.resolve(__dirname, '..', '..');
const hasTorch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const maybe = hasTorch ? test : test.skip;
if (!hasTorch) console.warn('data-kinds.test: python3 has no torch; the exported-model tests are skipped');

const LENGTH = 4;
let idProgram: string | undefined;
/** The id network exported once: features [N, 4] are the 4 ids of each example, as floats. */
function idModel() {
  if (!idProgram) {
    idProgram = path.join(tempDir('id-network'), 'ids.pt2');
    const r = spawnSync('python3', [path.join(root, 'test', 'fixtures', 'python', 'id_network.py'), idProgram, String(LENGTH)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`id_network.py failed: ${r.stderr}`);
  }
  return models.exported({ file: idProgram, classifier: 'classifier' });
}

const IDS = [80, 117, 0, 255, 3, 200, 1, 42];
const labels = new Uint8Array([0, 1]);

maybe('token ids 80 and 117 reach an exported int64 model unchanged, from an Int32Array or a Uint8Array of kind tokens', async (t) => {
  const trainer = new PoFTrainer({ model: idModel(), device, seed: 1 });
  const fromInt32 = datasets.fromArrays({ images: Int32Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2 });
  const fromUint8 = datasets.fromArrays({ kind: 'tokens', images: Uint8Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2 });
  t.is(fromInt32.kind, 'tokens', 'an Int32Array is tokens by default');
  const a = await trainer.features(fromInt32, range(2)), b = await trainer.features(fromUint8, range(2));
  t.deepEqual(Array.from(a), IDS, 'the features are the ids themselves (not ids / 255)');
  t.deepEqual(Array.from(b), IDS);
  // And the model trains on them (the embedding's rows are the feature extractor).
  const result = await trainer.fit(fromInt32, { epochs: 1, batchSize: 2, lr: 1e-3 });
  t.true(Number.isFinite(result.history[0].loss));
});

maybe('float data for an int64 model, and token ids for a float32 model, are a DatasetError naming both', async (t) => {
  const ids = new PoFTrainer({ model: idModel(), device });
  const floats = datasets.fromArrays({ images: Float32Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2, name: 'floats' });
  await t.throwsAsync(ids.evaluate(floats), {
    instanceOf: DatasetError, code: 'ERR_POF_DATASET',
    message: /^evaluate: evaluation data 'floats' holds values \(float32\), but the model exported .*ids\.pt2 \(input \[4\] int64, 2 classes\) takes int64 inputs \(token ids\); declare kind 'tokens' for ids$/,
  });
  const mlp = new PoFTrainer({ model: models.mlp({ inputDim: LENGTH, hidden: [4], numClasses: 2 }), device });
  const tokens = datasets.fromArrays({ images: Int32Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2, name: 'ids' });
  await t.throwsAsync(mlp.fit(tokens, { epochs: 1, batchSize: 2 }), {
    instanceOf: DatasetError, message: /^fit: training data 'ids' holds token ids \(int64\), but the model mlp .* takes float32 inputs; declare kind 'values' \(or 'pixels'\) for numbers$/,
  });
});

test('the native check refuses token ids for a float32 model in the same words', (t) => {
  const model = new native.Model({ kind: 'mlp', inputDim: LENGTH, hidden: [4], numClasses: 2 }, 0, 'cpu');
  t.regex(model.dataMismatch([LENGTH], 1, 'tokens') ?? '', /^holds token ids \(int64\), but the model mlp .* takes float32 inputs/);
  t.is(model.dataMismatch([LENGTH], 1, 'values'), null);
  t.throws(() => model.dataMismatch([LENGTH], 1, 'words' as never), { code: 'ERR_POF_OPTION', message: /kind must be 'pixels', 'values' or 'tokens', got 'words'/ });
});

test('a Uint8Array that is not [N, C, H, W] must declare its kind; declared kinds take their own arrays', (t) => {
  t.throws(() => datasets.fromArrays({ images: Uint8Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2 }), {
    instanceOf: OptionError, code: 'ERR_POF_OPTION',
    message: /^datasets\.fromArrays: images is a Uint8Array of shape \[2,4\]: declare its kind \('pixels' for images \[N, C, H, W\], 'tokens' for ids, 'values' for numbers/,
  });
  t.is(datasets.fromArrays({ images: new Uint8Array(2 * 12), labels, shape: [2, 3, 2, 2], numClasses: 2 }).kind, 'pixels');
  t.is(datasets.fromArrays({ images: new Float32Array(8), labels, shape: [2, 4], numClasses: 2 }).kind, 'values');
  t.throws(() => datasets.fromArrays({ kind: 'tokens', images: new Float32Array(8), labels, shape: [2, 4], numClasses: 2 }), {
    instanceOf: OptionError, message: /images is a Float32Array, but kind 'tokens' takes Int32Array or Uint8Array/,
  });
  t.throws(() => datasets.fromArrays({ kind: 'pixels', images: new Uint8Array(8), labels, shape: [2, 4], numClasses: 2 }), {
    instanceOf: OptionError, message: /shape must be \[N, C, H, W\] for pixels, got \[2,4\]/,
  });
  t.throws(() => datasets.fromArrays({ kind: 'text' as never, images: new Uint8Array(8), labels, shape: [2, 4], numClasses: 2 }), {
    instanceOf: OptionError, message: /kind must be one of 'pixels', 'values', 'tokens', got 'text'/,
  });
  t.throws(() => nativeDataset({ kind: 'tokens', inputs: new Float32Array(8), shape: [2, 4], labels, numClasses: 2 }), {
    code: 'ERR_POF_OPTION', message: /dataset inputs of kind 'tokens' must be an Int32Array or a Uint8Array/,
  });
});

test('values from a Uint8Array are taken as they are (never / 255); pixels are still / 255 and normalised', (t) => {
  const model = new native.Model({ kind: 'mlp', inputDim: LENGTH, hidden: [4], numClasses: 2 }, 0, 'cpu');
  const resident = new ResidentData(model, 'cpu');
  const values = datasets.fromArrays({ kind: 'values', images: Uint8Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2 });
  t.is(values.images.constructor, Uint8Array);
  const batch = resident.of('test', values, 'data').batch(range(2), { train: false, seed: 0 });
  t.is(batch.inputs.dtype, 'float32');
  t.deepEqual(Array.from(batch.inputs.toArray() as Float32Array), IDS);
  const pixels = nativeDataset({ inputs: Uint8Array.from(IDS), shape: [2, 1, 2, 2], labels, numClasses: 2, mean: [0.5], std: [0.25] });
  const normalised = Array.from(pixels.batch(range(2), { train: false, seed: 0 }).inputs.toArray() as Float32Array);
  IDS.forEach((x, i) => t.true(Math.abs(normalised[i] - (x / 255 - 0.5) / 0.25) < 1e-6, `pixel ${x}`));
  resident.dispose();
});

test('token ids are held as int64, and a batch of them is int64 unchanged', (t) => {
  const ds = nativeDataset({ kind: 'tokens', inputs: Uint8Array.from(IDS), shape: [2, LENGTH], labels, numClasses: 2 });
  const batch = ds.batch(Int32Array.from([1, 0]), { train: true, seed: 0 });
  t.is(batch.inputs.dtype, 'int64');
  t.deepEqual(Array.from(batch.inputs.toArray() as BigInt64Array, Number), [...IDS.slice(4), ...IDS.slice(0, 4)]);
  const part = datasets.subset(datasets.fromArrays({ images: Int32Array.from(IDS), labels, shape: [2, LENGTH], numClasses: 2 }), 1, 3);
  t.is(part.kind, 'tokens', 'a subset keeps its kind');
  t.true(part.images instanceof Int32Array);
  t.is(BYTES_PER_VALUE.tokens, 8, 'the memory estimate counts 8 bytes per token id');
  t.is(datasetBytes(10, LENGTH, BYTES_PER_VALUE.tokens), 10 * (LENGTH * 8 + 4));
});

test('negative token ids are refused, naming the first', (t) => {
  const ids = Int32Array.from([...IDS.slice(0, 5), -3, 7, -1]);
  t.throws(() => datasets.fromArrays({ images: ids, labels, shape: [2, LENGTH], numClasses: 2 }), {
    instanceOf: OptionError, message: /^datasets\.fromArrays: token id -3 at index 5 is negative; expected ids >= 0$/,
  });
  t.throws(() => nativeDataset({ inputs: ids, shape: [2, LENGTH], labels, numClasses: 2 }), {
    code: 'ERR_POF_DATASET', message: /^token id -3 at index 5 is negative; expected ids >= 0$/,
  });
});

test('augmentation is refused for tokens and values, which are taken as they are', (t) => {
  for (const kind of ['tokens', 'values'] as const) {
    const images = kind === 'tokens' ? new Int32Array(2 * 12) : new Float32Array(2 * 12);
    t.throws(() => datasets.fromArrays({ kind, images, labels, shape: [2, 3, 2, 2], numClasses: 2, augmentation: { cropPadding: 0, flip: true, cutout: 0 } }), {
      instanceOf: OptionError, message: new RegExp(`augmentation \\(crop, flip, cutout\\) applies to pixels only; these inputs are ${kind}`),
    });
    t.throws(() => nativeDataset({ kind, inputs: images, shape: [2, 3, 2, 2], labels, numClasses: 2, cropPadding: 1 }), {
      code: 'ERR_POF_OPTION', message: new RegExp(`augmentation \\(cropPadding, flip, cutout\\) applies to pixels only; these inputs are ${kind}`),
    });
  }
  t.throws(() => datasets.fromArrays({ kind: 'values', images: new Uint8Array(8), labels, shape: [2, 4], numClasses: 2, normalization: { mean: [0], std: [1] } }), {
    instanceOf: OptionError, message: /normalization applies to pixels only .*values are used as they are/,
  });
});

test('int64 labels (a BigInt64Array) are taken, each checked against numClasses', (t) => {
  const set = datasets.fromArrays({ images: new Float32Array(8), labels: BigInt64Array.from([1n, 0n]), shape: [2, 4], numClasses: 2 });
  t.deepEqual(Array.from(set.labels), [1, 0]);
  t.true(set.labels instanceof Int32Array);
  t.throws(() => datasets.fromArrays({ images: new Float32Array(8), labels: BigInt64Array.from([1n, 2n ** 40n]), shape: [2, 4], numClasses: 2 }), {
    instanceOf: OptionError, message: /^datasets\.fromArrays: label 1099511627776 at index 1 is out of range: expected 0\.\.1$/,
  });
});

maybe('from NumPy files: int64 ids [N, T] reach an exported model unchanged and it trains; uint8 [N, D] must say its kind', async (t) => {
  const dir = tempDir('npy-kinds');
  const written = spawnSync('python3', ['-c', [
    'import numpy as np, sys', 'd = sys.argv[1]', `ids = np.array(${JSON.stringify(IDS)}, dtype=np.int64).reshape(2, ${LENGTH})`,
    'np.save(f"{d}/ids.npy", ids); np.save(f"{d}/bytes.npy", ids.astype(np.uint8)); np.save(f"{d}/y.npy", np.array([0, 1]))',
  ].join('\n'), dir], { encoding: 'utf8' });
  t.is(written.status, 0, written.stderr);
  const file = (name: string) => path.join(dir, name);
  const ids = await datasets.fromNpy({ inputs: file('ids.npy'), labels: file('y.npy') });
  t.is(ids.kind, 'tokens', 'int64 inputs are token ids by default');
  t.true(ids.images instanceof Int32Array);
  const trainer = new PoFTrainer({ model: idModel(), device, seed: 1 });
  t.deepEqual(Array.from(await trainer.features(ids, range(2))), IDS, 'the ids reach the model as they are');
  await t.throwsAsync(datasets.fromNpy({ inputs: file('bytes.npy'), labels: file('y.npy') }), { instanceOf: OptionError, message: /kind/ });
  const bytes = await datasets.fromNpy({ inputs: file('bytes.npy'), labels: file('y.npy'), kind: 'tokens' });
  t.deepEqual(Array.from(await trainer.features(bytes, range(2))), IDS, 'uint8 ids declared tokens: unchanged, not / 255');
  const result = await trainer.fit(ids, { epochs: 1, batchSize: 2, lr: 1e-3 });
  t.true(Number.isFinite(result.history[0].loss));
  const values = await datasets.fromNpy({ inputs: file('bytes.npy'), labels: file('y.npy'), kind: 'values' });
  t.deepEqual(Array.from(values.images), IDS, 'uint8 values are kept as 0..255');
  await t.throwsAsync(trainer.evaluate(values), { instanceOf: DatasetError, message: /holds values .* takes int64 inputs/ });
});
