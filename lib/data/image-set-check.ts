// What an ImageSet's fields must be: checked by fromArrays when one is made, and again wherever one is used
// (subset, the trainer), since a caller may have changed its fields or detached its arrays since.
import * as path from 'path';
import { types } from 'util';
import { checkNumber, FLOAT32_MAX, RULES } from '../defaults';
import { OptionError, PoFError } from '../errors';
import { checkKeys, integer, oneOf, show } from '../options';
import { checkTypedArrayOf } from '../typed-array';
import { DATA_KINDS, STORED_DTYPES, type ArrayInputs, type DataKind, type ImageSet, type Normalization, type StoredInputs } from './types';

/** The smallest normal float32 (2^-126): dividing by a smaller std loses precision or overflows. */
const FLOAT32_MIN_NORMAL = 2 ** -126;


/** The fields checked here, as the caller gave them. */
export type ImageSetFields = Pick<ImageSet, 'kind' | 'images' | 'labels' | 'shape' | 'numClasses' | 'normalization'>;

/** The typed arrays each kind may come in. */
const KIND_ARRAYS = {
  pixels: ['Uint8Array'], values: ['Float32Array', 'Uint8Array'], tokens: ['Int32Array', 'Uint8Array'],
} as const satisfies Record<DataKind, readonly string[]>;

/**
 * The fields of an ImageSet, checked: plain typed arrays of the right kinds, as many values as `shape` says
 * (a mismatch is `mismatch(message)`), numClasses within a model's bound, and the normalisation fit for
 * float32. `of` names the set in messages ('' for fromArrays' own options).
 */
export function checkImageSetFields(where: string, of: string, fields: ImageSetFields,
  mismatch: (message: string) => PoFError): ImageSetFields & { kind: DataKind } {
  const name = (field: string) => (of ? `${of}: ${field}` : field);
  const images = isStoredInputs(fields.images) ? checkStoredInputs(where, name('images'), fields.images)
    : checkTypedArrayOf<ArrayInputs>(where, name('images'), fields.images, ['Uint8Array', 'Float32Array', 'Int32Array']);
  const labels = checkTypedArrayOf<Uint8Array | Int32Array>(where, name('labels'), fields.labels, ['Uint8Array', 'Int32Array']);
  const { shape } = fields;
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new OptionError(`${where}: ${name('shape')} must be [N, C, H, W] for pixels or [N, ...] for values and tokens, ` +
      `got ${JSON.stringify(shape)}`);
  }
  const kind = checkKind(where, name, fields.kind, images, shape);
  shape.forEach((d, i) => integer(where, name(`shape[${i}]`), d, i === 0 ? 0 : 1));
  const size = shape.reduce((a, b) => a * b, 1);
  // A stored array's size is checked against its file when the native side opens it.
  if (ArrayBuffer.isView(images) && images.length !== size) throw mismatch(`${where}: ${name('shape')} ${JSON.stringify(shape)} holds ${size} values but images has ${images.length}`);
  if (labels.length !== shape[0]) throw mismatch(`${where}: ${of ? `${of} has ` : ''}${shape[0]} examples but ${labels.length} labels`);
  const numClasses = checkNumber(where, name('numClasses'), fields.numClasses, RULES.numClasses);
  const normalization = fields.normalization === undefined ? undefined : checkNormalization(where, name('normalization'), fields.normalization, kind,
    shape[1]);
  return { kind, images, labels, shape: [...shape], numClasses, normalization };
}

/** Every label a class index: 0..numClasses-1 (an OptionError naming the first that is not). */
export function checkLabelRange(where: string, labels: Uint8Array | Int32Array, numClasses: number): void {
  const bad = labels.findIndex((y) => y < 0 || y >= numClasses);
  if (bad >= 0) throw new OptionError(`${where}: label ${labels[bad]} at index ${bad} is out of range: expected 0..${numClasses - 1}`);
}

/**
 * The declared kind, or the default for the array (Uint8Array [N, C, H, W] pixels, Float32Array values,
 * Int32Array tokens): a Uint8Array of another rank could be ids or numbers, and guessing pixels would divide
 * them by 255, so it must say. The array must be one the kind comes in, and pixels [N, C, H, W].
 */
