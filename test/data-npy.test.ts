// NumPy .npy / .npz: files written by NumPy itself (every dtype, C and Fortran order, each layout, stored and
// deflated .npz), bad files written by the test's own writer, and a trainer fitting on .npy data.
import test from 'ava';
import { execFileSync, spawnSync } from 'child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync, ftruncateSync } from 'fs';
import * as path from 'path';
import { datasets, DatasetError, FileError, OptionError, PoFTrainer } from '../lib';
import { MAX_ELEMENTS, readNpyFile } from '../lib/data/npy';
import { tempDir } from './helpers/fixtures';
import { f32Bytes, npyBytes } from './helpers/npy-writer';
import { settlesWithin } from './helpers/settles-within';
import { smallMlp } from './helpers/small-models';
import { blobs, testDevice as device } from './helpers/synthetic';
import { deflateRawBomb, peakRssGrowth } from './helpers/bombs';
import { writeZip } from './helpers/zip-writer';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const withNumpy = hasNumpy ? test : test.skip;
if (!hasNumpy) console.log('python3 with numpy not found: the tests of files NumPy writes are skipped');

/** A fresh directory where python3 has run `lines` with numpy as np and the directory as `d`. */
function numpyDir(prefix: string, lines: string[]): string {
  const dir = tempDir(prefix);
  execFileSync('python3', ['-c', ['import numpy as np, sys', 'd = sys.argv[1]', ...lines].join('\n'), dir]);
  return dir;
}

/** The value each dtype's file holds at C-order index i (exact in that dtype, and in what it is read as). */
const VALUES: Record<string, (i: number) => number> = {
  uint8: (i) => (i * 7) % 251,
  bool: (i) => (i % 3 === 0 ? 1 : 0),
  float16: (i) => (i - 10) * 0.25,
  float32: (i) => Math.fround((i - 10) * 0.1),
  float64: (i) => Math.fround((i - 10) * 0.1),
  int32: (i) => (i - 10) * 100003,
  int64: (i) => (i - 10) * 100003,
};
const PY_VALUES: Record<string, string> = {
  uint8: '(i * 7) % 251', bool: 'i % 3 == 0', float16: '(i - 10) * 0.25', float32: '(i - 10) * 0.1',
  float64: '(i - 10) * 0.1', int32: '(i - 10) * 100003', int64: '(i - 10) * 100003',
};

withNumpy('every dtype in C and Fortran order, 1-D to 4-D, reads as NumPy wrote it, in C order', async (t) => {
  const shapes = [[5], [3, 2], [2, 3, 4], [2, 3, 2, 2]];
  const dir = numpyDir('npy-dtypes', [...Object.keys(VALUES).flatMap((dtype) => [
    `for s in ${JSON.stringify(shapes)}:`,
    `    i = np.arange(int(np.prod(s))).reshape(s)`,
    `    a = (${PY_VALUES[dtype]}).astype(np.${dtype})`,
    `    tag = "x".join(map(str, s))`,
    `    np.save(f"{d}/${dtype}-{tag}-c.npy", a)`,
    `    np.save(f"{d}/${dtype}-{tag}-f.npy", np.asfortranarray(a))`,
  ]),
  'a = np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3))',
  'np.lib.format.write_array(open(f"{d}/v2.npy", "wb"), a, version=(2, 0))',
  'np.lib.format.write_array(open(f"{d}/v3.npy", "wb"), a, version=(3, 0))']);
  const kinds = { uint8: Uint8Array, bool: Uint8Array, float16: Float32Array, float32: Float32Array, float64: Float32Array, int32: Int32Array, int64: Int32Array };
  for (const [dtype, value] of Object.entries(VALUES)) {
    for (const shape of shapes) {
      const expected = Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => value(i));
      for (const order of ['c', 'f']) {
        const a = await readNpyFile(path.join(dir, `${dtype}-${shape.join('x')}-${order}.npy`));
        t.is(a.dtype as string, dtype);
        t.deepEqual(a.shape, shape);
        t.true(a.data instanceof kinds[dtype as keyof typeof kinds], `${dtype} ${order}`);
        t.deepEqual(Array.from(a.data), expected, `${dtype} ${shape} ${order}`);
      }
    }
  }
  for (const version of ['v2', 'v3']) t.deepEqual(Array.from((await readNpyFile(path.join(dir, `${version}.npy`))).data), [0, 1, 2, 3, 4, 5]);
});

