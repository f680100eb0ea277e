import test from 'ava';
import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { DatasetError, FileError, OptionError } from '../lib/errors';
import { readIdx } from '../lib/data/idx';
import { fashionMnist, mnist } from '../lib/data/mnist';
import { gzipBomb, peakRssGrowth } from './helpers/bombs';
import { patternImages, tempDir } from './helpers/fixtures';
import { settlesWithin } from './helpers/settles-within';
import { fashionMnistDir, withFashionMnist } from './helpers/shared-data';

function idx(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

const trainImages = patternImages(5, 1, 28, 28, 1);
const trainLabels = Uint8Array.from([9, 0, 3, 3, 7]);
const testImages = patternImages(3, 1, 28, 28, 2);
const testLabels = Uint8Array.from([1, 2, 8]);

/** Writes the four files; `gzip` chooses which of them are .gz. */
function writeIdxSet(dir: string, gzip: (name: string) => boolean, override: Record<string, Buffer> = {}): void {
  const files: Record<string, Buffer> = {
    'train-images-idx3-ubyte': idx([5, 28, 28], trainImages),
    'train-labels-idx1-ubyte': idx([5], trainLabels),
    't10k-images-idx3-ubyte': idx([3, 28, 28], testImages),
    't10k-labels-idx1-ubyte': idx([3], testLabels),
    ...override,
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (gzip(name)) writeFileSync(path.join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(path.join(dir, name), bytes);
  }
}

test('mnist and fashion-mnist read raw and .gz IDX files pixel-exact as [N, 1, 28, 28]', async (t) => {
  const mixed = tempDir('idx-mixed');
  writeIdxSet(mixed, (name) => name.startsWith('train'));
  const gzipped = tempDir('idx-gz');
  writeIdxSet(gzipped, () => true);
  for (const dir of [mixed, gzipped]) {
    for (const [read, name] of [[fashionMnist, 'fashion-mnist'], [mnist, 'mnist']] as const) {
      const data = await read(dir);
      t.is(data.train.name, `${name}/train`);
      t.deepEqual(data.train.shape, [5, 1, 28, 28]);
      t.deepEqual(data.test.shape, [3, 1, 28, 28]);
      t.deepEqual(Buffer.from(data.train.images), Buffer.from(trainImages));
      t.deepEqual(Buffer.from(data.test.images), Buffer.from(testImages));
      t.deepEqual([...data.train.labels], [...trainLabels]);
      t.deepEqual([...data.test.labels], [...testLabels]);
      t.is(data.train.numClasses, 10);
      t.is(data.test.augmentation, undefined);
    }
  }
  const fashion = await fashionMnist(mixed);
  t.deepEqual(fashion.train.normalization, { mean: [0.286], std: [0.353] });
  t.deepEqual(fashion.train.augmentation, { cropPadding: 4, flip: true, cutout: 0 });
  const digits = await mnist(mixed);
  t.deepEqual(digits.train.normalization, { mean: [0.1307], std: [0.3081] });
  t.deepEqual(digits.train.augmentation, { cropPadding: 2, flip: false, cutout: 0 });
});

test('gzip is detected by its magic bytes, not by the file name', async (t) => {
  const dir = tempDir('idx-magic');
  writeIdxSet(dir, () => false, { 'train-images-idx3-ubyte': gzipSync(idx([5, 28, 28], trainImages)) });
  t.deepEqual(Buffer.from((await mnist(dir)).train.images), Buffer.from(trainImages));
});

test('a missing file names the directory, the files and the download page', async (t) => {
  const dir = tempDir('idx-missing');
  writeIdxSet(dir, () => false);
  const { unlinkSync } = await import('fs');
  unlinkSync(path.join(dir, 't10k-labels-idx1-ubyte'));
  await t.throwsAsync(fashionMnist(dir), {
    message: /fashion-mnist: missing t10k-labels-idx1-ubyte\[\.gz\] in .*pof-idx-missing-\w+ \(expected train-images-idx3-ubyte\[\.gz\], .*github\.com\/zalandoresearch\/fashion-mnist/,
  });
  await t.throwsAsync(mnist(dir), { message: /mnist: missing .*yann\.lecun\.com\/exdb\/mnist/ });
});

/** A set whose file `fileName` (possibly `<name>.gz`) holds `bytes` as they are. */
async function corrupt(t: import('ava').ExecutionContext, fileName: string, bytes: Buffer, message: RegExp): Promise<void> {
  const dir = tempDir('idx-bad');
  writeIdxSet(dir, (n) => `${n}.gz` === fileName);
  writeFileSync(path.join(dir, fileName), bytes);
  await t.throwsAsync(mnist(dir), { message, instanceOf: DatasetError });
}

test('mnist and fashion-mnist given no directory, a number or null are an OptionError naming the reader', async (t) => {
  for (const [read, name] of [[fashionMnist, 'fashionMnist'], [mnist, 'mnist']] as const) {
    for (const dir of [undefined, 5, null, '']) {
      await t.throwsAsync(read(dir as never), {
        instanceOf: OptionError, code: 'ERR_POF_OPTION', message: new RegExp(`^datasets\\.${name}: dir must be the path of the directory holding the dataset's download, got `),
      });
    }
  }
});

test('a FIFO or a directory where an IDX file belongs is named for what it is, not missing, and does not block', async (t) => {
  const dir = tempDir('idx-special');
  writeIdxSet(dir, () => false);
  const labels = path.join(dir, 't10k-labels-idx1-ubyte');
  rmSync(labels);
  execFileSync('mkfifo', [labels]);
  const error = await t.throwsAsync(settlesWithin(mnist(dir)), { instanceOf: FileError, code: 'ERR_POF_IO' });
  t.regex(error!.message, /^mnist: cannot read .*t10k-labels-idx1-ubyte: it is a FIFO \(named pipe\), not a regular file \(EFTYPE\)$/);
  t.is((error as FileError).syscallCode, 'EFTYPE');
  rmSync(labels);
  mkdirSync(labels);
  await t.throwsAsync(settlesWithin(fashionMnist(dir)), { instanceOf: FileError, message: /t10k-labels-idx1-ubyte: it is a directory, not a file \(EISDIR\)/ });
});

test('corrupt IDX files are errors naming the file and the problem', async (t) => {
  const images = idx([5, 28, 28], trainImages);
  await corrupt(t, 'train-images-idx3-ubyte', Buffer.concat([Buffer.from([1, 0]), images.subarray(2)]), /train-images-idx3-ubyte: not an IDX file \(bad magic/);
  await corrupt(t, 'train-images-idx3-ubyte', idx([5, 28, 28], trainImages, 0x0d), /train-images-idx3-ubyte: IDX element type 0x0d is not supported/);
  await corrupt(t, 'train-images-idx3-ubyte', images.subarray(0, images.length - 1), /train-images-idx3-ubyte: the header declares 5×28×28 = 3920 bytes of data but the file holds 3919 \(truncated\)/);
  await corrupt(t, 'train-images-idx3-ubyte', idx([5, 28, 28], trainImages).subarray(0, 10), /truncated IDX header/);
  await corrupt(t, 'train-images-idx3-ubyte', idx([5, 28 * 28], trainImages), /train-images-idx3-ubyte: IDX rank 2, expected 3/);
  await corrupt(t, 'train-images-idx3-ubyte', idx([5, 14, 56], trainImages), /images are 14×56, expected 28×28/);
  await corrupt(t, 'train-labels-idx1-ubyte', idx([4], trainLabels.subarray(0, 4)), /train-labels-idx1-ubyte: 4 labels, but .*train-images-idx3-ubyte holds 5 images/);
  await corrupt(t, 't10k-labels-idx1-ubyte', idx([3], Uint8Array.from([1, 10, 2])), /t10k-labels-idx1-ubyte: label 10 at index 1 is out of range: expected 0\.\.9/);
  const gz = gzipSync(images);
  await corrupt(t, 'train-images-idx3-ubyte.gz', gz.subarray(0, gz.length - 20), /train-images-idx3-ubyte\.gz: the gzip stream is corrupt or truncated/);
});

// Serial tests run before the others, so the peak RSS they measure is not an earlier test's.
test.serial('a gzip bomb (a header for 20 images, then 2 GiB of zeros) is refused once it passes the declared size, in bounded memory', async (t) => {
  const file = path.join(tempDir('idx-bomb'), 'train-images-idx3-ubyte.gz');
  writeFileSync(file, gzipBomb(idx([20, 28, 28], new Uint8Array(0)), 2 ** 31));
  const { growth, error } = await peakRssGrowth(() => readIdx(file, 3));
  t.true(error instanceof DatasetError, String(error));
  t.regex((error as Error).message, /train-images-idx3-ubyte\.gz: the gzip stream holds more than the 15696 bytes the IDX header declares/);
  t.log(`peak RSS growth ${(growth / 2 ** 20).toFixed(0)} MiB`);
  t.true(growth < 300 * 2 ** 20, `peak RSS grew by ${growth} bytes`);
});

test('a .gz whose header declares more than its compressed bytes can hold is refused before inflating the rest', async (t) => {
  const file = path.join(tempDir('idx-claim'), 'train-images-idx3-ubyte.gz');
  writeFileSync(file, gzipSync(idx([60000, 28, 28], trainImages)));
  await t.throwsAsync(readIdx(file, 3), { instanceOf: DatasetError, message: /train-images-idx3-ubyte\.gz: the IDX header declares 47040016 bytes for the gzip stream, more than its \d+ compressed bytes can hold/ });
});

test('an IDX file that declares 0 images or 0 labels is an error, raw or gzipped', async (t) => {
  const images = idx([0, 28, 28], new Uint8Array(0));
  await corrupt(t, 'train-images-idx3-ubyte', images, /train-images-idx3-ubyte: declares 0 images; expected at least one/);
  await corrupt(t, 'train-images-idx3-ubyte.gz', gzipSync(images), /train-images-idx3-ubyte\.gz: declares 0 images; expected at least one/);
  await corrupt(t, 't10k-labels-idx1-ubyte', idx([0], new Uint8Array(0)), /t10k-labels-idx1-ubyte: declares 0 labels; expected at least one/);
});

test('a .gz holding more or fewer bytes than its IDX header declares is an error naming the file', async (t) => {
  const images = idx([5, 28, 28], trainImages);
  await corrupt(t, 'train-images-idx3-ubyte.gz', gzipSync(Buffer.concat([images, Buffer.alloc(1)])), /train-images-idx3-ubyte\.gz: the gzip stream holds more than the 3936 bytes the IDX header declares/);
  await corrupt(t, 'train-images-idx3-ubyte.gz', gzipSync(images.subarray(0, 3000)), /train-images-idx3-ubyte\.gz: the gzip stream ends after 3000 bytes, but the IDX header declares 3936 \(truncated\)/);
  await corrupt(t, 'train-images-idx3-ubyte.gz', gzipSync(images.subarray(0, 6)), /train-images-idx3-ubyte\.gz: truncated IDX header \(6 bytes\)/);
});

withFashionMnist('the real Fashion-MNIST: 60000/10000 images, 6000/1000 per class', async (t) => {
  const started = process.hrtime.bigint();
  const data = await fashionMnist(fashionMnistDir);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  t.log(`read Fashion-MNIST in ${seconds.toFixed(3)} s`);
  t.deepEqual(data.train.shape, [60000, 1, 28, 28]);
  t.deepEqual(data.test.shape, [10000, 1, 28, 28]);
  t.is(data.train.images.length, 60000 * 784);
  const counts = (labels: ArrayLike<number>) => Array.from({ length: 10 }, (_, c) => Array.prototype.filter.call(labels, (y: number) => y === c).length);
  t.deepEqual(counts(data.train.labels), Array(10).fill(6000));
  t.deepEqual(counts(data.test.labels), Array(10).fill(1000));
  // Real images, not blank: pixel mean near the standard 0.2860 · 255.
  let sum = 0;
  for (const v of data.train.images) sum += v;
  t.true(Math.abs(sum / data.train.images.length / 255 - 0.286) < 0.01);
});
