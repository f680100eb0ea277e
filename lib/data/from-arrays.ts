// In-memory data as an ImageSet, checked once at the boundary.
import { boolean, checkKeys, integer, OptionError } from '../options';
import type { Augmentation, ImageSet, Normalization } from './types';

export interface FromArraysOptions {
  images: Uint8Array | Float32Array;
  labels: Uint8Array | Int32Array;
  shape: number[];
  numClasses: number;
  name?: string;
  normalization?: Normalization;
  augmentation?: Augmentation;
}

export function fromArrays(options: FromArraysOptions): ImageSet {
  const where = 'datasets.fromArrays';
  if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
  checkKeys(where, options, ['images', 'labels', 'shape', 'numClasses', 'name', 'normalization', 'augmentation']);
  const { images, labels, shape } = options;
  if (!(images instanceof Uint8Array) && !(images instanceof Float32Array)) {
    throw new OptionError(`${where}: images must be a Uint8Array (0-255) or a Float32Array`);
  }
  if (!(labels instanceof Uint8Array) && !(labels instanceof Int32Array)) {
    throw new OptionError(`${where}: labels must be a Uint8Array or an Int32Array`);
  }
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 4)) {
    throw new OptionError(`${where}: shape must be [N, C, H, W] or [N, D], got ${JSON.stringify(shape)}`);
  }
  shape.forEach((d, i) => integer(where, `shape[${i}]`, d, i === 0 ? 0 : 1));
  const numClasses = integer(where, 'numClasses', options.numClasses, 2);
  const size = shape.reduce((a, b) => a * b, 1);
  if (images.length !== size) {
    throw new OptionError(`${where}: shape ${JSON.stringify(shape)} holds ${size} values but images has ${images.length}`);
  }
  if (labels.length !== shape[0]) {
    throw new OptionError(`${where}: ${shape[0]} examples but ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i += 1) {
    const y = labels[i];
    if (y < 0 || y >= numClasses) {
      throw new OptionError(`${where}: label ${y} at index ${i} is out of range: expected 0..${numClasses - 1}`);
    }
  }
  const channels = shape.length === 4 ? shape[1] : 1;
  if (options.normalization) {
    const { mean, std } = options.normalization;
    if (!Array.isArray(mean) || !Array.isArray(std) || ![...mean, ...std].every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new OptionError(`${where}: normalization must be { mean: number[], std: number[] } of finite numbers`);
    }
    if (mean.length !== channels || std.length !== channels) {
      throw new OptionError(`${where}: normalization needs ${channels} mean and std values, got ${mean.length} and ${std.length}`);
    }
    if (std.some((s) => !(s > 0))) throw new OptionError(`${where}: normalization std must be > 0, got [${std.join(', ')}]`);
  }
  const augmentation = options.augmentation === undefined ? undefined : checkAugmentation(where, options.augmentation, shape);
  if (options.name !== undefined && typeof options.name !== 'string') throw new OptionError(`${where}: name must be a string`);
  return {
    name: options.name ?? 'arrays',
    images,
    labels,
    shape: [...shape],
    numClasses,
    normalization: options.normalization,
    augmentation,
  };
}

/** Crop, flip and cutout need images [N, C, H, W], and windows no larger than the image. */
function checkAugmentation(where: string, a: Augmentation, shape: number[]): Augmentation {
  if (typeof a !== 'object' || a === null) throw new OptionError(`${where}: augmentation must be { cropPadding, flip, cutout }`);
  checkKeys(`${where}: augmentation`, a, ['cropPadding', 'flip', 'cutout']);
  const out = {
    cropPadding: integer(where, 'augmentation.cropPadding', a.cropPadding ?? 0, 0),
    flip: boolean(where, 'augmentation.flip', a.flip ?? false),
    cutout: integer(where, 'augmentation.cutout', a.cutout ?? 0, 0),
  };
  if (!out.flip && out.cropPadding === 0 && out.cutout === 0) return out;
  if (shape.length !== 4) throw new OptionError(`${where}: augmentation needs images [N, C, H, W]; shape is [${shape.join(', ')}]`);
  const side = Math.min(shape[2], shape[3]);
  for (const key of ['cropPadding', 'cutout'] as const) {
    if (out[key] > side) {
      throw new OptionError(`${where}: augmentation.${key} (${out[key]}) must not exceed the image's smaller side (${side} pixels)`);
    }
  }
  return out;
}
