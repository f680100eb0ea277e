// A split left on disk (a prepared store, read a batch at a time on a worker thread) trains exactly as the
// resident copy of the same bytes: same seed, same batches, bit-identical weights after SGD, SAM and PoF
// with the paper's augmentation. A store changed, truncated or lying about itself is a DatasetError naming
// the file; a store larger than the old 2^32-element ceiling opens and reads (a sparse file).
import test from 'ava';
import { execFileSync } from 'child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'fs';
import * as path from 'path';
import { DatasetError, datasets, FileError, models, OptionError, PoFTrainer } from '../lib';
import { native } from '../lib/addon';
import { tempDir } from './helpers/fixtures';
import { npyBytes } from './helpers/npy-writer';
import { differingTensors } from './helpers/state-compare';
import { writeStore } from './helpers/store-writer';
import { testDevice as device, tinyImages } from './helpers/synthetic';

const imageMlp = () => models.mlp({ inputDim: 3 * 8 * 8, hidden: [24, 16], numClasses: 4 });

test('datasets.prepared gives the store as a split: labels in memory, pixels on disk, normalisation from the manifest', async (t) => {
  const data = tinyImages(40, 3);
  const dir = writeStore(path.join(tempDir('store'), 'tiny'), data);
  const set = await datasets.prepared(dir);
  t.is(set.name, 'tiny');
  t.is(set.kind, 'pixels');
  t.deepEqual(set.shape, [40, 3, 8, 8]);
  t.deepEqual(set.images, { file: path.join(dir, 'inputs.npy'), offset: 128, dtype: 'uint8' });
  t.deepEqual([...set.labels], [...data.labels]);
  t.deepEqual(set.normalization, data.normalization);
  t.deepEqual(set.classes, ['class-0', 'class-1', 'class-2', 'class-3']);
  t.throws(() => datasets.subset(set as never, 4), { instanceOf: OptionError, message: /tiny is read from disk a batch at a time \(a prepared store, or fromNpy's stream\)/ });
  const { classes: _, ...fields } = set;
  t.throws(() => datasets.fromArrays({ ...fields, images: fields.images as never }), { instanceOf: OptionError, message: /images must be a Uint8Array/ });
});

for (const method of ['sgd', 'sam', 'pof'] as const) {
  test(`${method}: a store and the resident copy of the same data train bit-identically (augmented, same seed)`, async (t) => {
    const resident = { ...tinyImages(64, 5), augmentation: { cropPadding: 2, flip: true, cutout: 4 } };
    const stored = { ...(await datasets.prepared(writeStore(path.join(tempDir('store'), 'train'), resident))), augmentation: resident.augmentation };
    const evalStored = await datasets.prepared(writeStore(path.join(tempDir('store'), 'test'), tinyImages(24, 6)));
    const run = async (train: typeof resident | typeof stored, evalSet: typeof evalStored | ReturnType<typeof tinyImages>) => {
      const trainer = new PoFTrainer({ model: imageMlp(), device, seed: 7 });
      const fit = await trainer.fit(train, { method: method === 'sam' ? 'sam' : 'sgd', epochs: 2, batchSize: 16, lr: 0.05 });
      const post = method === 'pof' ? await trainer.postTrain(train, { epochs: 1, batchSize: 16, weakBatchSize: 24, lr: 0.01 }) : undefined;
      return { trainer, history: [...fit.history, ...(post?.history ?? [])], evaluation: await trainer.evaluate(evalSet) };
    };
    const a = await run(resident, tinyImages(24, 6));
    const b = await run(stored, evalStored);
    t.deepEqual(b.history.map((r) => [r.loss, r.error]), a.history.map((r) => [r.loss, r.error]));
    t.deepEqual(b.evaluation, a.evaluation);
    t.deepEqual(differingTensors(await b.trainer.stateDict(), await a.trainer.stateDict()), []);
  });
}

test('a store truncated or rewritten while in use is a DatasetError naming the file, and the trainer goes on', async (t) => {
  const data = tinyImages(32, 8);
  const dir = writeStore(path.join(tempDir('store'), 'cut'), data);
  const set = await datasets.prepared(dir);
  const trainer = new PoFTrainer({ model: imageMlp(), device, seed: 1 });
  await trainer.fit(set, { epochs: 1, batchSize: 8, lr: 0.05 });
  const inputs = path.join(dir, 'inputs.npy');
  const fd = openSync(inputs, 'r+');
  ftruncateSync(fd, 128 + 3 * 8 * 8 * 20);
  closeSync(fd);
  await t.throwsAsync(trainer.fit(set, { epochs: 1, batchSize: 8, lr: 0.05 }), {
    instanceOf: DatasetError, code: 'ERR_POF_DATASET',
    message: new RegExp(`${inputs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} changed while in use \\(6272 bytes when opened, 3968 now\\); prepare the store again`),
  });
  // Reopened, the store's own check says what is wrong before any work.
  await t.throwsAsync(datasets.prepared(dir), { instanceOf: DatasetError, message: /inputs\.npy: the header declares .* the file is truncated/ });
  const fresh = tinyImages(32, 8);
  t.true(Number.isFinite((await trainer.evaluate(fresh)).loss), 'the trainer still works');
});

test('manifests and arrays that disagree are DatasetErrors naming the file and what was expected', async (t) => {
  const data = tinyImages(8, 9);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ format: 'other' }, /manifest\.json: format is 'other', not 'pof-prepared'/],
    [{ version: 2 }, /version 2 is not one this version reads \(1\)/],
    [{ examples: 9 }, /inputs\.npy: holds uint8 \(8, 3, 8, 8\); expected uint8 \(9, 3, 8, 8\) in C order, as manifest\.json says/],
    [{ shape: [3, 8] }, /shape is \[3,8\], not \[C, H, W\]/],
    [{ numClasses: 3, classes: ['a', 'b', 'c'] }, /labels\.npy: label 3 at index 3 is out of range: expected 0\.\.2 \(3 classes in manifest\.json\)/],
    [{ classes: ['a'] }, /classes must be 4 names/],
    [{ std: [1, 0, 1] }, /std must be 3 finite numbers > 0/],
  ];
  for (const [manifest, message] of cases) {
    const dir = writeStore(path.join(tempDir('store'), 'bad'), data, manifest);
    await t.throwsAsync(datasets.prepared(dir), { instanceOf: DatasetError, message }, JSON.stringify(manifest));
  }
  const notJson = writeStore(path.join(tempDir('store'), 'bad'), data);
  writeFileSync(path.join(notJson, 'manifest.json'), '{"format": ');
  await t.throwsAsync(datasets.prepared(notJson), { instanceOf: DatasetError, message: /manifest\.json: not JSON/ });
  await t.throwsAsync(datasets.prepared(path.join(tempDir('store'), 'missing')), { message: /manifest\.json/ });
});

