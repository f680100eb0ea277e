// Whether a split can go through a model, checked before the first step so that a mismatch is one
// message naming the dataset, the model and what was expected (never LibTorch's "mat1 and mat2 shapes
// cannot be multiplied" or "Target 17 is out of bounds"). The native side checks the same again.
import { checkImageSetFields } from './data/image-set-check';
import { exampleShape } from './data/resized-crop';
import { checkTypedArrayOf } from './typed-array';
import type { DataKind, ImageSet } from './data/types';
import { DatasetError, OptionError } from './errors';
import { show } from './options';
import type { NativeModel } from './native';

const maxLabels = new WeakMap<ImageSet, number>();

/** The largest label of a split (computed once per ImageSet). */
function maxLabel(data: ImageSet): number {
  let max = maxLabels.get(data);
  if (max === undefined) {
    max = -1;
    for (const label of data.labels) if (label > max) max = label;
    maxLabels.set(data, max);
  }
  return max;
}

/**
 * An ImageSet as the readers and fromArrays make it, and its kind (declared or by default); `role` names it in
 * errors ("training data", ...). Arrays that no longer match its shape (fields changed after it was made) are a DatasetError.
 */
export function checkImageSet(where: string, data: unknown, role: string): { kind: DataKind } {
  if (typeof data !== 'object' || data === null) {
    throw new OptionError(`${where}: ${role} must be an ImageSet (from datasets.fromArrays or a dataset reader), got ${show(data)}`);
  }
  const d = data as ImageSet;
  return checkImageSetFields(where, `${role} '${d.name ?? 'unnamed'}'`, d,
    (message) => new DatasetError(`${message}; its fields were changed or its arrays resized after it was made`));
}

/**
 * The split fits the model: at least `minExamples` examples, and the kind (int64 token ids or float inputs),
 * example shape and labels the model takes, as the model itself says (native Network::CheckInput, InputDtype).
 */
export function checkDataFitsModel(where: string, data: ImageSet, model: NativeModel, role: string, minExamples = 1): void {
  const { kind } = checkImageSet(where, data, role);
  const name = `${role} '${data.name ?? 'unnamed'}'`;
  const n = data.shape[0] ?? 0;
  if (n < minExamples) throw new DatasetError(`${where}: ${name} has ${n} examples; expected at least ${minExamples}`);
  const mismatch = model.dataMismatch(exampleShape(data), maxLabel(data), kind);
  if (mismatch !== null) throw new DatasetError(`${where}: ${name} ${mismatch}`);
}

/** A batch size no larger than the split (a larger one would silently shrink to the split). */
export function checkBatchFits(where: string, data: ImageSet, role: string, sizes: Record<string, number>): void {
  const n = data.shape[0];
  for (const [option, size] of Object.entries(sizes)) {
    if (size > n) {
      throw new OptionError(`${where}: ${option} (${size}) exceeds the ${n} examples of ${role} '${data.name ?? 'unnamed'}'; ` +
        `expected at most ${n}`);
    }
  }
}

/** Example indices: a non-empty Int32Array, each in 0..size-1 (`name` says which argument). */
export function checkIndices(where: string, name: string, value: unknown, size: number): Int32Array {
  const expected = 'a non-empty Int32Array of example indices';
  const indices = checkTypedArrayOf<Int32Array>(where, name, value, ['Int32Array'], expected);
  if (indices.length === 0) throw new OptionError(`${where}: ${name} must be ${expected}, got an empty one`);
  for (const i of indices) {
    if (i < 0 || i >= size) throw new OptionError(`${where}: ${name} must lie in 0..${size - 1}, got ${i}`);
  }
  return indices;
}