withNumpy('fromNpy: NHWC is transposed to NCHW, NHW gains a channel axis, numClasses is the largest label + 1', async (t) => {
  const dir = numpyDir('npy-layout', [
    'i = np.arange(5 * 4 * 3 * 2).reshape(5, 4, 3, 2)',
    'x = ((i * 7) % 251).astype(np.uint8)',
    'y = np.array([0, 3, 1, 1, 2], dtype=np.int64)',
    'np.save(f"{d}/nhwc.npy", x); np.save(f"{d}/nchw.npy", x.transpose(0, 3, 1, 2).copy()); np.save(f"{d}/y.npy", y)',
    'np.save(f"{d}/nhw.npy", x[..., 0].copy())',
    'np.save(f"{d}/f32.npy", (i.reshape(5, 24) / 10).astype(np.float32))',
  ]);
  const file = (name: string) => path.join(dir, name);
  const nchw = await datasets.fromNpy({ inputs: file('nchw.npy'), labels: file('y.npy') });
  const nhwc = await datasets.fromNpy({ inputs: file('nhwc.npy'), labels: file('y.npy'), layout: 'NHWC' });
  t.deepEqual(nchw.shape, [5, 2, 4, 3]);
  t.deepEqual(nhwc.shape, [5, 2, 4, 3]);
  t.deepEqual(Buffer.from(nhwc.images), Buffer.from(nchw.images));
  t.true(nchw.images instanceof Uint8Array);
  t.deepEqual([...nchw.labels], [0, 3, 1, 1, 2]);
  t.is(nchw.numClasses, 4);
  t.is(nchw.name, 'nchw.npy');
  const nhw = await datasets.fromNpy({ inputs: file('nhw.npy'), labels: file('y.npy'), numClasses: 10, name: 'digits' });
  t.deepEqual(nhw.shape, [5, 1, 4, 3]);
  t.deepEqual(Array.from(nhw.images.subarray(0, 3)), [0, 14, 28]);  // x[0, 0, :, 0]
  t.is(nhw.numClasses, 10);
  t.is(nhw.name, 'digits');
  const values = await datasets.fromNpy({ inputs: file('f32.npy'), labels: file('y.npy') });
  t.true(values.images instanceof Float32Array);
  t.deepEqual(values.shape, [5, 24]);
  t.is(values.images[119], Math.fround(11.9));  // as written: nothing divided by 255
  await t.throwsAsync(datasets.fromNpy({ inputs: file('nchw.npy'), labels: file('y.npy'), layout: 'NHW' }),
    { instanceOf: DatasetError, message: /nchw\.npy: inputs of shape \(5, 2, 4, 3\) with layout NHW: expected \[N, D\]/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: file('f32.npy'), labels: file('y.npy'), layout: 'NCHW' }),
    { instanceOf: DatasetError, message: /f32\.npy: inputs of shape \(5, 24\) with layout NCHW/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: file('y.npy'), labels: file('nchw.npy') }),
    { instanceOf: DatasetError, message: /nchw\.npy: labels must be a 1-D array \[N\], got shape \(5, 2, 4, 3\)/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: file('f32.npy'), labels: file('y.npy'), layout: 'NWHC' as 'NHWC' }),
    { instanceOf: OptionError, message: /layout/ });
});

withNumpy('fromNpy reads .npz files from np.savez (stored) and np.savez_compressed (deflated), by name or positional', async (t) => {
  const dir = numpyDir('npz', [
    'x = (np.arange(4 * 6) / 4).astype(np.float32).reshape(4, 6); y = np.array([2, 0, 1, 2])',
    'np.savez(f"{d}/xy.npz", x=x, y=y); np.savez_compressed(f"{d}/xyc.npz", x=x, y=y)',
    'np.savez(f"{d}/pos.npz", x, y); np.savez_compressed(f"{d}/named.npz", feats=x, target=y)',
  ]);
  const expected = Array.from({ length: 24 }, (_, i) => i / 4);
  for (const options of [{ file: 'xy.npz' }, { file: 'xyc.npz' }, { file: 'pos.npz' }, { file: 'named.npz', inputs: 'feats', labels: 'target' }]) {
    const set = await datasets.fromNpy({ ...options, file: path.join(dir, options.file) });
    t.deepEqual(Array.from(set.images), expected, options.file);
    t.deepEqual([...set.labels], [2, 0, 1, 2]);
    t.deepEqual(set.shape, [4, 6]);
    t.is(set.numClasses, 3);
  }
  await t.throwsAsync(datasets.fromNpy({ file: path.join(dir, 'named.npz') }),
    { instanceOf: DatasetError, message: /named\.npz: no array 'x' \(members: feats, target\)$/ });
  await t.throwsAsync(datasets.fromNpy({ file: path.join(dir, 'xy.npz'), labels: 'z' }),
    { instanceOf: DatasetError, message: /xy\.npz: no array 'z' \(members: x, y\)$/ });
});

