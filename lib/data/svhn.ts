// SVHN, format 2 (cropped 32×32 digits): train_32x32.mat, test_32x32.mat, extra_32x32.mat.
// Each file holds X, 32×32×3×N uint8 in MATLAB's column-major order (X(h, w, c, n)), and y, N labels
// 1..10 where 10 stands for the digit 0.
import * as path from 'path';
import { boolean, checkKeys, ownOptions } from '../options';
import { checkDatasetDir, DatasetError, downloadHint, DOWNLOADS, findDatasetDir } from './dataset-files';
import { readMatFile } from './matfile';
import { augmentationOf, normalizationOf } from './presets';
import type { DatasetSplits, ArraySet } from './types';

const SIDE = 32;
const CHANNELS = 3;
const PIXELS = CHANNELS * SIDE * SIDE;
const NUM_CLASSES = 10;

/**
 * Column-major X(h, w, c, n) keeps each (c, n) plane contiguous with w as its row: transposing every
 * plane in place gives NCHW without a second copy of the pixels (the extra split is 1.6 GB).
 */
function planesToRowMajor(data: Uint8Array, planes: number, side: number): void {
  const area = side * side;
  for (let p = 0; p < planes; p += 1) {
    const base = p * area;
    for (let i = 0; i < side; i += 1) {
      for (let j = i + 1; j < side; j += 1) {
        const a = base + i * side + j;
        const b = base + j * side + i;
        const t = data[a];
        data[a] = data[b];
        data[b] = t;
      }
    }
  }
}

interface SvhnPart {
  images: Uint8Array;
  labels: Uint8Array;
}

async function readSvhnFile(file: string): Promise<SvhnPart> {
  const variables = await readMatFile(file, { variables: ['X', 'y'] });
  const x = variables.get('X');
  const y = variables.get('y');
  if (!x || !y) {
    throw new DatasetError(`${file}: no variable ${x ? "'y'" : "'X'"}; SVHN format 2 files hold X (32×32×3×N uint8) and y (N labels 1..10)`);
  }
  // MATLAB drops trailing singleton dimensions: a file of one image has X of 32×32×3.
  const [h, w, c, n = 1, ...rest] = x.dims;
  if (h !== SIDE || w !== SIDE || c !== CHANNELS || rest.some((d) => d !== 1)) {
    throw new DatasetError(`${file}: X is ${x.dims.join('×')}, expected 32×32×3×N`);
  }
  // An empty split passes every later check and fails only inside training (a division by zero).
  if (n === 0) throw new DatasetError(`${file}: X declares 0 images; expected at least one`);
  if (!(x.real instanceof Uint8Array)) throw new DatasetError(`${file}: X is of class ${x.className}, expected uint8`);
  if (y.real.length !== n) throw new DatasetError(`${file}: y holds ${y.real.length} labels but X holds ${n} images`);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const label = y.real[i];
    if (!Number.isInteger(label) || label < 1 || label > NUM_CLASSES) {
      throw new DatasetError(`${file}: label ${label} at index ${i} is out of range: expected 1..10 (10 is the digit 0)`);
    }
    labels[i] = label % NUM_CLASSES;
  }
  planesToRowMajor(x.real, n * CHANNELS, SIDE);
  return { images: x.real, labels };
}

function concatenate(parts: SvhnPart[]): SvhnPart {
  const total = parts.reduce((sum, part) => sum + part.labels.length, 0);
  const images = new Uint8Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let n = 0;
  for (const part of parts) {
    images.set(part.images, n * PIXELS);
    labels.set(part.labels, n);
    n += part.labels.length;
  }
  return { images, labels };
}

function imageSet(name: string, part: SvhnPart): ArraySet {
  return { name, kind: 'pixels', images: part.images, labels: part.labels, shape: [part.labels.length, CHANNELS, SIDE, SIDE], numClasses: NUM_CLASSES };
}

export interface SvhnOptions {
  /** Add the 531,131 images of extra_32x32.mat to the training split, as the paper does. Default false. */
  extra?: boolean;
}

/**
 * SVHN (format 2) from `dir` holding train_32x32.mat and test_32x32.mat (and extra_32x32.mat with
 * `{ extra: true }`). Labels are the digits 0..9 (the files' label 10 becomes 0).
 */
export async function svhn(dir: string, options: SvhnOptions = {}): Promise<DatasetSplits> {
  const where = 'datasets.svhn';
  checkDatasetDir(where, dir);
  const o = ownOptions(where, options);
  checkKeys(where, o, ['extra']);
  const extra = boolean(where, 'extra', o.extra ?? false);
  const files = ['train_32x32.mat', 'test_32x32.mat', ...(extra ? ['extra_32x32.mat'] : [])];
  const root = await findDatasetDir('svhn', [dir], files, downloadHint('svhn', dir, DOWNLOADS.svhn, extra ? ' --svhn-extra' : ''));
  const [train, test] = await Promise.all([
    readSvhnFile(path.join(root, 'train_32x32.mat')),
    readSvhnFile(path.join(root, 'test_32x32.mat')),
  ]);
  const trainPart = extra ? concatenate([train, await readSvhnFile(path.join(root, 'extra_32x32.mat'))]) : train;
  return {
    train: {
      ...imageSet(extra ? 'svhn/train+extra' : 'svhn/train', trainPart),
      normalization: normalizationOf('svhn'),
      augmentation: augmentationOf('svhn'),
    },
    test: { ...imageSet('svhn/test', test), normalization: normalizationOf('svhn') },
  };
}
