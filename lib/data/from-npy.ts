// datasets.fromNpy: a split from NumPy arrays on disk, two .npy files or one .npz, made into an ImageSet
// by fromArrays (which checks it as it checks arrays in memory); or, with `stream`, the inputs' .npy left
// on disk and read a batch at a time (as a prepared store's are), for arrays larger than memory.
import * as path from 'path';
import { DatasetError } from '../errors';
import { checkKeys, oneOf, ownOptions, OptionError, show } from '../options';
import { checkImageSetFields, checkLabelRange } from './image-set-check';
import { fromArrays } from './from-arrays';
import { readNpyFile, readNpyLayout, type NpyArray, type NpyLayout } from './npy';
import { npzArray, npzLayout, readNpz, readNpzMembers } from './npz';
import { DATA_KINDS, STORED_DTYPES, type DataKind, type ArraySet, type StoredSet } from './types';

export const LAYOUTS = ['NCHW', 'NHWC', 'NHW'] as const;

export interface FromNpyOptions {
  /** The inputs' .npy file; with `file`, the name of their array in the .npz (default 'x', or 'arr_0'). */
  inputs?: string;
  /** The labels' .npy file (integers, [N]); with `file`, their array's name (default 'y', or 'arr_1'). */
  labels?: string;
  /** A .npz holding both arrays. */
  file?: string;
  /** Default: the largest label + 1. */
  numClasses?: number;
  /** What the inputs are: given to fromArrays (which decides when it is left out). */
  kind?: DataKind;
  /** How a 4-D array's axes are ordered (default 'NCHW'); 'NHW' for a 3-D array (its default), given a channel axis. */
  layout?: (typeof LAYOUTS)[number];
  /** Default: the file name of the inputs (or of the .npz). */
  name?: string;
  /**
   * Leave the inputs' .npy on disk and read it a batch at a time while training (a C-order uint8, float32,
   * int32 or int64 array, laid out NCHW, NHW or [N, D]): for arrays larger than memory. Labels are read into memory.
   */
  stream?: boolean;
}

const WHERE = 'datasets.fromNpy';

/** The split in memory; with `stream: true`, its inputs left in their .npy file. */
export async function fromNpy(options: FromNpyOptions & { stream: true }): Promise<StoredSet>;
export async function fromNpy(options: FromNpyOptions & { stream?: false }): Promise<ArraySet>;
export async function fromNpy(options: FromNpyOptions): Promise<ArraySet | StoredSet>;
export async function fromNpy(options: FromNpyOptions): Promise<ArraySet | StoredSet> {
  const o = ownOptions(WHERE, options);
  checkKeys(WHERE, o, ['inputs', 'labels', 'file', 'numClasses', 'kind', 'layout', 'name', 'stream']);
  for (const key of ['inputs', 'labels', 'file', 'name'] as const) {
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) throw new OptionError(`${WHERE}: ${key} must be a non-empty string, got ${show(o[key])}`);
  }
  if (o.stream !== undefined && typeof o.stream !== 'boolean') throw new OptionError(`${WHERE}: stream must be true or false, got ${show(o.stream)}`);
  const layout = o.layout === undefined ? undefined : oneOf(WHERE, 'layout', o.layout, LAYOUTS);
  const kind = o.kind === undefined ? undefined : oneOf(WHERE, 'kind', o.kind, DATA_KINDS);
  if (o.stream) return streamed(o, layout, kind);
  const { inputs, labels, source } = await readArrays(o);
  const labelData = checkLabels(labels, source.labels);
  const shape = inputShape(inputs.shape, layout, source.inputs);
  checkCount(shape[0], labelData, source);
  const images = inputs.shape.length === 4 && layout === 'NHWC' ? nhwcToNchw(inputs.data, inputs.shape) : inputs.data;
  return fromArrays({
    images,
    labels: labelData,
    shape,
    numClasses: o.numClasses ?? largest(labelData, source.labels) + 1,
    name: o.name ?? path.basename(o.file ?? o.inputs ?? ''),
    // `kind` only when given: fromArrays refuses keys it does not know, and decides the kind of undeclared data.
    ...(kind === undefined ? {} : { kind }),
  });
}

