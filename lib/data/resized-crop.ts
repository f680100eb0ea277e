// The crops for large images (ImageNet-style): torchvision's RandomResizedCrop for training and the centre crop
// for evaluation, done natively on the device (native/data/resized_crop.cc). Here: their options, checked,
// and the example shape the model then sees.
import { checkKeys, integer, number, OptionError, show } from '../options';
import type { Augmentation, ImageSet, ResizedCrop } from './types';

/** torchvision's RandomResizedCrop defaults. */
const DEFAULT_SCALE: [number, number] = [0.08, 1];
const DEFAULT_RATIO: [number, number] = [3 / 4, 4 / 3];

/**
 * torchvision's ImageNet training augmentation: RandomResizedCrop(size) with its default scale and ratio,
 * then RandomHorizontalFlip. Evaluation batches of the set are centre-cropped to `size`; the normalisation
 * stays the set's own.
 */
export function imagenetAugmentation(size = 224): Augmentation {
  integer('datasets.imagenetAugmentation', 'size', size, 1);
  return { cropPadding: 0, flip: true, cutout: 0, resizedCrop: { size, scale: [...DEFAULT_SCALE], ratio: [...DEFAULT_RATIO] } };
}

/** A [lo, hi] pair of finite numbers with 0 < lo <= hi (<= max). */
function range(where: string, name: string, value: unknown, max: number): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw new OptionError(`${where}: ${name} must be [lo, hi], got ${show(value)}`);
  const [lo, hi] = value.map((v, i) => number(where, `${name}[${i}]`, v, { above: 0, max }));
  if (lo > hi) throw new OptionError(`${where}: ${name} must be [lo, hi] with lo <= hi, got ${show(value)}`);
  return [lo, hi];
}

/** The resized crop with its defaults filled in: size 1..side (the image's smaller side), 0 < scale <= 1, 0 < ratio. */
export function checkResizedCrop(where: string, value: unknown, side: number): Required<ResizedCrop> {
  const name = 'augmentation.resizedCrop';
  if (typeof value !== 'object' || value === null) throw new OptionError(`${where}: ${name} must be { size, scale?, ratio? }, got ${show(value)}`);
  const r = value as ResizedCrop;
  checkKeys(`${where}: ${name}`, r, ['size', 'scale', 'ratio']);
  const size = integer(where, `${name}.size`, r.size, 1);
  if (size > side) throw new OptionError(`${where}: ${name}.size (${size}) must not exceed the image's smaller side (${side} pixels)`);
  return {
    size,
    scale: range(where, `${name}.scale`, r.scale ?? DEFAULT_SCALE, 1),
    ratio: range(where, `${name}.ratio`, r.ratio ?? DEFAULT_RATIO, Number.MAX_VALUE),
  };
}

/** An evaluation centre crop: 1..side, and the resized crop's size when the set has both (one input size for the model). */
export function checkCenterCrop(where: string, value: unknown, side: number, resizedSize: number | undefined): number {
  const size = integer(where, 'centerCrop', value, 1);
  if (size > side) throw new OptionError(`${where}: centerCrop (${size}) must not exceed the image's smaller side (${side} pixels)`);
  if (resizedSize !== undefined && size !== resizedSize) {
    throw new OptionError(`${where}: centerCrop (${size}) must equal augmentation.resizedCrop.size (${resizedSize}): ` +
      'training and evaluation batches reach the model at one size');
  }
  return size;
}

/** What decides an ImageSet's crops (parseModelName takes less than an ImageSet). */
export type Cropped = Pick<ImageSet, 'shape'> & Partial<Pick<ImageSet, 'centerCrop' | 'augmentation'>>;

/** The side every batch of the set is cropped to (training and evaluation), or undefined. */
export function cropSide(data: Cropped): number | undefined {
  return data.centerCrop ?? data.augmentation?.resizedCrop?.size;
}

/** One example's shape as the model sees it: [C, side, side] for cropped pixels, else the stored one. */
export function exampleShape(data: Cropped): number[] {
  const side = cropSide(data);
  const stored = data.shape.slice(1);
  return side === undefined ? stored : [stored[0], side, side];
}

/** The native Dataset's crop fields (absent when the set has none). */
export function nativeCrops(data: ImageSet): { resizedCrop?: number[]; centerCrop?: number } {
  const r = data.augmentation?.resizedCrop;
  return {
    resizedCrop: r && [r.size, ...(r.scale ?? DEFAULT_SCALE), ...(r.ratio ?? DEFAULT_RATIO)],
    centerCrop: data.centerCrop,
  };
}
