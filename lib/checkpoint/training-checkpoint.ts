// The trainer's checkpoint files: safetensors holding the model's tensors under their PyTorch names,
// and for a training checkpoint also the optimizer's momentum buffers and the engine's generator
// state, with the model config, phase, epoch and phase options in __metadata__ (all strings).
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import type { ModelSpec } from '../models';
import { FIT_METHODS, Method, METHODS } from '../defaults';
import type { NativeStateEntry } from '../native';
import { CheckpointError, FileError, OptionError, PoFError } from '../errors';
import { writableTarget } from '../file-access';
import { readCheckpointBytes } from './checkpoint-bytes';
import { assertDtypesMatch, matchStateDict } from './match-state-dict';
import { isLegacyTorchFile, isZipFile } from './pytorch';
import { pt2ArchiveIn, pt2Refusal } from './pt2-archive';
import { decodeSafetensors, encodeSafetensors, SafetensorsMetadata } from './safetensors';
import { TensorDataDict } from './state-dict';
import { TensorData, toFloat32 } from './tensor-data';
import { writeFileAtomic, AtomicWriteOptions } from './atomic';
import { setOwn } from './own-property';
import { makeDirectory } from '../make-directory';
import { type InputPipeline, parsePipeline } from '../data/input-pipeline';
import { firstNonFinite } from '../typed-array';

export type CheckpointKind = 'weights' | 'training';
export type PhaseName = 'fit' | 'postTrain';

/** A phase's options as resolved (defaults applied): what a resumed run must share with the saved one. */
export type PhaseSettings = Record<string, unknown> & { epochs: number; method: Method };

/** Where a phase stands after a completed epoch: enough, with the tensors, to continue it. */
export interface PhaseProgress {
  phase: PhaseName;
  /** Epochs of the phase completed. */
  epoch: number;
  settings: PhaseSettings;
  /** The training split: its name, size and, when it names them, its class names by label. */
  dataset: { name: string; size: number; classes?: string[] };
}

/** What a checkpoint file says about itself. */
export interface CheckpointInfo {
  kind: CheckpointKind;
  /** pof-torch version that wrote it. */
  version: string;
  /** The model config, when the file records one (files written by pof-torch do). */
  model?: ModelSpec;
  phase?: PhaseName;
  method?: Method;
  /** Epochs of the phase completed when it was written, and the phase's length. */
  epoch?: number;
  epochs?: number;
  dataset?: string;
  /** The class names by label, when the training data named them. */
  classes?: string[];
  /** The device it was written from ('cpu', 'cuda:0', ...). */
  device?: string;
  /** LibTorch's intra-op thread count when it was written: results are bit-identical per thread count only. */
  threads?: number;
  /** How the inputs it was trained on were prepared (see InputPipeline), when the file records it. */
  pipeline?: InputPipeline;
  /** Extra string metadata given to save(). */
  metadata: Record<string, string>;
}

/** Everything a training checkpoint holds beyond the weights. */
export interface TrainingState {
  progress: PhaseProgress;
  optimizer: NativeStateEntry[];
  rng: Uint8Array;
}

export interface CheckpointContents {
  info: CheckpointInfo;
  /** The model's tensors (no optimizer or generator entries), as the native side takes them. */
  weights: NativeStateEntry[];
  training?: TrainingState;
}

// Tensor names: the model's own names, and these prefixes (no model name starts with them).
const OPTIMIZER_PREFIX = 'optimizer.';
const MOMENTUM_SUFFIX = '.momentum_buffer';
const RNG_TENSOR = 'rng.engine_generator';
// Metadata keys that pof-torch writes; save()'s extra metadata may not use them.
const KEYS = {
  format: 'format', version: 'pof_torch_version', kind: 'kind', model: 'model', phase: 'phase', method: 'method',
  epoch: 'epoch', epochs: 'epochs', dataset: 'dataset', datasetSize: 'dataset_size', settings: 'training_options', device: 'device',
  threads: 'threads', classes: 'classes', pipeline: 'input_pipeline',
} as const;
export const RESERVED_METADATA_KEYS: readonly string[] = Object.values(KEYS);

