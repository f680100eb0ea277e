import test from 'ava';
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import * as path from 'path';
import { readMatFile } from '../lib/data/matfile';
import { DatasetError } from '../lib/errors';
import { zlibBomb } from './helpers/bombs';
import { tempDir } from './helpers/fixtures';
import { writeMat } from './helpers/matwriter';

const dir = tempDir('matfile');
let fileCount = 0;
function fixture(bytes: Buffer): string {
  const file = path.join(dir, `f${fileCount++}.mat`);
  writeFileSync(file, bytes);
  return file;
}

const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37 + 11) & 0xff);
const labels = [1, 10, 3, 7];
const signed = [-32768, -2, 0, 5, 32767, 1234];

for (const littleEndian of [true, false]) {
  for (const compress of [false, true]) {
    const label = `${littleEndian ? 'little' : 'big'}-endian, ${compress ? 'compressed' : 'plain'}`;
    test(`reads numeric arrays back exactly (${label})`, async (t) => {
      const file = fixture(writeMat([
        { name: 'X', className: 'uint8', dims: [2, 3, 4], data: pixels, compress },
        // MATLAB stores integer-valued doubles narrowed to uint8; the class stays double.
        { name: 'y', className: 'double', dims: [4, 1], data: labels, storedAs: 'uint8', compress },
        { name: 'int16s', className: 'int16', dims: [2, 3], data: signed, compress },
        { name: 'halves', className: 'double', dims: [1, 3], data: [0.5, -1.25, 1e300], compress },
        { name: 'one', className: 'single', dims: [1, 1], data: [2.5], compress }, // real part in small-element form
      ], { littleEndian }));
      const vars = await readMatFile(file);
      t.deepEqual([...vars.keys()], ['X', 'y', 'int16s', 'halves', 'one']);
      const x = vars.get('X')!;
      t.is(x.className, 'uint8');
      t.deepEqual(x.dims, [2, 3, 4]);
      t.true(x.real instanceof Uint8Array);
      t.deepEqual([...x.real], [...pixels]);
      const y = vars.get('y')!;
      t.is(y.className, 'double');
      t.true(y.real instanceof Float64Array);
      t.deepEqual([...y.real], labels);
      const s = vars.get('int16s')!;
      t.true(s.real instanceof Int16Array);
      t.deepEqual([...s.real], signed);
      t.deepEqual([...vars.get('halves')!.real], [0.5, -1.25, 1e300]);
      t.deepEqual([...vars.get('one')!.real], [2.5]);
    });
  }
}

test('only the requested variables are converted; an unsupported class elsewhere is skipped', async (t) => {
  const file = fixture(writeMat([
    { name: 'cells', className: 'uint8', dims: [1, 1], data: [0], cellFlags: true, compress: true },
    { name: 'X', className: 'uint8', dims: [1, 2], data: [4, 5], compress: true },
  ]));
  const vars = await readMatFile(file, { variables: ['X'] });
  t.deepEqual([...vars.keys()], ['X']);
  await t.throwsAsync(readMatFile(file), { message: /f\d+\.mat.*variable 'cells'.*cell array; only real numeric arrays/ });
});

function twoVariables(compress: boolean): Buffer {
  return writeMat([
    { name: 'X', className: 'uint8', dims: [2, 3, 4], data: pixels, compress },
    { name: 'y', className: 'double', dims: [4, 1], data: labels, compress },
  ]);
}

test('a truncated file is an error naming the file', async (t) => {
  for (const compress of [false, true]) {
    const bytes = twoVariables(compress);
    const file = fixture(bytes.subarray(0, bytes.length - 5));
    await t.throwsAsync(readMatFile(file), { message: new RegExp(`${path.basename(file)}: element at byte \\d+: truncated`) });
  }
  await t.throwsAsync(readMatFile(fixture(Buffer.from('MATLAB 5.0'))), { message: /truncated: 10 bytes is shorter than the 128-byte/ });
});

test('a broken zlib stream is an error naming the file', async (t) => {
  const bytes = twoVariables(true);
  const corrupt = Buffer.from(bytes);
  for (let i = 128 + 8 + 2; i < 128 + 8 + 12; i += 1) corrupt[i] ^= 0x5a; // inside the first deflate stream
  const file = fixture(corrupt);
  await t.throwsAsync(readMatFile(file), { message: new RegExp(`${path.basename(file)}: element at byte 128: corrupt zlib stream \\(`) });
});

