// datasets.fromNpy({ stream: true }): the user's own .npy (or a .npz's stored member, as np.savez writes it) left
// on disk and read a batch at a time, as a prepared store's inputs are. It trains bit-identically to the same file
// read into memory; what cannot be read as it lies (other dtypes, Fortran order, NHWC, a compressed member) is
// refused naming the file and the way out; ids below 0 and non-finite values are refused as the batch holding them
// is read, naming the file and the example.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import * as path from 'path';
import { DatasetError, datasets, models, NonFiniteError, OptionError, PoFTrainer } from '../lib';
import type { ImageSet } from '../lib';
import { tempDir } from './helpers/fixtures';
import { nativeDataset } from './helpers/native-dataset';
import { npyBytes } from './helpers/npy-writer';
import { differingTensors } from './helpers/state-compare';
import { testDevice as device, tinyImages } from './helpers/synthetic';
import { writeZip } from './helpers/zip-writer';

const withNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0 ? test : test.skip;

const bytesOf = (data: ArrayBufferView) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** Writes `data` as a .npy of `descr` and `shape` in a fresh directory; returns its path. */
function npyFile(name: string, descr: string, shape: number[], data: ArrayBufferView, options: { fortranOrder?: boolean } = {}): string {
  return plainFile(name, npyBytes({ descr, shape, data: bytesOf(data), ...options }));
}

/** Writes `bytes` as `name` in a fresh directory; returns its path. */
function plainFile(name: string, bytes: Uint8Array): string {
  const file = path.join(tempDir('npy-stream'), name);
  writeFileSync(file, bytes);
  return file;
}

const int64 = (values: ArrayLike<number>) => BigInt64Array.from(Array.from(values, BigInt));

/** Float32 values [n, dim] whose classes (i % 3) differ in mean, labels as int64. */
function valueFiles(n: number, dim: number): { inputs: string; labels: string; values: Float32Array; classes: Int32Array } {
  const values = new Float32Array(n * dim);
  const classes = Int32Array.from({ length: n }, (_, i) => i % 3);
  for (let i = 0; i < values.length; i += 1) values[i] = Math.sin(i * 0.37) + classes[Math.floor(i / dim)];
  return { inputs: npyFile('x.npy', '<f4', [n, dim], values), labels: npyFile('y.npy', '<i8', [n], int64(classes)), values, classes };
}

test('stream: true gives the .npy as a stored split: labels in memory, inputs read in place', async (t) => {
  const { inputs, labels } = valueFiles(10, 6);
  const set = await datasets.fromNpy({ inputs, labels, stream: true });
  t.deepEqual(set.images, { file: inputs, offset: 128, dtype: 'float32' });
  t.is(set.kind, 'values');
  t.deepEqual(set.shape, [10, 6]);
  t.is(set.numClasses, 3);
  t.is(set.name, 'x.npy');
  t.deepEqual([...set.labels], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  t.throws(() => datasets.subset(set as never, 4), { instanceOf: OptionError, message: /x\.npy is read from disk a batch at a time .*read it into memory \(fromNpy without stream\)/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: npyFile('ids.npy', '<i4', [2, 3], Int32Array.from([1, 2, 3, 4, 5, 6])), labels, stream: true }),
    { instanceOf: DatasetError, message: /ids\.npy holds 2 examples but .*y\.npy holds 10 labels/ });
  const pixels = await datasets.fromNpy({ inputs: npyFile('p.npy', '|u1', [10, 8, 8], new Uint8Array(640)), labels, stream: true });
  t.is(pixels.kind, 'pixels', 'a 3-D uint8 array is NHW pixels with one channel');
  t.deepEqual(pixels.shape, [10, 1, 8, 8]);
});

