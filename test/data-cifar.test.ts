import test from 'ava';
import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { cifar10, cifar100 } from '../lib/data/cifar';
import { DatasetError, FileError, OptionError } from '../lib/errors';
import { patternImages, tempDir } from './helpers/fixtures';
import { settlesWithin } from './helpers/settles-within';

const PIXELS = 3 * 32 * 32;

/** CIFAR binary records: the label bytes of each image, then its 3072 CHW pixels. */
function records(images: Uint8Array, labelBytes: number[][]): Buffer {
  return Buffer.concat(labelBytes.map((labels, i) => Buffer.concat([Buffer.from(labels), images.subarray(i * PIXELS, (i + 1) * PIXELS)])));
}

// Batches of different sizes, so the order of concatenation is checked too.
const batchLabels = [[3, 1], [9], [0, 2, 7], [5], [4, 8]];
const batchImages = batchLabels.map((labels, b) => patternImages(labels.length, 3, 32, 32, b + 1));
const testImages = patternImages(2, 3, 32, 32, 9);

function writeCifar10(dir: string): void {
  mkdirSync(dir, { recursive: true });
  batchLabels.forEach((labels, b) => writeFileSync(path.join(dir, `data_batch_${b + 1}.bin`), records(batchImages[b], labels.map((y) => [y]))));
  writeFileSync(path.join(dir, 'test_batch.bin'), records(testImages, [[6], [1]]));
}

const parent = tempDir('cifar10');
const folder = path.join(parent, 'cifar-10-batches-bin');
writeCifar10(folder);

test('cifar10 reads all batches in order, pixel-exact, from the parent or the folder itself', async (t) => {
  for (const dir of [parent, folder]) {
    const data = await cifar10(dir);
    t.is(data.train.name, 'cifar10/train');
    t.deepEqual(data.train.shape, [9, 3, 32, 32]);
    t.deepEqual([...data.train.labels], batchLabels.flat());
    t.deepEqual(Buffer.from(data.train.images), Buffer.concat(batchImages));
    t.deepEqual(data.test.shape, [2, 3, 32, 32]);
    t.deepEqual([...data.test.labels], [6, 1]);
    t.deepEqual(Buffer.from(data.test.images), Buffer.from(testImages));
    t.is(data.train.numClasses, 10);
    t.deepEqual(data.train.normalization, { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] });
    t.deepEqual(data.train.augmentation, { cropPadding: 4, flip: true, cutout: 16 });
    t.deepEqual(data.test.normalization, data.train.normalization);
    t.is(data.test.augmentation, undefined);
  }
});

test('cifar10: missing files name the directory, the files and the download page', async (t) => {
  const empty = tempDir('cifar10-empty');
  await t.throwsAsync(cifar10(empty), {
    message: /cifar10: expected the files data_batch_1\.bin, .*data_batch_5\.bin, test_batch\.bin in .*cifar-10-batches-bin or .*pof-cifar10-empty-\w+.*www\.cs\.toronto\.edu\/~kriz\/cifar\.html/,
  });
});

test('cifar10: a truncated batch or a label out of range is an error naming the file', async (t) => {
  const dir = tempDir('cifar10-bad');
  writeCifar10(dir);
  const batch = path.join(dir, 'data_batch_3.bin');
  writeFileSync(batch, records(batchImages[2], [[0], [2], [7]]).subarray(0, 3073 * 3 - 1));
  await t.throwsAsync(cifar10(dir), { message: /data_batch_3\.bin: 9218 bytes is not a whole number of 3073-byte records/ });
  writeFileSync(batch, records(batchImages[2], [[0], [10], [7]]));
  await t.throwsAsync(cifar10(dir), { message: /data_batch_3\.bin: record 1 has label 10 in label byte 0, out of range 0\.\.9/ });
  writeFileSync(batch, Buffer.alloc(0));
  await t.throwsAsync(cifar10(dir), { instanceOf: DatasetError, message: /data_batch_3\.bin: holds 0 images; expected at least one/ });
});

