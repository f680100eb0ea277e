// State dicts from checkpoint files, whatever their wrapping: a plain state_dict, one under a
// 'state_dict' / 'model' / 'param' key, DDP's 'module.' prefixes, or the PoF authors' two files
// (feature extractor and classifier, each { param, optim }). Safetensors files work too.
import { CheckpointError, OptionError } from '../errors';
import { matchStateDict } from './match-state-dict';
import { setOwn } from './own-property';
import { readCheckpointBytes } from './checkpoint-bytes';
import { isLegacyTorchFile, isZipFile, readTorchArchive, TorchTensorRef } from './pytorch';
import { decodeSafetensors, SafetensorsMetadata } from './safetensors';
import { isTensorData, TensorData, toFloat32 } from './tensor-data';

/** A state dict as a checkpoint file holds it (any file dtype); the trainer's public StateDict is the model's. */
export type TensorDataDict = Record<string, TensorData>;

/** A tensor of a checkpoint: data already (safetensors), or a torch.save tensor not read yet. */
type TensorSource = TensorData | TorchTensorRef;

export interface LoadStateDictOptions {
  /** Convert F16, BF16 and F64 tensors to F32. Default false. */
  toFloat32?: boolean;
  /**
   * The model's names and shapes: the checkpoint must have exactly these, checked before any
   * tensor data is read or copied (so a file declaring huge tensors costs nothing).
   */
  expect?: ReadonlyMap<string, readonly number[]>;
  /** Called with each safetensors file's metadata before its tensors are matched (importPyTorch checks the model it records). */
  checkMetadata?: (metadata: SafetensorsMetadata, file: string) => void;
}

/** One checkpoint file, or the authors' separate feature-extractor and classifier files. */
export type StateDictSource = string | { features: string; classifier: string };

/** Keys under which training scripts commonly nest the state dict, tried in this order. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'param', 'model_state_dict'] as const;

const DDP_PREFIX = 'module.';
export const CLASSIFIER_PREFIX = 'classifiers.0.';

const isTensorSource = (value: unknown): value is TensorSource => value instanceof TorchTensorRef || isTensorData(value);

function isStateDict(value: unknown): value is Record<string, TensorSource> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTensorSource(value)
    && Object.keys(value).length > 0 && Object.values(value).every(isTensorSource);
}

/**
 * The state dict inside an unpickled checkpoint (see STATE_DICT_KEYS), with 'module.' prefixes
 * removed. The error names the file and the keys it did find.
 */
export function extractStateDict<T extends TensorSource = TensorData>(checkpoint: unknown, fileName: string): Record<string, T> {
  let found: Record<string, T> | undefined;
  if (isStateDict(checkpoint)) {
    found = checkpoint as Record<string, T>;
  } else if (typeof checkpoint === 'object' && checkpoint !== null && !Array.isArray(checkpoint)) {
    const record = checkpoint as Record<string, unknown>;
    const key = STATE_DICT_KEYS.find((k) => Object.prototype.hasOwnProperty.call(record, k) && isStateDict(record[k]));
    if (key) found = record[key] as Record<string, T>;
  }
  if (!found) {
    const keys = typeof checkpoint === 'object' && checkpoint !== null ? Object.keys(checkpoint).slice(0, 10).map((k) => `'${k}'`).join(', ') : typeof checkpoint;
    throw new CheckpointError(`${fileName}: no state dict found: expected a dict of tensors, or one under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(' / ')}; the checkpoint has ${keys || 'no keys'}`);
  }
  return stripPrefix(found, DDP_PREFIX, fileName);
}

/** Removes `prefix` from every name that has it (DDP's 'module.'); a resulting clash is an error. */
export function stripPrefix<T>(state: Record<string, T>, prefix: string, fileName: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, tensor] of Object.entries(state)) {
    const stripped = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (Object.prototype.hasOwnProperty.call(out, stripped)) {
      throw new CheckpointError(`${fileName}: '${name}' and another entry both become '${stripped}' once '${prefix}' is removed`);
    }
    setOwn(out, stripped, tensor);
  }
  return out;
}

/** One checkpoint file (torch.save zip or safetensors, told apart by content) as a state dict of tensors not read yet. */
async function readOne(path: string, options: LoadStateDictOptions): Promise<Record<string, TensorSource>> {
  const bytes = await readCheckpointBytes(path, 'a torch.save or safetensors state dict');
  if (isZipFile(bytes) || isLegacyTorchFile(bytes)) return extractStateDict<TensorSource>(await readTorchArchive(bytes, path), path);
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  options.checkMetadata?.(metadata, path);
  return stripPrefix(tensors, DDP_PREFIX, path);
}

/** The authors' two files as one state dict: classifier names under 'classifiers.0.' (a bare Linear's too). */
function merge(source: { features: string; classifier: string }, features: Record<string, TensorSource>, classifier: Record<string, TensorSource>): Record<string, TensorSource> {
  const classifierNames = Object.keys(classifier);
  const bareLinear = classifierNames.every((name) => !name.includes('.'));
  const merged: Record<string, TensorSource> = {};
  for (const [name, tensor] of Object.entries(features)) {
    if (name.startsWith('classifiers.')) {
      throw new CheckpointError(`${source.features}: the feature-extractor checkpoint holds classifier weights ('${name}'); is it the classifier file?`);
    }
    setOwn(merged, name, tensor);
  }
  for (const [name, tensor] of Object.entries(classifier)) {
    const full = bareLinear ? `${CLASSIFIER_PREFIX}${name}` : name;
    if (Object.prototype.hasOwnProperty.call(merged, full)) {
      throw new CheckpointError(`${source.classifier}: '${full}' is also in the feature-extractor checkpoint ${source.features}`);
    }
    setOwn(merged, full, tensor);
  }
  return merged;
}

/**
 * A flat state dict from a checkpoint. With `{ features, classifier }` (the PoF authors' layout)
 * the two are merged: feature-extractor names as they are, classifier names under
 * 'classifiers.0.' (a bare Linear's 'weight' / 'bias' get that prefix). With `expect`, names and
 * shapes are checked before any tensor data is read (the error lists the mismatches).
 */
export async function loadStateDict(source: StateDictSource, options: LoadStateDictOptions = {}): Promise<TensorDataDict> {
  let state: Record<string, TensorSource>;
  let label: string;
  if (typeof source === 'string') {
    state = await readOne(source, options);
    label = source;
  } else if (typeof source === 'object' && source !== null && typeof source.features === 'string' && typeof source.classifier === 'string') {
    const [features, classifier] = await Promise.all([readOne(source.features, options), readOne(source.classifier, options)]);
    state = merge(source, features, classifier);
    label = `${source.features} + ${source.classifier}`;
  } else {
    throw new OptionError('loadStateDict: expected a path or { features: path, classifier: path }');
  }
  if (options.expect) {
    const expected: Record<string, readonly number[]> = {};
    for (const [name, shape] of options.expect) setOwn(expected, name, shape);
    matchStateDict(expected, state, { source: label });
  }
  const out: TensorDataDict = {};
  for (const [name, tensor] of Object.entries(state)) {
    const data = tensor instanceof TorchTensorRef ? await tensor.load(name) : tensor;
    setOwn(out, name, options.toFloat32 ? toFloat32(data) : data);
  }
  return out;
}
