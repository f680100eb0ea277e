// In-memory data as an ImageSet, checked once at the boundary.
import { types } from 'util';
import { boolean, checkKeys, integer, OptionError, ownOptions } from '../options';
import { checkTypedArray, checkTypedArrayOf } from '../typed-array';
import { checkImageSetFields, checkLabelRange } from './image-set-check';
import { checkCenterCrop, checkResizedCrop } from './resized-crop';
import type { ArrayInputs, ArraySet, Augmentation, DataKind, Normalization } from './types';

export interface FromArraysOptions {
  /** What `images` holds (see DataKind); by default pixels for a Uint8Array [N, C, H, W], values for a Float32Array, tokens for an Int32Array. */
  kind?: DataKind;
  images: Uint8Array | Float32Array | Int32Array;
  /** int64 labels (e.g. from NumPy) are taken as a BigInt64Array, each in 0..numClasses-1. */
  labels: Uint8Array | Int32Array | BigInt64Array;
  shape: number[];
  numClasses: number;
  name?: string;
  normalization?: Normalization;
  augmentation?: Augmentation;
  /** For pixels: evaluation batches centre-cropped to this side (a set with augmentation.resizedCrop: its size by default). */
  centerCrop?: number;
}

export function fromArrays(options: FromArraysOptions): ArraySet {
  const where = 'datasets.fromArrays';
  const o = ownOptions(where, options);
  checkKeys(where, o, ['kind', 'images', 'labels', 'shape', 'numClasses', 'name', 'normalization', 'augmentation', 'centerCrop']);
  // Arrays in memory only: a stored array comes from datasets.prepared, which checks its file.
  const images = checkTypedArrayOf<ArrayInputs>(where, 'images', o.images, ['Uint8Array', 'Float32Array', 'Int32Array']);
  const fields = { ...checkImageSetFields(where, '', { ...o, labels: int64Labels(where, o.labels, o.numClasses) },
    (message) => new OptionError(message)), images };
  checkLabelRange(where, fields.labels, fields.numClasses);
  if (fields.kind === 'tokens') checkTokenIds(where, fields.images);
  const augmentation = o.augmentation === undefined ? undefined : checkAugmentation(where, o.augmentation, fields.shape, fields.kind);
  const centerCrop = o.centerCrop === undefined ? undefined : checkPixelsCenterCrop(where, o.centerCrop, fields.shape, fields.kind,
    augmentation?.resizedCrop?.size);
  if (o.name !== undefined && typeof o.name !== 'string') throw new OptionError(`${where}: name must be a string`);
  return { name: o.name ?? 'arrays', ...fields, augmentation, ...(centerCrop === undefined ? {} : { centerCrop }) };
}

/** BigInt64Array labels as an Int32Array (each in range: they index the classes); other labels as they are. */
function int64Labels(where: string, labels: unknown, numClasses: unknown): Uint8Array | Int32Array {
  if (!types.isBigInt64Array(labels)) return labels as Uint8Array | Int32Array;
  checkTypedArray(where, 'labels', labels);
  // numClasses itself is checked after; until then the Int32Array's own bound.
  const top = Number.isSafeInteger(numClasses) && (numClasses as number) > 0 ? BigInt(numClasses as number) : 2n ** 31n;
  const out = new Int32Array(labels.length);
  labels.forEach((y, i) => {
    if (y < 0n || y >= top) {
      throw new OptionError(`${where}: label ${y} at index ${i} is out of range: expected 0..${top - 1n}`);
    }
    out[i] = Number(y);
  });
  return out;
}

/** Token ids index an embedding: a negative one would read outside it. */
function checkTokenIds(where: string, ids: ArrayLike<number>): void {
  for (let i = 0; i < ids.length; i += 1) {
    if (ids[i] < 0) throw new OptionError(`${where}: token id ${ids[i]} at index ${i} is negative; expected ids >= 0`);
  }
}

/** Crop, flip and cutout need pixels [N, C, H, W], and windows no larger than the image (or the resized crop). */
function checkAugmentation(where: string, a: Augmentation, shape: number[], kind: DataKind): Augmentation {
  if (typeof a !== 'object' || a === null) throw new OptionError(`${where}: augmentation must be { cropPadding, flip, cutout, resizedCrop? }`);
  checkKeys(`${where}: augmentation`, a, ['cropPadding', 'flip', 'cutout', 'resizedCrop']);
  const out: Augmentation = {
    cropPadding: integer(where, 'augmentation.cropPadding', a.cropPadding ?? 0, 0),
    flip: boolean(where, 'augmentation.flip', a.flip ?? false),
    cutout: integer(where, 'augmentation.cutout', a.cutout ?? 0, 0),
  };
  if (!out.flip && out.cropPadding === 0 && out.cutout === 0 && a.resizedCrop === undefined) return out;
  if (kind !== 'pixels') {
    throw new OptionError(`${where}: augmentation (crop, flip, cutout) applies to pixels only; these inputs are ${kind}, ` +
      'taken as they are: leave augmentation out');
  }
  const side = Math.min(shape[2], shape[3]);
  if (a.resizedCrop !== undefined) {
    out.resizedCrop = checkResizedCrop(where, a.resizedCrop, side);
    if (out.cropPadding > 0) {
      throw new OptionError(`${where}: augmentation.resizedCrop replaces the padded crop: leave augmentation.cropPadding 0 beside it`);
    }
  }
  const window = out.resizedCrop?.size ?? side;
  for (const key of ['cropPadding', 'cutout'] as const) {
    if (out[key] > window) {
      throw new OptionError(`${where}: augmentation.${key} (${out[key]}) must not exceed ${out.resizedCrop ? 'the resized crop\'s side' :
        'the image\'s smaller side'} (${window} pixels)`);
    }
  }
  return out;
}

/** A centre crop of pixels, no larger than the image. */
function checkPixelsCenterCrop(where: string, value: unknown, shape: number[], kind: DataKind, resizedSize: number | undefined): number {
  if (kind !== 'pixels') throw new OptionError(`${where}: centerCrop applies to pixels only; these inputs are ${kind}: leave it out`);
  return checkCenterCrop(where, value, Math.min(shape[2], shape[3]), resizedSize);
}