function checkKind(where: string, name: (field: string) => string, declared: unknown, images: ArrayInputs | StoredInputs,
  shape: unknown[]): DataKind {
  const array = arrayOf(images);
  let kind: DataKind;
  if (declared !== undefined) {
    kind = oneOf(where, name('kind'), declared, DATA_KINDS);
  } else if (array === 'Uint8Array' && shape.length !== 4) {
    throw new OptionError(`${where}: ${name('images')} is a Uint8Array of shape ${JSON.stringify(shape)}: declare its kind ` +
      `('pixels' for images [N, C, H, W], 'tokens' for ids, 'values' for numbers taken as they are)`);
  } else {
    kind = array === 'Uint8Array' ? 'pixels' : array === 'Float32Array' ? 'values' : 'tokens';
  }
  const allowed: readonly string[] = KIND_ARRAYS[kind];
  if (!allowed.includes(array)) {
    throw new OptionError(`${where}: ${name('images')} is a ${array}, but kind '${kind}' takes ${allowed.join(' or ')}`);
  }
  if (kind === 'pixels' && shape.length !== 4) {
    throw new OptionError(`${where}: ${name('shape')} must be [N, C, H, W] for pixels, got ${JSON.stringify(shape)}`);
  }
  return kind;
}

/** The typed array an in-memory copy of `images` would be (a stored int64 array of ids reads as an Int32Array). */
function arrayOf(images: ArrayInputs | StoredInputs): 'Uint8Array' | 'Float32Array' | 'Int32Array' {
  if (ArrayBuffer.isView(images)) return types.isUint8Array(images) ? 'Uint8Array' : types.isFloat32Array(images) ? 'Float32Array' : 'Int32Array';
  return images.dtype === 'uint8' ? 'Uint8Array' : images.dtype === 'float32' ? 'Float32Array' : 'Int32Array';
}

function isStoredInputs(value: unknown): value is StoredInputs {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && 'file' in value;
}

function checkStoredInputs(where: string, name: string, value: StoredInputs): StoredInputs {
  checkKeys(`${where}: ${name}`, value, ['file', 'offset', 'dtype']);
  if (typeof value.file !== 'string' || !path.isAbsolute(value.file)) {
    throw new OptionError(`${where}: ${name}.file must be an absolute path, got ${show(value.file)}`);
  }
  return { file: value.file, offset: integer(where, `${name}.offset`, value.offset, 0), dtype: oneOf(where, `${name}.dtype`, value.dtype, STORED_DTYPES) };
}

/**
 * x = (pixel / 255 - mean[c]) / std[c] is computed natively in float32, for pixels only: each std a normal
 * positive float32 and every x within float32. Values and tokens are used as they are, so a normalisation there is refused.
 */
function checkNormalization(where: string, name: string, value: unknown, kind: DataKind, channels: number): Normalization {
  const n = value as Normalization;
  if (typeof value !== 'object' || value === null || !Array.isArray(n.mean) || !Array.isArray(n.std)) {
    throw new OptionError(`${where}: ${name} must be { mean: number[], std: number[] }, got ${JSON.stringify(value)}`);
  }
  checkKeys(`${where}: ${name}`, n, ['mean', 'std']);
  if (kind !== 'pixels') {
    throw new OptionError(`${where}: ${name} applies to pixels only ((pixel / 255 - mean) / std); ${kind} ` +
      'are used as they are: normalise them before (or declare kind \'pixels\'), and leave normalization out');
  }
  if (n.mean.length !== channels || n.std.length !== channels) {
    throw new OptionError(`${where}: ${name} needs ${channels} mean and std values (one per channel), got ${n.mean.length} and ${n.std.length}`);
  }
  const mean = n.mean.map((m, c) => checkNumber(where, `${name}.mean[${c}]`, m, { min: -FLOAT32_MAX, max: FLOAT32_MAX }));
  const std = n.std.map((s, c) => {
    const v = checkNumber(where, `${name}.std[${c}]`, s, { above: 0, max: FLOAT32_MAX });
    if (v < FLOAT32_MIN_NORMAL) {
      throw new OptionError(`${where}: ${name}.std[${c}] must be at least ${FLOAT32_MIN_NORMAL} (the smallest normal float32; ` +
        `pixels are divided by it in float32), got ${v}`);
    }
    return v;
  });
  mean.forEach((m, c) => {
    const largest = Math.max(Math.abs(m), Math.abs(1 - m)) / std[c];
    if (largest > FLOAT32_MAX) {
      throw new OptionError(`${where}: ${name} (mean ${m}, std ${std[c]}) maps channel ${c}'s pixels to values up to ${largest}, ` +
        `beyond the largest float32 (${FLOAT32_MAX}); expected a mean and std that keep (pixel / 255 - mean) / std within float32`);
    }
  });
  return { mean, std };
}
