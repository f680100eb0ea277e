// State dicts from checkpoint files, whatever their wrapping: a plain state_dict, one under a
// 'state_dict' / 'model' / 'param' key, DDP's 'module.' prefixes, or the PoF authors' two files
// (feature extractor and classifier, each { param, optim }). Safetensors files work too.
import { promises as fs } from 'fs';
import { setOwn } from './own-property';
import { decodeTorchCheckpoint, isLegacyTorchFile, isZipFile } from './pytorch';
import { decodeSafetensors } from './safetensors';
import { isTensorData, TensorData, toFloat32 } from './tensor-data';

export type StateDict = Record<string, TensorData>;

export interface LoadStateDictOptions {
  /** Convert F16, BF16 and F64 tensors to F32. Default false. */
  toFloat32?: boolean;
}

/** One checkpoint file, or the authors' separate feature-extractor and classifier files. */
export type StateDictSource = string | { features: string; classifier: string };

/** Keys under which training scripts commonly nest the state dict, tried in this order. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'param', 'model_state_dict'] as const;

const DDP_PREFIX = 'module.';
export const CLASSIFIER_PREFIX = 'classifiers.0.';

function isStateDict(value: unknown): value is StateDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTensorData(value)
    && Object.keys(value).length > 0 && Object.values(value).every(isTensorData);
}

/**
 * The state dict inside an unpickled checkpoint (see STATE_DICT_KEYS), with 'module.' prefixes
 * removed. The error names the file and the keys it did find.
 */
export function extractStateDict(checkpoint: unknown, fileName: string): StateDict {
  let found: StateDict | undefined;
  if (isStateDict(checkpoint)) {
    found = checkpoint;
  } else if (typeof checkpoint === 'object' && checkpoint !== null && !Array.isArray(checkpoint)) {
    const record = checkpoint as Record<string, unknown>;
    const key = STATE_DICT_KEYS.find((k) => Object.prototype.hasOwnProperty.call(record, k) && isStateDict(record[k]));
    if (key) found = record[key] as StateDict;
  }
  if (!found) {
    const keys = typeof checkpoint === 'object' && checkpoint !== null ? Object.keys(checkpoint).slice(0, 10).map((k) => `'${k}'`).join(', ') : typeof checkpoint;
    throw new Error(`${fileName}: no state dict found: expected a dict of tensors, or one under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(' / ')}; the checkpoint has ${keys || 'no keys'}`);
  }
  return stripPrefix(found, DDP_PREFIX, fileName);
}

/** Removes `prefix` from every name that has it (DDP's 'module.'); a resulting clash is an error. */
export function stripPrefix(state: StateDict, prefix: string, fileName: string): StateDict {
  const out: StateDict = {};
  for (const [name, tensor] of Object.entries(state)) {
    const stripped = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (Object.prototype.hasOwnProperty.call(out, stripped)) {
      throw new Error(`${fileName}: '${name}' and another entry both become '${stripped}' once '${prefix}' is removed`);
    }
    setOwn(out, stripped, tensor);
  }
  return out;
}

/** Reads one checkpoint file (torch.save zip or safetensors, told apart by content) as a state dict. */
async function loadOne(path: string, options: LoadStateDictOptions): Promise<StateDict> {
  const bytes = await fs.readFile(path);
  const state = isZipFile(bytes) || isLegacyTorchFile(bytes)
    ? extractStateDict(decodeTorchCheckpoint(bytes, path), path)
    : stripPrefix(decodeSafetensors(bytes, path).tensors, DDP_PREFIX, path);
  if (!options.toFloat32) return state;
  const converted: StateDict = {};
  for (const [name, tensor] of Object.entries(state)) setOwn(converted, name, toFloat32(tensor));
  return converted;
}

/**
 * A flat state dict from a checkpoint. With `{ features, classifier }` (the PoF authors' layout)
 * the two are merged: feature-extractor names as they are, classifier names under
 * 'classifiers.0.' (a bare Linear's 'weight' / 'bias' get that prefix).
 */
export async function loadStateDict(source: StateDictSource, options: LoadStateDictOptions = {}): Promise<StateDict> {
  if (typeof source === 'string') return loadOne(source, options);
  if (typeof source !== 'object' || source === null || typeof source.features !== 'string' || typeof source.classifier !== 'string') {
    throw new Error('loadStateDict: expected a path or { features: path, classifier: path }');
  }
  const [features, classifier] = await Promise.all([loadOne(source.features, options), loadOne(source.classifier, options)]);
  const classifierNames = Object.keys(classifier);
  const bareLinear = classifierNames.every((name) => !name.includes('.'));
  const merged: StateDict = {};
  for (const [name, tensor] of Object.entries(features)) {
    if (name.startsWith('classifiers.')) {
      throw new Error(`${source.features}: the feature-extractor checkpoint holds classifier weights ('${name}'); is it the classifier file?`);
    }
    setOwn(merged, name, tensor);
  }
  for (const [name, tensor] of Object.entries(classifier)) {
    const full = bareLinear ? `${CLASSIFIER_PREFIX}${name}` : name;
    if (Object.prototype.hasOwnProperty.call(merged, full)) {
      throw new Error(`${source.classifier}: '${full}' is also in the feature-extractor checkpoint ${source.features}`);
    }
    setOwn(merged, full, tensor);
  }
  return merged;
}
