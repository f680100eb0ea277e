// In-memory data as an ImageSet, checked once at the boundary.
import { boolean, checkKeys, integer, OptionError, ownOptions } from '../options';
import { checkImageSetFields } from './image-set-check';
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
  const o = ownOptions(where, options);
  checkKeys(where, o, ['images', 'labels', 'shape', 'numClasses', 'name', 'normalization', 'augmentation']);
  const fields = checkImageSetFields(where, '', o, (message) => new OptionError(message));
  const { labels, numClasses } = fields;
  for (let i = 0; i < labels.length; i += 1) {
    const y = labels[i];
    if (y < 0 || y >= numClasses) {
      throw new OptionError(`${where}: label ${y} at index ${i} is out of range: expected 0..${numClasses - 1}`);
    }
  }
  const augmentation = o.augmentation === undefined ? undefined : checkAugmentation(where, o.augmentation, fields.shape);
  if (o.name !== undefined && typeof o.name !== 'string') throw new OptionError(`${where}: name must be a string`);
  return { name: o.name ?? 'arrays', ...fields, augmentation };
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