test('a valid zlib stream that goes on inflating far past its matrix is refused (not inflated to its end)', async (t) => {
  const matrix = writeMat([{ name: 'X', className: 'uint8', dims: [2, 3, 4], data: pixels }]).subarray(128);
  const bomb = zlibBomb(matrix, 64 << 20);
  t.is(require('zlib').inflateSync(bomb).length, matrix.length + (64 << 20)); // the stream itself is valid
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(15, 0);
  tag.writeUInt32LE(bomb.length, 4);
  const file = fixture(Buffer.concat([writeMat([]), tag, bomb]));
  await t.throwsAsync(readMatFile(file), { instanceOf: DatasetError, message: /element at byte 128: the compressed element holds more than the \d+ bytes of the matrix it declares/ });
  // A little padding after the matrix, as some writers add, is still fine.
  const padded = require('zlib').deflateSync(Buffer.concat([matrix, Buffer.alloc(8)])) as Buffer;
  tag.writeUInt32LE(padded.length, 4);
  const variables = await readMatFile(fixture(Buffer.concat([writeMat([]), tag, padded])));
  t.deepEqual(Array.from(variables.get('X')!.real), Array.from(pixels));
});

test('a zlib stream that ends before its matrix is an error', async (t) => {
  // A compressed element whose stream is complete but holds only half of the matrix it declares.
  const matrix = writeMat([{ name: 'X', className: 'uint8', dims: [2, 3, 4], data: pixels }]).subarray(128);
  const deflated = require('zlib').deflateSync(matrix.subarray(0, matrix.length / 2)) as Buffer;
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(15, 0);
  tag.writeUInt32LE(deflated.length, 4);
  const file = fixture(Buffer.concat([writeMat([]), tag, deflated]));
  await t.throwsAsync(readMatFile(file), { message: /element at byte 128: the zlib stream ends after \d+ bytes, before the end of the matrix/ });
});

test('bad headers and unexpected elements are errors naming the file', async (t) => {
  const good = twoVariables(false);
  const badMagic = Buffer.from(good);
  badMagic.write('NOT A MAT', 0, 'latin1');
  await t.throwsAsync(readMatFile(fixture(badMagic)), { message: /f\d+\.mat: not a MATLAB level-5 MAT-file/ });
  const badEndian = Buffer.from(good);
  badEndian.write('XX', 126, 'latin1');
  await t.throwsAsync(readMatFile(fixture(badEndian)), { message: /not a MATLAB level-5 MAT-file \(bad header/ });
  const hdf5 = Buffer.from(good);
  hdf5.write('MATLAB 7.3 MAT-file', 0, 'latin1');
  await t.throwsAsync(readMatFile(fixture(hdf5)), { message: /v7\.3 \(HDF5\) file/ });
  const stray = Buffer.concat([writeMat([]), Buffer.from([2, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])]);
  await t.throwsAsync(readMatFile(fixture(stray)), { message: /element at byte 128: unexpected element type 2/ });
  // A real part shorter than the dimensions call for.
  const short = writeMat([{ name: 'X', className: 'uint8', dims: [5, 5], data: pixels }]);
  await t.throwsAsync(readMatFile(fixture(short)), { message: /variable 'X'.*dimensions call for 25 values but the real part holds 24/ });
});

function pythonHasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.io, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('reads what scipy.io.savemat writes (when python3 has scipy)', async (t) => {
  if (!pythonHasScipy()) {
    t.log('python3 with scipy not found: cross-check skipped');
    t.pass();
    return;
  }
  const file = path.join(dir, 'scipy.mat');
  execFileSync('python3', ['-c', [
    'import numpy as np, scipy.io, sys',
    'X = (np.arange(32*32*3*5).reshape(32, 32, 3, 5, order="F") * 7 % 251).astype(np.uint8)',
    'scipy.io.savemat(sys.argv[1], {"X": X, "y": np.array([[10.], [1.], [2.], [3.], [9.]])}, do_compression=True)',
  ].join('\n'), file]);
  const vars = await readMatFile(file);
  const x = vars.get('X')!;
  t.deepEqual(x.dims, [32, 32, 3, 5]);
  t.is(x.real.length, 32 * 32 * 3 * 5);
  t.true(x.real.every((v, i) => v === (i * 7) % 251));
  t.deepEqual([...vars.get('y')!.real], [10, 1, 2, 3, 9]);
});
