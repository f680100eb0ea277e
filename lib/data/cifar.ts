// CIFAR-10 and CIFAR-100, binary version: fixed-size records of label byte(s) then 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, each 32×32 row-major), i.e. already CHW.
import * as path from 'path';
import { checkKeys, oneOf, ownOptions } from '../options';
import { checkDatasetDir, DatasetError, downloadHint, DOWNLOADS, findDatasetDir, readDatasetFile } from './dataset-files';
import { augmentationOf, normalizationOf } from './presets';
import type { DatasetSplits, ArraySet } from './types';

const PIXELS = 3 * 32 * 32;

interface RecordLayout {
  /** One entry per label byte before the pixels of each record: its number of classes. */
  labelClasses: number[];
  /** Which of the label bytes is the label we keep. */
  labelIndex: number;
}

const CIFAR10_LAYOUT: RecordLayout = { labelClasses: [10], labelIndex: 0 };
// CIFAR-100 records: coarse label (20 superclasses), fine label (100 classes), pixels.
const CIFAR100_FINE: RecordLayout = { labelClasses: [20, 100], labelIndex: 1 };
const CIFAR100_COARSE: RecordLayout = { labelClasses: [20, 100], labelIndex: 0 };

/** Concatenates the records of `files` into one NCHW image buffer and its labels. */
async function readRecords(name: string, files: string[], layout: RecordLayout): Promise<ArraySet> {
  const contents = await Promise.all(files.map(readDatasetFile));
  const labelBytes = layout.labelClasses.length;
  const numClasses = layout.labelClasses[layout.labelIndex];
  const recordBytes = labelBytes + PIXELS;
  contents.forEach((bytes, i) => {
    // An empty split passes every later check and fails only inside training (a division by zero).
    if (bytes.length === 0) throw new DatasetError(`${files[i]}: holds 0 images; expected at least one`);
    if (bytes.length % recordBytes !== 0) {
      throw new DatasetError(
        `${files[i]}: ${bytes.length} bytes is not a whole number of ${recordBytes}-byte records ` +
          `(${labelBytes} label byte(s) + ${PIXELS} pixels): the file is truncated or not CIFAR binary`,
      );
    }
  });
  const total = contents.reduce((sum, bytes) => sum + bytes.length / recordBytes, 0);
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  contents.forEach((bytes, fileIndex) => {
    const records = bytes.length / recordBytes;
    for (let r = 0; r < records; r += 1, n += 1) {
      const start = r * recordBytes;
      // Every label byte is checked, also the one not kept: a shifted or garbled record shows up in either.
      for (let b = 0; b < labelBytes; b += 1) {
        if (bytes[start + b] >= layout.labelClasses[b]) {
          throw new DatasetError(
            `${files[fileIndex]}: record ${r} has label ${bytes[start + b]} in label byte ${b}, ` +
              `out of range 0..${layout.labelClasses[b] - 1}`,
          );
        }
      }
      labels[n] = bytes[start + layout.labelIndex];
      images.set(bytes.subarray(start + labelBytes, start + recordBytes), n * PIXELS);
    }
  });
  return { name, kind: 'pixels', images, labels, shape: [total, 3, 32, 32], numClasses };
}

/**
 * CIFAR-10 (binary version). `dir` is either the folder `cifar-10-batches-bin` or its parent.
 * Train: data_batch_1..5.bin (50000 images), test: test_batch.bin (10000).
 */
export async function cifar10(dir: string): Promise<DatasetSplits> {
  checkDatasetDir('datasets.cifar10', dir);
  const trainFiles = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
  const root = await findDatasetDir(
    'cifar10', [path.join(dir, 'cifar-10-batches-bin'), dir], [...trainFiles, 'test_batch.bin'], downloadHint('cifar10', dir, DOWNLOADS.cifar),
  );
  const [train, test] = await Promise.all([
    readRecords('cifar10/train', trainFiles.map((f) => path.join(root, f)), CIFAR10_LAYOUT),
    readRecords('cifar10/test', [path.join(root, 'test_batch.bin')], CIFAR10_LAYOUT),
  ]);
  return {
    train: { ...train, normalization: normalizationOf('cifar10'), augmentation: augmentationOf('cifar10') },
    test: { ...test, normalization: normalizationOf('cifar10') },
  };
}

export interface Cifar100Options {
  /** 'fine': the 100 classes (default); 'coarse': the 20 superclasses. */
  labels?: 'fine' | 'coarse';
}

/**
 * CIFAR-100 (binary version). `dir` is either the folder `cifar-100-binary` or its parent.
 * Records hold the coarse label byte, then the fine label byte, then the pixels.
 */
export async function cifar100(dir: string, options: Cifar100Options = {}): Promise<DatasetSplits> {
  const where = 'datasets.cifar100';
  checkDatasetDir(where, dir);
  const o = ownOptions(where, options);
  checkKeys(where, o, ['labels']);
  const kind = oneOf(where, 'labels', o.labels ?? 'fine', ['fine', 'coarse'] as const);
  const root = await findDatasetDir(
    'cifar100', [path.join(dir, 'cifar-100-binary'), dir], ['train.bin', 'test.bin'], downloadHint('cifar100', dir, DOWNLOADS.cifar),
  );
  const layout = kind === 'fine' ? CIFAR100_FINE : CIFAR100_COARSE;
  const [train, test] = await Promise.all([
    readRecords('cifar100/train', [path.join(root, 'train.bin')], layout),
    readRecords('cifar100/test', [path.join(root, 'test.bin')], layout),
  ]);
  return {
    train: { ...train, normalization: normalizationOf('cifar100'), augmentation: augmentationOf('cifar100') },
    test: { ...test, normalization: normalizationOf('cifar100') },
  };
}
