import test from 'ava';
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import * as path from 'path';
import { svhn } from '../lib/data/svhn';
import { DatasetError, FileError, OptionError } from '../lib/errors';
import { patternImages, tempDir } from './helpers/fixtures';
import { settlesWithin } from './helpers/settles-within';
import { MatVariable, nchwToColumnMajor, writeMat } from './helpers/matwriter';

const PIXELS = 3 * 32 * 32;

interface Split { images: Uint8Array; digits: number[] }

function split(n: number, salt: number, digits: number[]): Split {
  return { images: patternImages(n, 3, 32, 32, salt), digits };
}

/** An SVHN format-2 file as MATLAB writes it: compressed, y double stored narrowed, 0 as label 10. */
function svhnFile(s: Split, overrides: Partial<Record<'X' | 'y', Partial<MatVariable>>> = {}): Buffer {
  const n = s.digits.length;
  return writeMat([
    { name: 'X', className: 'uint8', dims: [32, 32, 3, n], data: nchwToColumnMajor(s.images, n, 3, 32, 32), compress: true, ...overrides.X },
    { name: 'y', className: 'double', dims: [n, 1], data: s.digits.map((d) => (d === 0 ? 10 : d)), storedAs: 'uint8', compress: true, ...overrides.y },
  ]);
}

const train = split(3, 1, [0, 5, 9]);
const testSplit = split(2, 2, [3, 0]);
const extra = split(4, 3, [1, 2, 0, 8]);
const dir = tempDir('svhn');
writeFileSync(path.join(dir, 'train_32x32.mat'), svhnFile(train));
writeFileSync(path.join(dir, 'test_32x32.mat'), svhnFile(testSplit));
writeFileSync(path.join(dir, 'extra_32x32.mat'), svhnFile(extra));

test('svhn reads format-2 .mat files pixel-exact in NCHW order, label 10 as digit 0', async (t) => {
  const data = await svhn(dir);
  t.is(data.train.name, 'svhn/train');
  t.deepEqual(data.train.shape, [3, 3, 32, 32]);
  t.deepEqual(Buffer.from(data.train.images), Buffer.from(train.images));
  t.deepEqual([...data.train.labels], [0, 5, 9]);
  t.deepEqual(data.test.shape, [2, 3, 32, 32]);
  t.deepEqual(Buffer.from(data.test.images), Buffer.from(testSplit.images));
  t.deepEqual([...data.test.labels], [3, 0]);
  t.is(data.train.numClasses, 10);
  t.deepEqual(data.train.normalization, { mean: [0.4377, 0.4438, 0.4728], std: [0.198, 0.201, 0.197] });
  t.deepEqual(data.train.augmentation, { cropPadding: 4, flip: true, cutout: 0 });
  t.is(data.test.augmentation, undefined);
});

test('svhn with { extra: true } appends the extra split to training', async (t) => {
  const data = await svhn(dir, { extra: true });
  t.is(data.train.name, 'svhn/train+extra');
  t.deepEqual(data.train.shape, [7, 3, 32, 32]);
  t.deepEqual(Buffer.from(data.train.images.subarray(0, 3 * PIXELS)), Buffer.from(train.images));
  t.deepEqual(Buffer.from(data.train.images.subarray(3 * PIXELS)), Buffer.from(extra.images));
  t.deepEqual([...data.train.labels], [0, 5, 9, 1, 2, 0, 8]);
  t.deepEqual([...data.test.labels], [3, 0]);
});

test('svhn: a missing file names the directory, the files and the download page', async (t) => {
  const empty = tempDir('svhn-empty');
  writeFileSync(path.join(empty, 'train_32x32.mat'), svhnFile(train));
  writeFileSync(path.join(empty, 'test_32x32.mat'), svhnFile(testSplit));
  await t.throwsAsync(svhn(empty, { extra: true }), {
    message: /svhn: expected the files train_32x32\.mat, test_32x32\.mat, extra_32x32\.mat in .*pof-svhn-empty-\w+.*ufldl\.stanford\.edu\/housenumbers/,
  });
  await t.throwsAsync(svhn(empty, { extras: true } as never), { message: /unknown option 'extras'/ });
});

async function corrupt(t: import('ava').ExecutionContext, file: Buffer, message: RegExp): Promise<void> {
  const bad = tempDir('svhn-bad');
  writeFileSync(path.join(bad, 'train_32x32.mat'), file);
  writeFileSync(path.join(bad, 'test_32x32.mat'), svhnFile(testSplit));
  await t.throwsAsync(svhn(bad), { message, instanceOf: DatasetError });
}

test('svhn: a label out of 1..10 is an error naming the file', async (t) => {
  await corrupt(t, svhnFile(train, { y: { data: [1, 11, 2] } }), /train_32x32\.mat: label 11 at index 1 is out of range: expected 1\.\.10/);
  await corrupt(t, svhnFile(train, { y: { data: [1, 2.5, 2], storedAs: 'double' } }), /label 2\.5 at index 1 is out of range/);
});

test('svhn: mismatched counts, a wrong class or shape, a missing variable are errors naming the file', async (t) => {
  await corrupt(t, svhnFile(train, { y: { dims: [2, 1], data: [1, 2] } }), /train_32x32\.mat: y holds 2 labels but X holds 3 images/);
  const doubles = Array.from(nchwToColumnMajor(train.images, 3, 3, 32, 32));
  await corrupt(t, svhnFile(train, { X: { className: 'double', data: doubles } }), /train_32x32\.mat: X is of class double, expected uint8/);
  await corrupt(t, svhnFile(train, { X: { dims: [32, 32, 9, 1] } }), /train_32x32\.mat: X is 32×32×9×1, expected 32×32×3×N/);
  await corrupt(t, svhnFile(train, { y: { name: 'labels' } }), /train_32x32\.mat: no variable 'y'/);
  await corrupt(t, svhnFile(split(0, 1, [])), /train_32x32\.mat: X declares 0 images; expected at least one/);
  const bytes = svhnFile(train);
  await corrupt(t, bytes.subarray(0, bytes.length - 100), /train_32x32\.mat: element at byte \d+: truncated/);
});

test('svhn given no directory, a number or null, or options that are not an object, is an OptionError', async (t) => {
  for (const bad of [undefined, 5, null]) {
    await t.throwsAsync(svhn(bad as never), { instanceOf: OptionError, message: new RegExp(`^datasets\\.svhn: dir must be the path of the directory holding the dataset's download, got ${bad}$`) });
    if (bad !== undefined) await t.throwsAsync(svhn(dir, bad as never), { instanceOf: OptionError, message: /^datasets\.svhn: options must be an object/ });
  }
});

test('a FIFO where extra_32x32.mat belongs is named for what it is, not missing, and does not block', async (t) => {
  const fifoDir = tempDir('svhn-fifo');
  writeFileSync(path.join(fifoDir, 'train_32x32.mat'), svhnFile(train));
  writeFileSync(path.join(fifoDir, 'test_32x32.mat'), svhnFile(testSplit));
  execFileSync('mkfifo', [path.join(fifoDir, 'extra_32x32.mat')]);
  t.deepEqual((await svhn(fifoDir)).train.shape, [3, 3, 32, 32]);
  await t.throwsAsync(settlesWithin(svhn(fifoDir, { extra: true })), {
    instanceOf: FileError, message: /^svhn: cannot read .*extra_32x32\.mat: it is a FIFO \(named pipe\), not a regular file \(EFTYPE\)$/,
  });
});