const runs = {
  values: async () => {
    const { inputs, labels } = valueFiles(48, 12);
    return { model: () => models.mlp({ inputDim: 12, hidden: [16], numClasses: 3 }), memory: await datasets.fromNpy({ inputs, labels }),
      stream: await datasets.fromNpy({ inputs, labels, stream: true }) as ImageSet };
  },
  'values in a stored .npz member': async () => {
    const { values, classes } = valueFiles(48, 12);
    const file = path.join(tempDir('npz-stream'), 'data.npz');
    // A member before the inputs, so that their data lies well inside the archive.
    writeFileSync(file, writeZip({ 'y.npy': npyBytes({ descr: '<i4', shape: [48], data: bytesOf(classes) }),
      'x.npy': npyBytes({ descr: '<f4', shape: [48, 12], data: bytesOf(values) }) }));
    return { model: () => models.mlp({ inputDim: 12, hidden: [16], numClasses: 3 }), memory: await datasets.fromNpy({ file }),
      stream: await datasets.fromNpy({ file, stream: true }) as ImageSet };
  },
  pixels: async () => {
    const data = tinyImages(48, 3);
    const inputs = npyFile('x.npy', '|u1', data.shape, data.images), labels = npyFile('y.npy', '<i4', [48], data.labels);
    const settings = { normalization: data.normalization, augmentation: data.augmentation };
    return { model: () => models.mlp({ inputDim: 3 * 8 * 8, hidden: [16], numClasses: 4 }),
      memory: { ...(await datasets.fromNpy({ inputs, labels })), ...settings },
      stream: { ...(await datasets.fromNpy({ inputs, labels, stream: true })), ...settings } as ImageSet };
  },
};

for (const [kind, make] of Object.entries(runs)) {
  test(`${kind}: streamed in place, it trains (SGD then PoF) and evaluates bit-identically to the same file read into memory`, async (t) => {
    const { model, memory, stream } = await make();
    const run = async (data: ImageSet) => {
      const trainer = new PoFTrainer({ model: model(), device, seed: 3 });
      const fit = await trainer.fit(data, { epochs: 2, batchSize: 8, lr: 0.05 });
      const post = await trainer.postTrain(data, { epochs: 1, batchSize: 8, weakBatchSize: 12, lr: 0.01 });
      return { trainer, history: [...fit.history, ...post.history], evaluation: await trainer.evaluate(data) };
    };
    const [a, b] = [await run(memory), await run(stream)];
    t.deepEqual(b.history.map((r) => [r.loss, r.error]), a.history.map((r) => [r.loss, r.error]));
    t.deepEqual(b.evaluation, a.evaluation);
    t.deepEqual(differingTensors(await b.trainer.stateDict(), await a.trainer.stateDict()), []);
  });
}

test('what cannot be read as it lies is refused naming the file and the way out', async (t) => {
  const { labels } = valueFiles(4, 6);
  const cases: [() => Promise<unknown>, new (...args: never[]) => Error, RegExp][] = [
    [() => datasets.fromNpy({ inputs: npyFile('d.npy', '<f8', [4, 6], new Float64Array(24)), labels, stream: true }), DatasetError,
      /d\.npy: holds float64, which stream cannot read as it lies \(it reads uint8, float32, int32, int64\): save it as one of those \(e\.g\. x\.astype\(np\.float32\)\), or leave stream out/],
    [() => datasets.fromNpy({ inputs: npyFile('f.npy', '<f4', [4, 6], new Float32Array(24), { fortranOrder: true }), labels, stream: true }), DatasetError,
      /f\.npy: is in Fortran order, .*np\.ascontiguousarray\(x\), or leave stream out/],
    [() => datasets.fromNpy({ inputs: npyFile('h.npy', '|u1', [4, 8, 8, 3], new Uint8Array(768)), labels, layout: 'NHWC', stream: true }), OptionError,
      /layout 'NHWC' would need its axes reordered: save it as x\.transpose\(0, 3, 1, 2\)/],
    [() => datasets.fromNpy({ file: plainFile('c.npz', writeZip({ 'x.npy': npyBytes({ descr: '<f4', shape: [4, 6], data: new Uint8Array(96) }),
      'y.npy': npyBytes({ descr: '|u1', shape: [4], data: new Uint8Array(4) }) }, { deflate: true })), stream: true }), DatasetError,
      /c\.npz: member x\.npy is compressed \(np\.savez_compressed\), so it cannot be read in place: save the arrays with np\.savez \(stored\), or read them into memory/],
    [() => datasets.fromNpy({ inputs: 'x.npy', stream: true }), OptionError, /expected inputs and labels \(two \.npy files\), or file \(a \.npz\)/],
    [() => datasets.fromNpy({ inputs: npyFile('u.npy', '|u1', [4, 6], new Uint8Array(24)), labels, stream: true }), OptionError,
      /images is a Uint8Array of shape \[4,6\]: declare its kind/],
    [() => datasets.fromNpy({ inputs: npyFile('v.npy', '<f4', [4, 6], new Float32Array(24)), labels, stream: true, numClasses: 2 }), OptionError,
      /label 2 at index 2 is out of range: expected 0\.\.1/],
    [() => datasets.fromNpy({ inputs: npyFile('v.npy', '<f4', [4, 6], new Float32Array(24)), labels: npyFile('n.npy', '<i4', [4], Int32Array.from([0, -1, 0, 1])),
      stream: true, numClasses: 2 }), OptionError, /label -1 at index 1 is out of range: expected 0\.\.1/],
    [() => datasets.fromNpy({ inputs: npyFile('v.npy', '<f4', [4, 6], new Float32Array(24)), labels, stream: 'yes' as never }), OptionError,
      /stream must be true or false, got 'yes'/],
  ];
  for (const [call, instanceOf, message] of cases) await t.throwsAsync(call(), { instanceOf, message });
});

