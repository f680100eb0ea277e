// Continuing a phase from a training checkpoint: everything is read and checked against the
// trainer, the phase, the data and the options before anything changes.
import type { ImageSet } from '../data/types';
import type { ModelSpec } from '../models';
import type { NativeEngine, NativeModel } from '../native';
import { CheckpointError, OptionError } from '../errors';
import { assertMatchesModel, assertSameModel, CheckpointContents, PhaseName, PhaseSettings, readCheckpoint, sameJson } from './training-checkpoint';

export interface ResumePoint {
  file: string;
  contents: CheckpointContents & { training: NonNullable<CheckpointContents['training']> };
}

/** What resuming needs to know about the trainer. */
export interface ResumeTarget {
  spec: ModelSpec;
  device: string;
  model: NativeModel;
  /** The engine the phase runs on: it tells whether the saved generator state is one it takes. */
  engine: Pick<NativeEngine, 'checkRngState'>;
  /** LibTorch's intra-op thread count now. */
  threads: number;
}

/** Reads a `resume` file and checks it fits this trainer, phase and training data. */
export async function readResumePoint(where: PhaseName, file: unknown, train: ImageSet, target: ResumeTarget): Promise<ResumePoint> {
  if (typeof file !== 'string' || file === '') throw new OptionError(`${where}: resume must be the path of a training checkpoint, got ${JSON.stringify(file)}`);
  const contents = await readCheckpoint(file, `${where}: resume`);
  const training = contents.training;
  if (!training) throw new CheckpointError(`${where}: resume: ${file} holds weights only; resuming needs a training checkpoint (save(path, { training: true }) or the checkpoint option)`);
  assertSameModel(`${where}: resume`, file, contents.info.model, target.spec);
  const saved = training.progress;
  if (saved.phase !== where) throw new CheckpointError(`${where}: resume: ${file} was written during ${saved.phase}, not ${where}`);
  // The generator state is device specific (CPU: Mersenne Twister; CUDA: seed and offset).
  const kindOf = (device: string) => device.split(':')[0];
  if (contents.info.device !== undefined && kindOf(contents.info.device) !== kindOf(target.device)) {
    throw new CheckpointError(`${where}: resume: ${file} was written on ${contents.info.device}; its generator state cannot continue on ${target.device}`);
  }
  try {
    target.engine.checkRngState(training.rng);
  } catch (error) {
    if (error instanceof CheckpointError) throw new CheckpointError(`${where}: resume: ${file}: ${error.message}`);
    throw error;
  }
  const size = train.labels.length;
  if (saved.dataset.size !== size || saved.dataset.name !== train.name) {
    throw new CheckpointError(`${where}: resume: ${file} was trained on '${saved.dataset.name}' (${saved.dataset.size} examples), ` +
      `not '${train.name}' (${size} examples)`);
  }
  const model = target.model.stateShapes();
  assertMatchesModel(contents.weights, model, file);
  const threads = target.threads;
  if (contents.info.threads !== undefined && contents.info.threads !== threads) {
    // CPU reductions split work by thread, so the last bits of every weight depend on the count.
    process.emitWarning(`${file} was written with ${contents.info.threads} LibTorch threads and this process runs ${threads}: ` +
      'the run continues, but not bit-identically to an uninterrupted one (set OMP_NUM_THREADS to match)', 'PoFThreadsWarning');
  }
  const groups = target.model.parameterNames();
  const updated = new Set(where === 'postTrain' ? groups.features : [...groups.features, ...groups.classifier]);
  assertMatchesModel(training.optimizer, model.filter((m) => updated.has(m.name)), `${file} (optimizer state)`);
  return { file, contents: { ...contents, training } };
}

/** A resume's options: those left out take the saved values (only keys the phase accepts). */
export function withSavedSettings<T extends object>(options: T, saved: PhaseSettings, allowed: readonly string[]): T {
  const merged: Record<string, unknown> = { ...(options as Record<string, unknown>) };
  for (const [key, value] of Object.entries(saved)) {
    if (allowed.includes(key) && merged[key] === undefined) merged[key] = value;
  }
  return merged as T;
}

/** A resumed run continues the saved one exactly only with the same resolved options. */
export function assertSameSettings(where: PhaseName, resume: ResumePoint, settings: PhaseSettings): void {
  const saved = resume.contents.training.progress.settings;
  const differ = Object.keys({ ...saved, ...settings }).filter((key) => !sameJson(saved[key], settings[key]));
  if (differ.length > 0) {
    throw new CheckpointError(`${where}: resume: ${resume.file} continues a run with different options: ` +
      differ.map((key) => `${key} ${JSON.stringify(saved[key])} (saved) vs ${JSON.stringify(settings[key])} (given)`).join(', ') +
      '; leave them out to use the saved values');
  }
}