let cachedVersion: string | undefined;
/** The version in pof-torch's package.json (compiled to dist/lib/checkpoint: three levels up). */
export function pofTorchVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

const TO_FILE_DTYPE = { float32: 'F32', int64: 'I64', int32: 'I32', uint8: 'U8' } as const;

function toTensorData(entry: NativeStateEntry): TensorData {
  return { dtype: TO_FILE_DTYPE[entry.dtype], shape: entry.shape, data: entry.data } as TensorData;
}

/** A file tensor as the native side takes it: F16 / BF16 / F64 widen to F32; other unsupported dtypes are an error. */
export function toNativeEntry(name: string, tensor: TensorData, file: string): NativeStateEntry {
  const t = toFloat32(tensor);
  switch (t.dtype) {
    case 'F32': return { name, shape: t.shape, dtype: 'float32', data: t.data };
    case 'I64': return { name, shape: t.shape, dtype: 'int64', data: t.data };
    case 'I32': return { name, shape: t.shape, dtype: 'int32', data: t.data };
    case 'U8': return { name, shape: t.shape, dtype: 'uint8', data: t.data };
    default: throw new CheckpointError(`${file}: tensor '${name}' has dtype ${t.dtype}, which a model tensor cannot take (expected F32, F16, BF16, F64, I64, I32 or U8)`);
  }
}

/** A momentum buffer with a NaN or infinity would turn every weight it updates into NaN on the first step. */
function assertFiniteBuffer(file: string, name: string, entry: NativeStateEntry): void {
  if (entry.dtype !== 'float32') throw new CheckpointError(`${file}: optimizer entry '${name}' must be a float tensor, got ${entry.dtype}`);
  const data = entry.data as Float32Array;
  const i = firstNonFinite(data);
  if (i >= 0) {
    throw new CheckpointError(`${file}: optimizer entry '${name}' holds ${data[i]} at index ${i}; a momentum buffer must be finite ` +
      '(the run that wrote it had diverged, or the file was altered)');
  }
}

/** Native entries for every tensor of a state dict, in its order. */
export function nativeEntriesOf(state: TensorDataDict, file: string): NativeStateEntry[] {
  return Object.entries(state).map(([name, tensor]) => toNativeEntry(name, tensor, file));
}

export interface CheckpointToWrite {
  model: ModelSpec;
  device: string;
  /** LibTorch's intra-op thread count (CPU reductions, hence the last bits of every weight, depend on it). */
  threads: number;
  weights: NativeStateEntry[];
  /** Describes the last phase (weights files too, when there was one). */
  progress?: PhaseProgress;
  /** Present for a training checkpoint. */
  training?: { optimizer: NativeStateEntry[]; rng: Uint8Array };
  /** How the inputs the weights were trained on were prepared. */
  pipeline?: InputPipeline;
  metadata?: Record<string, string>;
}

