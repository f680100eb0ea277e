// datasets.prepared: a prepared store (datasets.prepare / `pof prepare`) opened for training. Its labels are
// read into memory; its inputs stay on disk and the native side reads them a batch at a time, so a store
// larger than memory trains with memory bounded by its batches.
import * as path from 'path';
import { DatasetError } from '../errors';
import { checkKeys, ownOptions, OptionError, show } from '../options';
import { readRegularFile } from '../file-access';
import { readNpyFile, readNpyLayout } from './npy';
import { STORE_INPUTS, STORE_LABELS, STORE_MANIFEST, type PreparedManifest } from './store-format';
import type { StoredSet } from './types';

// A manifest lists every example's file: 64 MiB holds a million long paths.
const MAX_MANIFEST_BYTES = 64 << 20;

export interface PreparedOptions {
  /** Default: the directory's name. */
  name?: string;
}

/** A split whose pixels stay in `dir`'s inputs.npy, normalised with the mean and std measured when it was prepared. */
export async function prepared(dir: string, options: PreparedOptions = {}): Promise<StoredSet & { classes: string[] }> {
  const where = 'datasets.prepared';
  if (typeof dir !== 'string' || dir === '') throw new OptionError(`${where}: dir must be a non-empty string, got ${show(dir)}`);
  const o = ownOptions(where, options);
  checkKeys(where, o, ['name']);
  if (o.name !== undefined && typeof o.name !== 'string') throw new OptionError(`${where}: name must be a string, got ${show(o.name)}`);
  const root = path.resolve(dir);
  const manifest = await readManifest(path.join(root, STORE_MANIFEST));
  const inputsFile = path.join(root, STORE_INPUTS), labelsFile = path.join(root, STORE_LABELS);
  const [c, h, w] = manifest.shape;
  const n = manifest.examples;
  const inputs = await readNpyLayout(inputsFile);
  const expected = `uint8 (${[n, c, h, w].join(', ')}) in C order, as ${STORE_MANIFEST} says`;
  if (inputs.dtype !== 'uint8' || inputs.fortranOrder || inputs.shape.join() !== [n, c, h, w].join()) {
    throw new DatasetError(`${inputsFile}: holds ${inputs.dtype} (${inputs.shape.join(', ')})${inputs.fortranOrder ? ' in Fortran order' : ''}; ` +
      `expected ${expected}`);
  }
  const labels = await readNpyFile(labelsFile);
  if (labels.shape.length !== 1 || labels.shape[0] !== n || !(labels.data instanceof Int32Array)) {
    throw new DatasetError(`${labelsFile}: holds ${labels.dtype} (${labels.shape.join(', ')}); expected int32 or int64 (${n}), as ${STORE_MANIFEST} says`);
  }
  const bad = labels.data.findIndex((y) => y < 0 || y >= manifest.numClasses);
  if (bad >= 0) {
    throw new DatasetError(`${labelsFile}: label ${labels.data[bad]} at index ${bad} is out of range: expected 0..${manifest.numClasses - 1} ` +
      `(${manifest.numClasses} classes in ${STORE_MANIFEST})`);
  }
  return {
    name: o.name ?? path.basename(root), kind: 'pixels',
    images: { file: inputsFile, offset: inputs.offset, dtype: 'uint8' },
    labels: labels.data, shape: [n, c, h, w], numClasses: manifest.numClasses,
    normalization: { mean: manifest.mean, std: manifest.std }, classes: manifest.classes,
  };
}

async function readManifest(file: string): Promise<PreparedManifest> {
  const bytes = await readRegularFile(file, { maxBytes: MAX_MANIFEST_BYTES, tooLarge: (m) => new DatasetError(m) });
  let m: PreparedManifest;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DatasetError(`${file}: not JSON (${(error as Error).message}); expected the manifest datasets.prepare writes`);
  }
  const bad = (what: string) => new DatasetError(`${file}: ${what}; expected the manifest datasets.prepare writes`);
  if (typeof m !== 'object' || m === null || m.format !== 'pof-prepared') throw bad(`format is ${show(m?.format)}, not 'pof-prepared'`);
  if (m.version !== 1) throw bad(`version ${show(m.version)} is not one this version reads (1)`);
  if (m.kind !== 'pixels' || m.dtype !== 'uint8') throw bad(`kind ${show(m.kind)} of dtype ${show(m.dtype)}: only uint8 pixels are read`);
  const count = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  if (!count(m.examples, 1)) throw bad(`examples is ${show(m.examples)}, not a count >= 1`);
  if (!Array.isArray(m.shape) || m.shape.length !== 3 || !m.shape.every((d) => count(d, 1))) throw bad(`shape is ${show(m.shape)}, not [C, H, W]`);
  if (!count(m.numClasses, 1)) throw bad(`numClasses is ${show(m.numClasses)}, not a count >= 1`);
  if (!Array.isArray(m.classes) || m.classes.length !== m.numClasses || !m.classes.every((c) => typeof c === 'string')) {
    throw bad(`classes must be ${m.numClasses} names`);
  }
  const channels = m.shape[0];
  for (const key of ['mean', 'std'] as const) {
    const v = m[key];
    if (!Array.isArray(v) || v.length !== channels || !v.every((x) => Number.isFinite(x) && (key === 'mean' || x > 0))) {
      throw bad(`${key} must be ${channels} finite numbers${key === 'std' ? ' > 0' : ''}, got ${show(v)}`);
    }
  }
  return m;
}