test('a store past the old ceiling (> 2^32 values, 4.8 GB, sparse) opens and reads its last example', async (t) => {
  const dir = tempDir('store-large');
  const [n, c, side] = [32_000, 3, 224];
  const store = writeStore(dir, tinyImages(4, 1), { examples: n, shape: [c, side, side] });
  // inputs.npy rewritten as a sparse file of the declared size, one marked pixel in its last example.
  const header = npyBytes({ descr: '|u1', shape: [n, c, side, side] });
  const inputs = path.join(store, 'inputs.npy');
  const fd = openSync(inputs, 'w');
  writeSync(fd, header);
  ftruncateSync(fd, header.length + n * c * side * side);
  writeSync(fd, new Uint8Array([200]), 0, 1, header.length + (n - 1) * c * side * side + 5);
  closeSync(fd);
  const labels = new BigInt64Array(n);
  writeFileSync(path.join(store, 'labels.npy'), npyBytes({ descr: '<i8', shape: [n], data: new Uint8Array(labels.buffer) }));
  const set = await datasets.prepared(store);
  t.true(n * c * side * side > 2 ** 32);
  const ds = new native.Dataset({
    kind: 'pixels', inputs: set.images, shape: set.shape, labels: set.labels, numClasses: 4, mean: [0], std: [1],
    cropPadding: 0, flip: false, cutout: 0, device,
  });
  const batch = ds.batch(Int32Array.from([n - 1, 0]), { train: false, seed: 0 });
  const values = batch.inputs.toArray() as Float32Array;
  t.is(values[5], Math.fround(200 / 255));
  t.is(values[c * side * side + 5], 0);
  t.is(ds.size, n);
  ds.dispose();
});

test('a store whose inputs.npy is a FIFO or a directory is a FileError naming it, at once', async (t) => {
  for (const make of [(p: string) => execFileSync('mkfifo', [p]), (p: string) => mkdirSync(p)]) {
    const dir = writeStore(path.join(tempDir('store'), 'special'), tinyImages(4, 2));
    const inputs = path.join(dir, 'inputs.npy');
    rmSync(inputs);
    make(inputs);
    const error = await t.throwsAsync(datasets.prepared(dir), { instanceOf: FileError });
    t.true(error!.message.includes(inputs), error!.message);
  }
});