test('a negative token id or a non-finite value in a streamed file is refused as its batch is read, naming the file and the example', async (t) => {
  const ids = new BigInt64Array(4 * 5).fill(7n);
  ids[2 * 5 + 3] = -4n;
  const tokens = await datasets.fromNpy({ inputs: npyFile('ids.npy', '<i8', [4, 5], ids), labels: npyFile('y.npy', '|u1', [4], Uint8Array.from([0, 1, 0, 1])),
    stream: true });
  t.is(tokens.kind, 'tokens');
  const values = new Float32Array(4 * 5);
  values[3 * 5 + 1] = NaN;
  const floats = await datasets.fromNpy({ inputs: npyFile('v.npy', '<f4', [4, 5], values), labels: npyFile('y.npy', '|u1', [4], Uint8Array.from([0, 1, 0, 1])),
    stream: true });
  for (const [set, expected] of [
    [tokens, { instanceOf: DatasetError, message: /ids\.npy: example 2 holds token id -4 at position 3; expected ids >= 0$/ }],
    [floats, { instanceOf: NonFiniteError, message: /v\.npy: example 3 holds nan at position 1; expected finite values$/ }],
  ] as const) {
    const ds = nativeDataset({ kind: set.kind!, inputs: set.images, shape: set.shape, labels: set.labels, numClasses: 2 });
    t.notThrows(() => ds.batch(Int32Array.from([0, 1]), { train: false, seed: 0 }), 'batches without the bad example are read');
    t.throws(() => ds.batch(Int32Array.from([1, 3, 2, 0]), { train: false, seed: 0 }), expected);
    ds.dispose();
  }
  // Through the trainer: a clean error before any step runs on the bad batch.
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 5, hidden: [4], numClasses: 2 }), device, seed: 1 });
  await t.throwsAsync(trainer.fit(floats, { epochs: 1, batchSize: 4, lr: 0.1 }), { instanceOf: NonFiniteError, message: /v\.npy: example 3 holds nan/ });
});

withNumpy('an .npz from np.savez streams its inputs in place; one from np.savez_compressed is refused', async (t) => {
  const dir = tempDir('npz-numpy');
  execFileSync('python3', ['-c', [
    'import numpy as np, sys', 'd = sys.argv[1]',
    'x = (np.arange(40 * 6) % 17 / 4).astype(np.float32).reshape(40, 6); y = np.arange(40) % 3',
    'np.savez(f"{d}/xy.npz", x=x, y=y); np.savez_compressed(f"{d}/xyc.npz", x=x, y=y); np.savez(f"{d}/pos.npz", x, y)',
  ].join('\n'), dir]);
  for (const name of ['xy.npz', 'pos.npz']) {
    const file = path.join(dir, name);
    const stream = await datasets.fromNpy({ file, stream: true });
    t.is(stream.images.file, file);
    const memory = await datasets.fromNpy({ file });
    // The streamed rows are the ones read into memory, byte for byte.
    const ds = nativeDataset({ kind: 'values', inputs: stream.images, shape: stream.shape, labels: stream.labels, numClasses: 3 });
    const rows = ds.batch(Int32Array.from({ length: 40 }, (_, i) => 39 - i), { train: false, seed: 0 }).inputs.toArray() as Float32Array;
    const expected = Array.from({ length: 40 }, (_, i) => Array.from((memory.images as Float32Array).subarray((39 - i) * 6, (40 - i) * 6))).flat();
    t.deepEqual(Array.from(rows), expected, name);
    ds.dispose();
  }
  await t.throwsAsync(datasets.fromNpy({ file: path.join(dir, 'xyc.npz'), stream: true }), { instanceOf: DatasetError, message: /member x\.npy is compressed/ });
});
