// Saving and loading a trainer's state: safetensors checkpoints (weights, or everything `resume`
// needs), torch.save imports, TorchScript export and plain state dicts. Writes are atomic, and in a
// data-parallel job rank 0 writes while every rank learns whether it worked.
import { assertNotSpecialFile } from '../file-access';
import { writeFileAtomic } from '../checkpoint/atomic';
import { loadStateDict as loadCheckpointStateDict, StateDictSource } from '../checkpoint/state-dict';
import { assertDtypesMatch } from '../checkpoint/match-state-dict';
import {
  assertMatchesModel, assertSameModel, assertWritablePath, CheckpointInfo, nativeEntriesOf, readCheckpoint, recordedModel, writeCheckpoint,
} from '../checkpoint/training-checkpoint';
import { native } from '../addon';
import { boolean, checkKeys, OptionError, ownOptions, show } from '../options';
import type { TrainerCore } from './core';
import type { SaveOptions, StateDict } from './types';

/** Writes the model (and with `training`, the optimizer and generator state and the phase's progress). */
export async function writeTrainerCheckpoint(core: TrainerCore, file: string, training: boolean,
  metadata?: Record<string, string>): Promise<void> {
  await writeCheckpoint(file, {
    model: core.spec, device: core.device, threads: native.numThreads(), weights: core.model.stateDict(),
    progress: core.progress, pipeline: core.pipeline, metadata,
    training: training ? { optimizer: core.engine.optimizerState(), rng: core.engine.rngState() } : undefined,
  });
}

export async function save(core: TrainerCore, file: string, given: SaveOptions): Promise<void> {
  const where = 'save';
  core.lock.checkFree(where, false);
  await assertWritablePath(`${where}: path`, file);
  const options = ownOptions(where, given);
  checkKeys(where, options, ['training', 'metadata']);
  const training = boolean(where, 'training', options.training ?? false);
  const metadata: unknown = options.metadata;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new OptionError(`${where}: metadata must be an object of strings ({ key: 'value' }), got ${show(metadata)}`);
    }
    const odd = Object.entries(metadata).find(([, value]) => typeof value !== 'string');
    if (odd) throw new OptionError(`${where}: metadata must be an object of strings; its '${odd[0]}' is ${show(odd[1])}`);
  }
  if (training && !core.progress) {
    throw new OptionError(`${where}: a training checkpoint is taken between epochs of fit or postTrain; this trainer has no phase ` +
      'at an epoch boundary (none ran, the last epoch was aborted midway, or step/load changed the state since)');
  }
  await core.lock.track(core.ranks.rankZeroWrites(file, () => writeTrainerCheckpoint(core, file, training, options.metadata)));
}

export async function load(core: TrainerCore, file: string): Promise<CheckpointInfo> {
  const where = 'load';
  if (typeof file !== 'string' || file === '') throw new OptionError(`${where}: path must be a file path, got ${JSON.stringify(file)}`);
  core.lock.checkFree(where, true);
  const contents = await readCheckpoint(file, where);
  assertSameModel(where, file, contents.info.model, core.spec);
  assertMatchesModel(contents.weights, core.model.stateShapes(), file);
  core.changing(where);  // again: the trainer may have been taken while the file was read
  core.model.loadStateDict(contents.weights);
  core.pipeline = contents.info.pipeline;
  return contents.info;
}

export async function importPyTorch(core: TrainerCore, source: StateDictSource): Promise<void> {
  const where = 'importPyTorch';
  const files = typeof source === 'string' ? [source]
    : typeof source === 'object' && source !== null && typeof source.features === 'string' && typeof source.classifier === 'string'
      ? [source.features, source.classifier] : undefined;
  if (!files) throw new OptionError(`${where}: expected a path, or { features: path, classifier: path } for the authors' two-file layout`);
  if (typeof source === 'object') checkKeys(where, source, ['features', 'classifier']);
  core.lock.checkFree(where, true);
  for (const file of files) assertNotSpecialFile(where, file);  // before either is read; a missing one is the reader's to name
  const label = files.join(' + ');
  // Names and shapes are checked before any tensor data is copied (a stride-0 view cannot expand first).
  const model = core.model.stateShapes();
  const expect = new Map(model.map((s) => [s.name, s.shape]));
  // A pof-torch file records its model: another one's tensors can share every name and shape.
  const checkMetadata = (metadata: Record<string, string>, file: string) => assertSameModel(where, file, recordedModel(file, metadata), core.spec);
  const entries = nativeEntriesOf(await loadCheckpointStateDict(source, { toFloat32: true, expect, checkMetadata }), label);
  assertDtypesMatch(entries, model, label);
  core.changing(where);
  core.model.loadStateDict(entries);
}

export async function exportTorchScript(core: TrainerCore, file: string): Promise<void> {
  const where = 'exportTorchScript';
  if (core.spec.kind !== 'torchScript') {
    throw new OptionError(`${where}: only a model from models.torchScript can be exported as TorchScript; this trainer's is a ${core.spec.kind}`);
  }
  await writeModelFile(core, where, file, () => core.model.torchScriptBytes());
}

export async function exportProgram(core: TrainerCore, file: string): Promise<void> {
  const where = 'exportProgram';
  if (core.spec.kind !== 'exported') {
    throw new OptionError(`${where}: only a model from models.exported can be written back as a .pt2 program; this trainer's is a ${core.spec.kind}`);
  }
  await writeModelFile(core, where, file, () => core.model.programBytes());
}

/** The model as a file PyTorch loads (rank 0 of a job writes it), atomically. */
async function writeModelFile(core: TrainerCore, where: string, file: string, bytes: () => Uint8Array): Promise<void> {
  core.lock.checkFree(where, false);
  await assertWritablePath(`${where}: path`, file);
  await core.lock.track(core.ranks.rankZeroWrites(file, () => writeFileAtomic(file, bytes())));
}

/** Every parameter and buffer by name (PyTorch state_dict order), copied to host arrays. */
export function stateDict(core: TrainerCore): StateDict {
  core.lock.checkFree('stateDict', false);
  const out: StateDict = {};
  for (const e of core.model.stateDict()) out[e.name] = { shape: e.shape, dtype: e.dtype, data: e.data };
  return out;
}

/** The dtype each typed array the native side takes gives a tensor. */
const ARRAY_DTYPES = new Map<unknown, string>([[Float32Array, 'float32'], [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Uint8Array, 'uint8']]);

export function loadStateDict(core: TrainerCore, state: StateDict): void {
  if (typeof state !== 'object' || state === null) throw new OptionError('loadStateDict: expected { [name]: { shape, data } }');
  core.lock.checkFree('loadStateDict', true);
  const entries = Object.entries(state).map(([name, t]) => {
    if (typeof t !== 'object' || t === null) throw new OptionError(`loadStateDict: '${name}' must be { shape, data }, got ${String(t)}`);
    return { name, shape: t.shape, data: t.data };
  });
  const dtypes = entries.flatMap(({ name, data }) => {
    const dtype = ARRAY_DTYPES.get((data as object | undefined)?.constructor);
    return dtype ? [{ name, dtype }] : [];
  });
  assertDtypesMatch(dtypes, core.model.stateShapes(), 'loadStateDict');
  core.progress = undefined;
  core.model.loadStateDict(entries);
}