const coarse = [19, 0, 7];
const fine = [99, 3, 42];
const cifar100Parent = tempDir('cifar100');
const cifar100Folder = path.join(cifar100Parent, 'cifar-100-binary');
const trainImages100 = patternImages(3, 3, 32, 32, 4);
mkdirSync(cifar100Folder);
writeFileSync(path.join(cifar100Folder, 'train.bin'), records(trainImages100, coarse.map((c, i) => [c, fine[i]])));
writeFileSync(path.join(cifar100Folder, 'test.bin'), records(testImages, [[1, 2], [3, 4]]));

test('cifar100 gives fine labels by default and coarse ones on request', async (t) => {
  const data = await cifar100(cifar100Parent);
  t.is(data.train.numClasses, 100);
  t.deepEqual([...data.train.labels], fine);
  t.deepEqual([...data.test.labels], [2, 4]);
  t.deepEqual(Buffer.from(data.train.images), Buffer.from(trainImages100));
  t.deepEqual(data.train.normalization, { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] });
  t.deepEqual(data.train.augmentation, { cropPadding: 4, flip: true, cutout: 16 });
  const coarseData = await cifar100(cifar100Folder, { labels: 'coarse' });
  t.is(coarseData.train.numClasses, 20);
  t.deepEqual([...coarseData.train.labels], coarse);
  t.deepEqual([...coarseData.test.labels], [1, 3]);
  t.deepEqual(Buffer.from(coarseData.test.images), Buffer.from(testImages));
});

test('cifar100: bad options, a coarse label out of range, a missing file are errors', async (t) => {
  await t.throwsAsync(cifar100(cifar100Parent, { labels: 'medium' as never }), { message: /labels must be one of 'fine', 'coarse', got 'medium'/ });
  const dir = tempDir('cifar100-bad');
  writeFileSync(path.join(dir, 'train.bin'), records(trainImages100, [[1, 2], [20, 3], [0, 0]]));
  await t.throwsAsync(cifar100(dir), { message: /cifar100: expected the files train\.bin, test\.bin in .*cifar-100-binary or .*www\.cs\.toronto\.edu/ });
  writeFileSync(path.join(dir, 'test.bin'), records(testImages, [[1, 2], [3, 4]]));
  await t.throwsAsync(cifar100(dir), { message: /train\.bin: record 1 has label 20 in label byte 0, out of range 0\.\.19/ });
  // An empty test split (a training set alone would pass the record checks).
  writeFileSync(path.join(dir, 'train.bin'), records(trainImages100, coarse.map((c, i) => [c, fine[i]])));
  writeFileSync(path.join(dir, 'test.bin'), Buffer.alloc(0));
  await t.throwsAsync(cifar100(dir), { instanceOf: DatasetError, message: /test\.bin: holds 0 images; expected at least one/ });
});

test('cifar10 and cifar100 given no directory, a number or null, or options that are not an object, are an OptionError', async (t) => {
  for (const [read, name] of [[cifar10, 'cifar10'], [cifar100, 'cifar100']] as const) {
    for (const dir of [undefined, 5, null]) {
      await t.throwsAsync(read(dir as never), { instanceOf: OptionError, message: new RegExp(`^datasets\\.${name}: dir must be the path of the directory holding the dataset's download, got ${dir}$`) });
    }
  }
  for (const options of [null, 5, 'fine']) {
    await t.throwsAsync(cifar100(cifar100Parent, options as never), { instanceOf: OptionError, message: /^datasets\.cifar100: options must be an object/ });
  }
  // Only own keys are read: an inherited one is not taken as an option.
  t.is((await cifar100(cifar100Parent, Object.create({ labels: 'coarse' }))).train.numClasses, 100);
});

test('a FIFO where a CIFAR batch belongs is named for what it is, not missing, and does not block', async (t) => {
  const dir = tempDir('cifar10-fifo');
  writeCifar10(dir);
  const batch = path.join(dir, 'data_batch_2.bin');
  rmSync(batch);
  execFileSync('mkfifo', [batch]);
  await t.throwsAsync(settlesWithin(cifar10(dir)), {
    instanceOf: FileError, code: 'ERR_POF_IO', message: /^cifar10: cannot read .*data_batch_2\.bin: it is a FIFO \(named pipe\), not a regular file \(EFTYPE\)$/,
  });
});