/** The safetensors bytes of a checkpoint (chunks, see encodeSafetensors). */
export function encodeCheckpoint(c: CheckpointToWrite): Buffer[] {
  const tensors: Record<string, TensorData> = {};
  for (const w of c.weights) {
    if (w.name.startsWith(OPTIMIZER_PREFIX) || w.name === RNG_TENSOR) throw new CheckpointError(`model tensor '${w.name}' clashes with the checkpoint's own names`);
    setOwn(tensors, w.name, toTensorData(w));
  }
  const metadata: SafetensorsMetadata = {};
  for (const [key, value] of Object.entries(c.metadata ?? {})) {
    if (RESERVED_METADATA_KEYS.includes(key)) throw new OptionError(`save: metadata key '${key}' is reserved (pof-torch writes ${RESERVED_METADATA_KEYS.join(', ')})`);
    if (typeof value !== 'string') throw new OptionError(`save: metadata value of '${key}' must be a string, got ${typeof value}`);
    setOwn(metadata, key, value);
  }
  Object.assign(metadata, {
    [KEYS.format]: 'pt', [KEYS.version]: pofTorchVersion(), [KEYS.kind]: c.training ? 'training' : 'weights',
    [KEYS.model]: JSON.stringify(c.model), [KEYS.device]: c.device, [KEYS.threads]: String(c.threads),
  });
  if (c.pipeline) metadata[KEYS.pipeline] = JSON.stringify(c.pipeline);
  const p = c.progress;
  if (p) {
    Object.assign(metadata, {
      [KEYS.phase]: p.phase, [KEYS.method]: p.settings.method, [KEYS.epoch]: String(p.epoch), [KEYS.epochs]: String(p.settings.epochs),
      [KEYS.dataset]: p.dataset.name, [KEYS.datasetSize]: String(p.dataset.size),
    });
    if (p.dataset.classes) metadata[KEYS.classes] = JSON.stringify(p.dataset.classes);
  }
  if (c.training) {
    if (!p) throw new PoFError('a training checkpoint needs the phase progress');
    metadata[KEYS.settings] = JSON.stringify(p.settings);
    for (const m of c.training.optimizer) setOwn(tensors, `${OPTIMIZER_PREFIX}${m.name}${MOMENTUM_SUFFIX}`, toTensorData(m));
    tensors[RNG_TENSOR] = { dtype: 'U8', shape: [c.training.rng.length], data: c.training.rng };
  }
  return encodeSafetensors(tensors, metadata);
}

/** Writes a checkpoint atomically: a crash or failure mid-write leaves any previous file as it was. */
export async function writeCheckpoint(file: string, c: CheckpointToWrite, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, encodeCheckpoint(c), options);
}