/**
 * The inputs as a StoredSet, left where they lie (a .npy file, or a stored member of a .npz) and read by the native
 * side a batch at a time (which refuses negative ids and non-finite values as it reads them). Only what lies there
 * as a model takes it can stay: C order, NCHW, and a dtype read as it is; anything else is read into memory
 * without `stream`.
 */
async function streamed(o: FromNpyOptions, layout: FromNpyOptions['layout'], kind: DataKind | undefined): Promise<StoredSet> {
  const inMemory = 'or leave stream out (the array is then read into memory and converted)';
  const { inputs: array, labels: labelArray, source } = await locateArrays(o);
  const file = path.resolve(o.file ?? o.inputs!);
  const dtype = (STORED_DTYPES as readonly string[]).includes(array.dtype) ? array.dtype as StoredSet['images']['dtype'] : undefined;
  if (dtype === undefined) {
    throw new DatasetError(`${source.inputs}: holds ${array.dtype}, which stream cannot read as it lies (it reads ${STORED_DTYPES.join(', ')}): ` +
      `save it as one of those (e.g. x.astype(np.float32)), ${inMemory}`);
  }
  if (array.fortranOrder) {
    throw new DatasetError(`${source.inputs}: is in Fortran order, which stream cannot read a batch at a time: save it with ` +
      `np.ascontiguousarray(x), ${inMemory}`);
  }
  if (layout === 'NHWC') {
    throw new OptionError(`${WHERE}: stream reads the array as it lies, and layout 'NHWC' would need its axes reordered: save it as ` +
      `x.transpose(0, 3, 1, 2) in C order (NCHW), prepare it as a store, ${inMemory}`);
  }
  const labels = checkLabels(labelArray, source.labels);
  const shape = inputShape(array.shape, layout, source.inputs);
  checkCount(shape[0], labels, source);
  const fields = checkImageSetFields(WHERE, '', {
    kind, images: { file, offset: array.offset, dtype }, labels, shape, numClasses: o.numClasses ?? largest(labels, source.labels) + 1,
  }, (message) => new DatasetError(message));
  checkLabelRange(WHERE, labels, fields.numClasses);
  return { name: o.name ?? path.basename(file), ...fields, images: fields.images as StoredSet['images'] };
}

/** The labels' array, checked: integers [N]. */
function checkLabels(labels: NpyArray, source: string): Uint8Array | Int32Array {
  if (labels.shape.length !== 1) throw new DatasetError(`${source}: labels must be a 1-D array [N], got shape (${labels.shape.join(', ')})`);
  if (!['uint8', 'bool', 'int32', 'int64'].includes(labels.dtype)) {
    throw new DatasetError(`${source}: labels must be integers (uint8, int32 or int64), got ${labels.dtype}`);
  }
  return labels.data as Uint8Array | Int32Array;
}

/** One label per example. */
function checkCount(examples: number, labels: Uint8Array | Int32Array, source: { inputs: string; labels: string }): void {
  if (examples !== labels.length) throw new DatasetError(`${source.inputs} holds ${examples} examples but ${source.labels} holds ${labels.length} labels`);
}

/** The two arrays read into memory, and what names them in errors. */
function readArrays(o: FromNpyOptions): Promise<Arrays<NpyArray>> {
  return arraysOf(o, async (inputs, labels) => [await readNpyFile(inputs), await readNpyFile(labels)],
    async (file, pick) => (await readNpz(file, pick)) as [NpyArray, NpyArray]);
}

