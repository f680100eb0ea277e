// A seeded random subset of a split (for smoke runs and quick experiments), copied into its own buffers.
import { checkImageSet } from '../data-fit';
import { integer, OptionError } from '../options';
import { Random } from './random';
import { isStored, type ArraySet, type ImageSet } from './types';

/** `size` examples of `data` drawn without replacement (seeded), in their original order. */
export function subset(data: ArraySet, size: number, seed = 0): ArraySet {
  const where = 'datasets.subset';
  checkImageSet(where, data, 'data');
  if (isStored(data as ImageSet)) {
    throw new OptionError(`${where}: ${data.name} is read from disk a batch at a time (a prepared store, or fromNpy's stream); take a ` +
      'subset when preparing or saving it (datasets.prepare\'s classes), read it into memory (fromNpy without stream), or train on all of it');
  }
  const total = data.shape[0];
  integer(where, 'size', size, 1);
  if (size > total) throw new OptionError(`${where}: size ${size} exceeds the ${total} examples of ${data.name}`);
  if (size === total) return data;
  // Partial Fisher–Yates: the first `size` slots of a seeded permutation.
  const order = Int32Array.from({ length: total }, (_, i) => i);
  const random = new Random(integer(where, 'seed', seed, 0));
  for (let i = 0; i < size; i += 1) {
    const j = i + random.below(total - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return pickExamples(data, order.subarray(0, size).sort(), `${data.name}[${size}]`);
}

/** The examples at `indices` (in that order) copied into a set of their own, named `name`. */
export function pickExamples(data: ArraySet, indices: Int32Array, name: string): ArraySet {
  const total = data.shape[0];
  const size = indices.length;
  const perExample = data.images.length / total;
  const images = new (data.images.constructor as Uint8ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor)(size * perExample);
  const labels = new (data.labels.constructor as Uint8ArrayConstructor | Int32ArrayConstructor)(size);
  indices.forEach((from, k) => {
    images.set(data.images.subarray(from * perExample, (from + 1) * perExample), k * perExample);
    labels[k] = data.labels[from];
  });
  return { ...data, name, images, labels, shape: [size, ...data.shape.slice(1)] };
}