function parseJson(file: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${file}: metadata '${key}' is not valid JSON (${(error as Error).message})`);
  }
}

/** The 'classes' metadata: a JSON list of names. */
function parseClasses(file: string, text: string): string[] {
  const classes = parseJson(file, KEYS.classes, text);
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) {
    throw new CheckpointError(`${file}: metadata 'classes' must be a JSON list of class names, got ${text.slice(0, 100)}`);
  }
  return classes;
}

function parseCount(file: string, key: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new CheckpointError(`${file}: metadata '${key}' must be an integer >= ${min}, got '${text}'`);
  return n;
}

/** The methods a phase runs: what a file's 'method' may name (any of them when it records no phase). */
const PHASE_METHODS: Record<PhaseName | 'none', readonly Method[]> = { fit: FIT_METHODS, postTrain: ['pof'], none: METHODS };

function parseMethod(file: string, phase: PhaseName | undefined, text: string | undefined): Method | undefined {
  const allowed = PHASE_METHODS[phase ?? 'none'];
  if (text !== undefined && !allowed.includes(text as Method)) {
    throw new CheckpointError(`${file}: metadata 'method' must be ${allowed.map((m) => `'${m}'`).join(' or ')}` +
      `${phase ? ` for phase '${phase}'` : ''}, got '${text}'`);
  }
  return text as Method | undefined;
}

/** The model config a file records (pof-torch writes it as JSON under 'model'), if any. */
export function recordedModel(file: string, metadata: SafetensorsMetadata): ModelSpec | undefined {
  const text = metadata[KEYS.model];
  return text === undefined ? undefined : parseJson(file, KEYS.model, text) as ModelSpec;
}

/**
 * Reads a checkpoint file. A safetensors file without pof-torch metadata reads as weights of an
 * unrecorded model; torch.save files are refused with a pointer to importPyTorch, torch.export
 * programs (.pt2) with one to models.exported.
 */
export async function readCheckpoint(file: string, where: string): Promise<CheckpointContents> {
  let bytes: Buffer;
  try {
    bytes = await readCheckpointBytes(file, 'a pof-torch checkpoint', where);
  } catch (error) {
    // Its read's failures are FileErrors already: two of them get the checkpoint's own words.
    const code = error instanceof FileError ? error.syscallCode : undefined;
    if (code === 'ENOENT') throw new CheckpointError(`${where}: checkpoint file ${file} does not exist`);
    if (code === 'EISDIR') throw new CheckpointError(`${where}: ${file} is a directory, expected a checkpoint file`);
    throw error;
  }
  if (isZipFile(bytes) || isLegacyTorchFile(bytes)) {
    const pt2 = pt2ArchiveIn(bytes, file);
    if (pt2) throw new CheckpointError(`${where}: ${pt2Refusal(file, 'a pof-torch checkpoint', pt2)}`);
    throw new CheckpointError(`${where}: ${file} is a torch.save file, not a pof-torch checkpoint; import it with trainer.importPyTorch(path)`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  const kind = metadata[KEYS.kind] ?? 'weights';
  if (kind !== 'weights' && kind !== 'training') throw new CheckpointError(`${file}: metadata 'kind' must be 'weights' or 'training', got '${kind}'`);
  const phase = metadata[KEYS.phase];
  if (phase !== undefined && phase !== 'fit' && phase !== 'postTrain') throw new CheckpointError(`${file}: metadata 'phase' must be 'fit' or 'postTrain', got '${phase}'`);
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) if (!RESERVED_METADATA_KEYS.includes(key)) setOwn(extra, key, value);
  const info: CheckpointInfo = {
    kind: kind as CheckpointKind, version: metadata[KEYS.version] ?? 'unknown',
    model: recordedModel(file, metadata),
    phase: phase as PhaseName | undefined, method: parseMethod(file, phase as PhaseName | undefined, metadata[KEYS.method]),
    epoch: parseCount(file, KEYS.epoch, metadata[KEYS.epoch]), epochs: parseCount(file, KEYS.epochs, metadata[KEYS.epochs]),
    dataset: metadata[KEYS.dataset], device: metadata[KEYS.device], threads: parseCount(file, KEYS.threads, metadata[KEYS.threads], 1),
    ...(metadata[KEYS.classes] === undefined ? {} : { classes: parseClasses(file, metadata[KEYS.classes]) }),
    ...(metadata[KEYS.pipeline] === undefined ? {} : { pipeline: parsePipeline(file, metadata[KEYS.pipeline]) }),
    metadata: extra,
  };
  // A phase's progress: an epoch past its length would resume as a finished run.
  if (info.epoch !== undefined && info.epochs !== undefined && info.epoch > info.epochs) {
    throw new CheckpointError(`${file}: metadata 'epoch' must be an integer in 0..${info.epochs} (the phase's 'epochs'), got '${metadata[KEYS.epoch]}'`);
  }

  const weights: NativeStateEntry[] = [];
  const optimizer: NativeStateEntry[] = [];
  let rng: TensorData | undefined;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === RNG_TENSOR) rng = tensor;
    else if (name.startsWith(OPTIMIZER_PREFIX)) {
      if (!name.endsWith(MOMENTUM_SUFFIX)) throw new CheckpointError(`${file}: unknown optimizer entry '${name}' (expected ${OPTIMIZER_PREFIX}<parameter>${MOMENTUM_SUFFIX})`);
      const entry = toNativeEntry(name.slice(OPTIMIZER_PREFIX.length, -MOMENTUM_SUFFIX.length), tensor, file);
      assertFiniteBuffer(file, name, entry);
      optimizer.push(entry);
    } else weights.push(toNativeEntry(name, tensor, file));
  }
  if (kind === 'weights') return { info, weights };

  const missing = [phase === undefined && 'phase', info.epoch === undefined && 'epoch', info.epochs === undefined && 'epochs',
    metadata[KEYS.settings] === undefined && 'training_options',
    metadata[KEYS.datasetSize] === undefined && 'dataset_size', rng === undefined && `the tensor '${RNG_TENSOR}'`].filter(Boolean);
  if (missing.length > 0) throw new CheckpointError(`${file}: a training checkpoint needs ${missing.join(', ')}; the file has none`);
  if (rng!.dtype !== 'U8' || rng!.shape.length !== 1) throw new CheckpointError(`${file}: '${RNG_TENSOR}' must be a 1-D U8 tensor, got ${rng!.dtype} [${rng!.shape.join(', ')}]`);
  const settings = parseJson(file, KEYS.settings, metadata[KEYS.settings]) as PhaseSettings;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new CheckpointError(`${file}: metadata 'training_options' must be a JSON object of the phase's options, got ${metadata[KEYS.settings]}`);
  }
  if (settings.epochs !== info.epochs || settings.method !== info.method) {
    throw new CheckpointError(`${file}: metadata 'training_options' disagrees with 'epochs' / 'method'`);
  }
  const progress: PhaseProgress = {
    phase: phase as PhaseName, epoch: info.epoch!, settings,
    dataset: { name: info.dataset ?? '', size: parseCount(file, KEYS.datasetSize, metadata[KEYS.datasetSize], 1)! },
  };
  return { info, weights, training: { progress, optimizer, rng: rng!.data as Uint8Array } };
}