/** The inputs' layout (their data left in the file) and the labels read into memory, and what names them in errors. */
async function locateArrays(o: FromNpyOptions): Promise<Arrays<NpyLayout, NpyArray>> {
  return arraysOf(o, async (inputs, labels) => [await readNpyLayout(inputs), await readNpyFile(labels)],
    async (file, pick) => (await readNpzMembers<NpyLayout | NpyArray>(file, pick,
      (member, index) => (index === 0 ? npzLayout(file, member) : npzArray(member)))) as [NpyLayout, NpyArray]);
}

interface Arrays<I, L = I> { inputs: I; labels: L; source: { inputs: string; labels: string } }

/** The two arrays of two .npy files (`files`) or of a .npz (`archive`, given which members to take). */
async function arraysOf<I, L>(o: FromNpyOptions, files: (inputs: string, labels: string) => Promise<[I, L]>,
  archive: (file: string, pick: (members: string[]) => string[]) => Promise<[I, L]>): Promise<Arrays<I, L>> {
  if (o.file === undefined) {
    if (o.inputs === undefined || o.labels === undefined) {
      throw new OptionError(`${WHERE}: expected inputs and labels (two .npy files), or file (a .npz) with their array names`);
    }
    const [inputs, labels] = await files(o.inputs, o.labels);
    return { inputs, labels, source: { inputs: o.inputs, labels: o.labels } };
  }
  let names: string[] = [];
  const [inputs, labels] = await archive(o.file, (members) => {
    // 'x' and 'y' by default; np.savez(file, x, y) names positional arrays arr_0 and arr_1.
    const positional = !members.includes('x') && !members.includes('y') && members.includes('arr_0') && members.includes('arr_1');
    names = [o.inputs ?? (positional ? 'arr_0' : 'x'), o.labels ?? (positional ? 'arr_1' : 'y')];
    return names;
  });
  return { inputs, labels, source: { inputs: `${o.file}: array '${names[0]}'`, labels: `${o.file}: array '${names[1]}'` } };
}

/** The shape fromArrays takes: [N, D] as it is, [N, C, H, W] from 3-D or 4-D arrays by the layout. */
function inputShape(shape: number[], layout: FromNpyOptions['layout'], source: string): number[] {
  const expected = `expected [N, D] (no layout), [N, H, W] (layout 'NHW') or [N, C, H, W] / [N, H, W, C] (layout 'NCHW' / 'NHWC')`;
  const fits = (shape.length === 2 && layout === undefined) || (shape.length === 3 && (layout ?? 'NHW') === 'NHW') ||
    (shape.length === 4 && layout !== 'NHW');
  if (!fits) throw new DatasetError(`${source}: inputs of shape (${shape.join(', ')}) with layout ${layout ?? '(none)'}: ${expected}`);
  if (shape.length === 3) return [shape[0], 1, shape[1], shape[2]];
  if (layout === 'NHWC') return [shape[0], shape[3], shape[1], shape[2]];
  return shape;
}

/** [N, H, W, C] as [N, C, H, W]. */
function nhwcToNchw(data: NpyArray['data'], [n, h, w, c]: number[]): NpyArray['data'] {
  const out = new (data.constructor as new (length: number) => NpyArray['data'])(data.length);
  const plane = h * w;
  for (let i = 0; i < n; i += 1) {
    const base = i * plane * c;
    for (let p = 0; p < plane; p += 1) {
      for (let ch = 0; ch < c; ch += 1) out[base + ch * plane + p] = data[base + p * c + ch];
    }
  }
  return out;
}

function largest(labels: Uint8Array | Int32Array, source: string): number {
  if (labels.length === 0) throw new DatasetError(`${source}: holds no labels; expected at least one example`);
  let max = 0;
  for (let i = 0; i < labels.length; i += 1) {
    if (labels[i] < 0) throw new DatasetError(`${source}: label ${labels[i]} at index ${i} is negative; expected class indices 0, 1, ...`);
    if (labels[i] > max) max = labels[i];
  }
  return max;
}