/** Writes `bytes` as `name` in a fresh directory and returns its path. */
function written(name: string, bytes: Uint8Array): string {
  const file = path.join(tempDir('npy-bad'), name);
  writeFileSync(file, bytes);
  return file;
}

const expectRead = async (t: import('ava').ExecutionContext, bytes: Uint8Array, message: RegExp) => {
  const file = written('bad.npy', bytes);
  const error = await t.throwsAsync(readNpyFile(file), { instanceOf: DatasetError, code: 'ERR_POF_DATASET' });
  t.true(error!.message.startsWith(`${file}: `), error!.message);
  t.regex(error!.message, message);
};

test('bad .npy files are DatasetErrors naming the file and what is wrong', async (t) => {
  const good = npyBytes({ shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) });
  t.deepEqual(Array.from((await readNpyFile(written('good.npy', good))).data), [1, 2, 3, 4]);
  await expectRead(t, Buffer.concat([Buffer.from('PK\x03\x04'), good.subarray(4)]), /not a \.npy file \(it does not start with NumPy's magic/);
  await expectRead(t, Buffer.from('\x93NUM'), /not a \.npy file/);
  await expectRead(t, Buffer.concat([good.subarray(0, 6), Buffer.from([4, 0]), good.subarray(8)]), /\.npy format version 4\.0 is not supported \(expected 1\.0, 2\.0 or 3\.0\)/);
  await expectRead(t, good.subarray(0, 40), /the file ends inside its \.npy header \(40 bytes; the header ends at byte 128\)/);
  await expectRead(t, good.subarray(0, good.length - 3),
    /the header declares \(2, 2\) of <f4 = 16 bytes of data, but 13 bytes follow the header; the file is truncated$/);
  await expectRead(t, npyBytes({ shape: [2, 3], data: f32Bytes([1, 2, 3, 4]) }),
    /the header declares \(2, 3\) of <f4 = 24 bytes of data, but 16 bytes follow the header; the file is truncated$/);
  await expectRead(t, npyBytes({ shape: [3], data: f32Bytes([1, 2, 3, 4]) }),
    /the header declares \(3\) of <f4 = 12 bytes of data, but 16 bytes follow the header; the file is corrupt \(a header that does not match its data\)/);
  await expectRead(t, npyBytes({ descr: '|O', shape: [1], data: new Uint8Array(8) }), /dtype '\|O' is an object array \(pickled Python objects\), which is never loaded; expected one of \|u1, \|b1, <f2/);
  await expectRead(t, npyBytes({ descr: '>f4', shape: [1], data: new Uint8Array(4) }), /dtype '>f4' is big-endian, which is not supported; expected one of .*newbyteorder/);
  await expectRead(t, npyBytes({ descr: '<c8', shape: [1], data: new Uint8Array(8) }), /dtype '<c8' is not supported; expected one of \|u1, \|b1, <f2, <f4, <f8, <i4, <i8$/);
  await expectRead(t, npyBytes({ descr: '<f8', shape: [1], data: new Uint8Array(new Float64Array([1e39]).buffer) }),
    /element 0 \(1e\+39\) of the float64 array is beyond float32's range/);
  await expectRead(t, npyBytes({ descr: '<i8', shape: [2], data: new Uint8Array(new BigInt64Array([5n, 2n ** 31n]).buffer) }),
    /element 1 \(2147483648\) of the int64 array is beyond int32's range \(-2147483648\.\.2147483647\)/);
  const header = (text: string) => npyBytes({ shape: [1], header: text, data: new Uint8Array(4) });
  const notDict = /the \.npy header is not NumPy's \{'descr': \.\.\., 'fortran_order': \.\.\., 'shape': \(\.\.\.\)\}: /;
  for (const [text, what] of [
    ["__import__('os').system('true')\n", "expected '\\{' at character 0"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", "unexpected key 'x' at character"],
    ["{'descr': '<f4', 'fortran_order': False}\n", "the key 'shape' is missing"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1), }\n", "expected ',' in the shape tuple"],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }\n", 'expected a string, True, False or a tuple at character 34'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", 'expected a non-negative integer'],
    ["{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", 'a list \\(a structured dtype, which is not supported\\)'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } + 1\n", "expected only spaces and a newline after '\\}'"],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", "key 'descr' given twice"],
  ]) await expectRead(t, header(text), new RegExp(notDict.source + what));
});

test('a FIFO or a directory given as the file is a FileError, without blocking', async (t) => {
  const dir = tempDir('npy-special');
  const fifo = path.join(dir, 'x.npy');
  execFileSync('mkfifo', [fifo]);
  await t.throwsAsync(settlesWithin(readNpyFile(fifo)), { instanceOf: FileError, message: /x\.npy: it is a FIFO \(named pipe\), not a regular file \(EFTYPE\)$/ });
  await t.throwsAsync(settlesWithin(datasets.fromNpy({ file: fifo })), { instanceOf: FileError, message: /it is a FIFO/ });
  const sub = path.join(dir, 'y.npy');
  mkdirSync(sub);
  await t.throwsAsync(datasets.fromNpy({ inputs: written('x.npy', npyBytes({ shape: [1, 1], data: f32Bytes([1]) })), labels: sub }),
    { instanceOf: FileError, message: /y\.npy: it is a directory, not a file \(EISDIR\)$/ });
  await t.throwsAsync(readNpyFile(path.join(dir, 'missing.npy')), { instanceOf: FileError, message: /missing\.npy: it does not exist \(ENOENT\)$/ });
});

test('.npz made by the test: members missing, truncated or corrupt are DatasetErrors', async (t) => {
  const x = npyBytes({ shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) });
  const y = npyBytes({ descr: '|u1', shape: [2], data: Uint8Array.from([1, 0]) });
  const file = (name: string, bytes: Uint8Array) => written(name, bytes);
  const ok = await datasets.fromNpy({ file: file('ok.npz', writeZip({ 'x.npy': x, 'y.npy': y }, { deflate: true })) });
  t.deepEqual([...ok.labels], [1, 0]);
  await t.throwsAsync(datasets.fromNpy({ file: file('noy.npz', writeZip({ 'x.npy': x, 'w.npy': y })) }),
    { instanceOf: DatasetError, message: /noy\.npz: no array 'y' \(members: x, w\)$/ });
  const stored = writeZip({ 'x.npy': x, 'y.npy': y });
  const flipped = Buffer.from(stored);
  flipped[x.length + 30 + 5 - 1] ^= 0xff;  // the last data byte of x.npy (after its 30-byte local header and name)
  await t.throwsAsync(datasets.fromNpy({ file: file('crc.npz', flipped) }),
    { instanceOf: DatasetError, message: /crc\.npz: member x\.npy: it fails its CRC-32 check; the file is corrupt$/ });
  await t.throwsAsync(datasets.fromNpy({ file: file('cut.npz', stored.subarray(0, stored.length - 30)) }),
    { instanceOf: DatasetError, message: /cut\.npz: not a ZIP archive/ });
  await t.throwsAsync(datasets.fromNpy({ file: file('notnpy.npz', writeZip({ 'x.npy': Buffer.from('hello'), 'y.npy': y })) }),
    { instanceOf: DatasetError, message: /notnpy\.npz: member x\.npy: not a \.npy file/ });
});

// Serial: the peak RSS it measures must not be another test's.
test.serial('an .npz bomb (a member of 1,280 bytes, then 2 GiB of zeros) is refused from its first bytes, in bounded memory', async (t) => {
  const x = npyBytes({ shape: [16, 18], data: new Uint8Array(16 * 18 * 4) });
  const y = npyBytes({ descr: '|u1', shape: [16], data: new Uint8Array(16) });
  const bomb = deflateRawBomb(x, 2 ** 31);
  const cases: [string, number, RegExp][] = [
    // The directory tells the truth about the member's own header: inflation stops just past it.
    ['lying.npz', x.length, /lying\.npz: member x\.npy: the member holds more than the 1280 bytes the directory declares$/],
    // The directory declares the bomb's size: the .npy header inside says otherwise, before the bulk is inflated.
    ['honest.npz', x.length + 2 ** 31, /honest\.npz: member x\.npy: its \.npy header and the data it declares come to 1280 bytes, but the directory declares 2147484928; the archive is corrupt$/],
  ];
  for (const [name, size, message] of cases) {
    const file = written(name, writeZip({ 'x.npy': { deflated: bomb, size, crc32: 0 }, 'y.npy': y }));
    const { growth, error } = await peakRssGrowth(() => datasets.fromNpy({ file }));
    t.true(error instanceof DatasetError, String(error));
    t.regex((error as Error).message, message);
    t.log(`${name}: peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
    t.true(growth < 300 * 2 ** 20, `peak RSS grew by ${growth} bytes`);
  }
});

test('an array beyond the typed-array limit is refused naming its size and the limit (a sparse file)', async (t) => {
  const count = MAX_ELEMENTS + 1;
  const head = npyBytes({ descr: '|u1', shape: [count] });
  const file = path.join(tempDir('npy-huge'), 'huge.npy');
  const fd = openSync(file, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, head.length + count);
  closeSync(fd);
  await t.throwsAsync(readNpyFile(file), {
    instanceOf: DatasetError,
    message: new RegExp(`huge\\.npy: the array \\(${count}\\) of \\|u1 holds ${count} elements, more than one typed array can hold here \\(${MAX_ELEMENTS}\\)$`),
  });
});

test('fromNpy options: inputs and labels, or a file; labels integers, non-negative, as many as the examples', async (t) => {
  const x = written('x.npy', npyBytes({ shape: [3, 2], data: f32Bytes([1, 2, 3, 4, 5, 6]) }));
  const y = (values: number[], descr = '<i4') => written('y.npy', npyBytes({ descr, shape: [values.length], data: new Uint8Array(Int32Array.from(values).buffer) }));
  await t.throwsAsync(datasets.fromNpy({ inputs: x } as never), { instanceOf: OptionError, message: /expected inputs and labels \(two \.npy files\), or file/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: 3 } as never), { instanceOf: OptionError, message: /labels must be a non-empty string, got 3/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: y([0, 1, 2]), shuffle: true } as never), { instanceOf: OptionError, message: /unknown option 'shuffle'/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: y([0, 1]) }), { instanceOf: DatasetError, message: /x\.npy holds 3 examples but .*y\.npy holds 2 labels$/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: y([0, -1, 2]) }), { instanceOf: DatasetError, message: /y\.npy: label -1 at index 1 is negative/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: x }), { instanceOf: DatasetError, message: /labels must be a 1-D array/ });
  const floatLabels = written('fy.npy', npyBytes({ shape: [3], data: f32Bytes([0, 1, 2]) }));
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: floatLabels }), { instanceOf: DatasetError, message: /fy\.npy: labels must be integers \(uint8, int32 or int64\), got float32$/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: y([0, 1, 5]), numClasses: 3 }), { instanceOf: OptionError, message: /label 5 at index 2 is out of range: expected 0\.\.2/ });
  await t.throwsAsync(datasets.fromNpy({ inputs: x, labels: y([0, 1, 2]), kind: 'images' as 'pixels' }),
    { instanceOf: OptionError, message: /^datasets\.fromNpy: kind must be one of 'pixels', 'values', 'tokens', got 'images'$/ });
  const flat = written('flat.npy', npyBytes({ shape: [3], data: f32Bytes([1, 2, 3]) }));
  await t.throwsAsync(datasets.fromNpy({ inputs: flat, labels: y([0, 1, 2]) }),
    { instanceOf: DatasetError, message: /flat\.npy: inputs of shape \(3\) with layout \(none\): expected \[N, D\] \(no layout\), \[N, H, W\]/ });
  const set = await datasets.fromNpy({ inputs: x, labels: y([0, 1, 5]) });
  t.is(set.numClasses, 6);
});

withNumpy('a trainer fits one epoch on an MLP from .npy files NumPy wrote', async (t) => {
  const data = blobs(96, 6, 3, 4);
  const dir = numpyDir('npy-train', [
    `x = np.array(${JSON.stringify(Array.from(data.images))}, dtype=np.float32).reshape(96, 6).astype(np.float64)`,
    `np.save(f"{d}/x.npy", np.asfortranarray(x)); np.save(f"{d}/y.npy", np.array(${JSON.stringify(Array.from(data.labels))}, dtype=np.int64))`,
  ]);
  const set = await datasets.fromNpy({ inputs: path.join(dir, 'x.npy'), labels: path.join(dir, 'y.npy') });
  t.deepEqual(Buffer.from(set.images.buffer), Buffer.from(data.images.buffer));
  t.deepEqual([...set.labels], [...data.labels]);
  const trainer = new PoFTrainer({ model: smallMlp(6, 3), device, seed: 1 });
  const result = await trainer.fit(set, { epochs: 1, batchSize: 16, lr: 0.05 });
  t.is(result.history.length, 1);
  t.true(Number.isFinite(result.history[0].loss) && result.history[0].loss > 0);
  trainer.dispose();
});
