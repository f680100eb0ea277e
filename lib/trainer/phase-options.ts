// The trainer's options resolved into what a phase or a step runs with: every value defaulted and
// checked through lib/defaults.ts, and each method's engine options built once. The allowed keys
// come from the option interfaces themselves, so a new option cannot be forgotten here.
import type { PhaseName, PhaseSettings } from '../checkpoint/training-checkpoint';
import {
  DEFAULTS, FIT_METHODS, Method, MethodSettings, methodSettings, SAM_SCOPES, OptimizerSettings, resolveBatchSize, resolveEpochs, resolveOptimizer, resolvePof, resolveRho,
} from '../defaults';
import type { NativePerformanceOptions } from '../native';
import { boolean, checkKeys, oneOf, optionalFunction, OptionError } from '../options';
import { constant, multistep, Schedule, validateSchedule } from '../schedules';
import type { CommonOptions, FitOptions, PerformanceOptions, PostTrainOptions, StepOptions } from './types';

/** The keys of an options interface, written as an object so that the compiler checks none is missing. */
function keysOf<T>(keys: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys);
}

const COMMON = {
  epochs: true, batchSize: true, lr: true, momentum: true, weightDecay: true, nesterov: true, schedule: true, onEpoch: true,
  onStep: true, reportEvery: true, signal: true, evalData: true, checkpoint: true, resume: true, tensorboard: true, inputPipeline: true,
} as const;
const POF = { gamma: true, gammaMode: true, weakBatchSize: true, featureReuse: true, initialStep: true, maxStep: true, partitions: true } as const;

export const PHASE_KEYS: Record<PhaseName, readonly string[]> = {
  fit: keysOf<FitOptions>({ ...COMMON, method: true, rho: true, samScope: true }),
  postTrain: keysOf<PostTrainOptions>({ ...COMMON, ...POF, onDivergence: true, keepBest: true }),
};
export const STEP_KEYS = keysOf<StepOptions>({
  method: true, indices: true, weakIndices: true, lr: true, momentum: true, weightDecay: true, nesterov: true, rho: true, ...POF,
});
export const PERFORMANCE_KEYS = keysOf<PerformanceOptions>({ channelsLast: true, cudnnBenchmark: true, autocast: true });

/** A phase's options resolved: what defines the run (`settings`, saved in training checkpoints) and how it runs. */
export interface ResolvedPhase {
  settings: PhaseSettings;
  epochs: number;
  lr: number;
  schedule: Schedule;
  /** The batch sizes the training data must hold, by option name. */
  batchSizes: Record<string, number>;
  optimizer: OptimizerSettings & { featuresOnly: boolean };
  /** The engine's options for every epoch of the phase, less the epoch's own fields. */
  epochOptions: { batchSize: number } & MethodSettings;
}

/** The options every phase shares, resolved; all of them define the run. */
function commonSettings(where: string, o: CommonOptions, defaults: { epochs: number; lr: number; schedule: Schedule }) {
  return {
    epochs: resolveEpochs(where, o.epochs, defaults.epochs),
    batchSize: resolveBatchSize(where, o.batchSize),
    ...resolveOptimizer(where, o, defaults.lr),
    schedule: validateSchedule(where, o.schedule ?? defaults.schedule),
  };
}

function resolveFit(where: string, o: FitOptions): ResolvedPhase {
  const f = DEFAULTS.fit;
  const c = commonSettings(where, o, { epochs: f.epochs, lr: f.lr, schedule: multistep([...f.milestones], f.factor) });
  const method = oneOf(where, 'method', o.method ?? f.method, FIT_METHODS);
  const rho = resolveRho(where, o.rho);
  const samScope = oneOf(where, 'samScope', o.samScope ?? f.samScope, SAM_SCOPES);
  return {
    // samScope is saved with the run only when not the default, so that earlier checkpoints resume as before.
    settings: { ...c, method, rho, ...(samScope === 'local' ? { samScope } : {}) },
    epochs: c.epochs, lr: c.lr, schedule: c.schedule, batchSizes: { batchSize: c.batchSize },
    optimizer: { featuresOnly: false, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
    epochOptions: { batchSize: c.batchSize, ...methodSettings(method, { rho, samScope }) },
  };
}

function resolvePostTrain(where: string, o: PostTrainOptions): ResolvedPhase {
  const p = DEFAULTS.postTrain;
  const c = commonSettings(where, o, { epochs: p.epochs, lr: p.lr, schedule: constant() });
  const pof = resolvePof(where, o, c.batchSize);
  return {
    settings: { ...c, method: 'pof' as const, ...pof },
    epochs: c.epochs, lr: c.lr, schedule: c.schedule, batchSizes: { batchSize: c.batchSize, weakBatchSize: pof.weakBatchSize },
    optimizer: { featuresOnly: true, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
    epochOptions: { batchSize: c.batchSize, method: 'pof', ...pof },
  };
}

export const resolvePhase: Record<PhaseName, (where: string, o: CommonOptions) => ResolvedPhase> = {
  fit: resolveFit,
  postTrain: resolvePostTrain,
};

/** The checks of a phase's options that do not define the run: keys, callbacks, the TensorBoard directory. */
export function checkPhaseOptions(where: PhaseName, o: CommonOptions): { tensorboard?: string } {
  checkKeys(where, o, PHASE_KEYS[where]);
  optionalFunction(where, 'onEpoch', o.onEpoch);
  optionalFunction(where, 'onStep', o.onStep);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new OptionError(`${where}: signal must be an AbortSignal`);
  const dir = o.tensorboard;
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
    throw new OptionError(`${where}: tensorboard must be a directory path, got ${JSON.stringify(dir)}`);
  }
  return { tensorboard: dir };
}

/** A step's optimizer and engine options; a step's batch B is weakIndices itself (or the previous B̃). */
export function resolveStep(where: string, method: Method, o: StepOptions, batchSize: number, hasWeakIndices: boolean) {
  const optimizer = resolveOptimizer(where, o, method === 'pof' ? DEFAULTS.postTrain.lr : DEFAULTS.fit.lr);
  // weakBatchSize, if given, only has to agree with featureReuse.
  const pof = resolvePof(where, o, batchSize);
  if (method === 'pof' && !hasWeakIndices && !pof.featureReuse) {
    throw new OptionError(`${where}: PoF needs weakIndices (the batch B of the line search), or featureReuse after a first step`);
  }
  return {
    optimizer: { featuresOnly: method === 'pof', ...optimizer },
    epochOptions: { batchSize, epoch: 0, totalEpochs: 1, reportEvery: DEFAULTS.reportEvery,
      ...methodSettings(method, { rho: resolveRho(where, o.rho), samScope: 'global', pof }) },
  };
}

export function resolvePerformance(where: string, p: PerformanceOptions): NativePerformanceOptions {
  if (typeof p !== 'object' || p === null) throw new OptionError(`${where}: performance must be an object`);
  checkKeys(`${where}.performance`, p, PERFORMANCE_KEYS);
  return {
    channelsLast: boolean(where, 'performance.channelsLast', p.channelsLast ?? false),
    cudnnBenchmark: boolean(where, 'performance.cudnnBenchmark', p.cudnnBenchmark ?? false),
    autocast: oneOf(where, 'performance.autocast', p.autocast ?? 'none', ['none', 'bf16'] as const),
  };
}