/** Deep equality of plain JSON values (model configs, phase settings). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k)
    && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Throws unless the file's model config (when it records one) is the trainer's. */
export function assertSameModel(where: string, file: string, saved: ModelSpec | undefined, own: ModelSpec): void {
  if (saved !== undefined && !sameJson(saved, own)) {
    throw new CheckpointError(`${where}: ${file} holds a model ${JSON.stringify(saved)}, but this trainer's model is ${JSON.stringify(own)}`);
  }
}

type NamedShape = { name: string; shape: number[]; dtype: string };

/** Throws, listing the first few differences with both shapes, unless names, shapes and kinds of dtype match the model. */
export function assertMatchesModel(entries: readonly NamedShape[], model: readonly NamedShape[], source: string): void {
  const expected: Record<string, number[]> = {};
  for (const m of model) setOwn(expected, m.name, m.shape);
  const actual: Record<string, { shape: number[] }> = {};
  for (const e of entries) setOwn(actual, e.name, { shape: e.shape });
  matchStateDict(expected, actual, { source });
  assertDtypesMatch(entries, model, source);
}

/** Where the periodic checkpoints go. */
export interface CheckpointTarget {
  /** One file, replaced atomically at each checkpoint. */
  path?: string;
  /** A directory that gets <phase>-epoch-<N>.safetensors per checkpoint (created when missing). */
  dir?: string;
  /** Epochs between checkpoints (default 1); one is also written after the last epoch, and when a run is aborted between epochs. */
  every?: number;
}

/** The file a checkpoint after `epoch` (1-based) goes to. */
export function checkpointFile(target: { path?: string; dir?: string }, phase: PhaseName, epoch: number): string {
  return target.path ?? path.join(target.dir!, `${phase}-epoch-${epoch}.safetensors`);
}

/** A file path whose directory exists (the temporary file goes there too). */
export async function assertWritablePath(where: string, file: unknown): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new OptionError(`${where} must be a file path, got ${JSON.stringify(file)}`);
  const dir = path.dirname(file);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new OptionError(`${where} ${file}: the directory ${dir} does not exist`);
  await writableTarget(file);  // a device, FIFO or directory there is refused before any work
}

/** Validates a `checkpoint` option; the directory is created here so a bad path fails before training. */
export async function resolveCheckpointTarget(where: string, value: unknown): Promise<{ path?: string; dir?: string; every: number } | undefined> {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw new OptionError(`${where}: checkpoint must be { path or dir, every? }`);
  const t = value as CheckpointTarget;
  for (const key of Object.keys(t)) {
    if (!['path', 'dir', 'every'].includes(key)) throw new OptionError(`${where}: unknown checkpoint option '${key}'; expected path, dir or every`);
  }
  if ((t.path === undefined) === (t.dir === undefined)) throw new OptionError(`${where}: checkpoint needs exactly one of path (a file) or dir (a directory)`);
  const every = t.every ?? 1;
  if (!Number.isSafeInteger(every) || every < 1) throw new OptionError(`${where}: checkpoint.every must be an integer >= 1, got ${JSON.stringify(t.every)}`);
  if (t.path !== undefined) {
    await assertWritablePath(`${where}: checkpoint.path`, t.path);
    return { path: t.path, every };
  }
  if (typeof t.dir !== 'string' || t.dir === '') throw new OptionError(`${where}: checkpoint.dir must be a directory path`);
  makeDirectory(t.dir, `cannot create the checkpoint directory ${t.dir}`);
  return { dir: t.dir, every };
}
