// The one place where options get their defaults and are validated: PoFTrainer (fit, postTrain, step,
// evaluate), the analyses and the CLI resolve through these functions, and the native side receives
// only fully resolved values (it checks its own preconditions again, but never fills anything in).
// The defaults reproduce the paper (Sato et al., ICML 2022; ../shared/design/pof-algorithm.md).
import { boolean, integer, number, oneOf } from './options';
import { OptionError } from './errors';

export const DEFAULTS = {
  seed: 0,
  device: 'cpu',
  batchSize: 256,
  evalBatchSize: 1024,
  momentum: 0.9,
  weightDecay: 5e-4,
  nesterov: true,
  // samScope 'global': a data-parallel job ascends along the global batch's gradient (exactly single-process SAM).
  fit: { epochs: 200, lr: 0.1, method: 'sgd', rho: 0.05, samScope: 'global', milestones: [60, 120, 160, 200], factor: 0.2 },
  postTrain: { epochs: 10, lr: 3e-5, gamma: 2, gammaMode: 'fixed', featureReuse: false },
  lineSearch: { initialStep: 1, maxStep: 100, partitions: 16 },
  reportEvery: 0,
  /** A data-parallel job fails with a DistributedError when another rank is silent this long. */
  distributedTimeoutMs: 10 * 60 * 1000,
} as const;

/** Bounds that keep a typo from allocating absurd sizes; the native side enforces the same ones. */
export const LIMITS = {
  /** The line search evaluates [partitions, B, C] losses at once (native/optim/line_search.h). */
  partitions: 1024,
  /** log2(maxStep / initialStep): the bracket doubles the step up to sMax. */
  bracketDoublings: 64,
  epochs: 1_000_000,
  batchSize: 1 << 24,
} as const;

export type Method = 'sgd' | 'sam' | 'pof';
export type GammaMode = 'fixed' | 'uniform' | 'linear';

export interface LineSearchSettings {
  initialStep: number;
  maxStep: number;
  partitions: number;
}

/** s0, sMax and P, defaulted and checked: 0 < s0 < sMax, sMax/s0 <= 2^64, 1 <= P <= 1024. */
export function resolveLineSearch(where: string, o: { initialStep?: unknown; maxStep?: unknown; partitions?: unknown }): LineSearchSettings {
  const d = DEFAULTS.lineSearch;
  const initialStep = number(where, 'initialStep', o.initialStep ?? d.initialStep, { above: 0 });
  const maxStep = number(where, 'maxStep', o.maxStep ?? d.maxStep, { above: initialStep });
  if (Math.log2(maxStep / initialStep) > LIMITS.bracketDoublings) {
    throw new OptionError(`${where}: maxStep / initialStep must be at most 2^${LIMITS.bracketDoublings} (the bracket doubles ` +
      `the step up to maxStep), got ${maxStep / initialStep}`);
  }
  const partitions = integer(where, 'partitions', o.partitions ?? d.partitions, 1);
  if (partitions > LIMITS.partitions) {
    throw new OptionError(`${where}: partitions must be at most ${LIMITS.partitions} (the paper uses 16), got ${partitions}`);
  }
  return { initialStep, maxStep, partitions };
}

/** The base optimizer of every method: SGD with (Nesterov) momentum and weight decay. */
export interface OptimizerSettings {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export function resolveOptimizer(where: string, o: { lr?: unknown; momentum?: unknown; weightDecay?: unknown; nesterov?: unknown },
  defaultLr: number): OptimizerSettings {
  return {
    lr: number(where, 'lr', o.lr ?? defaultLr, { min: 0 }),
    momentum: number(where, 'momentum', o.momentum ?? DEFAULTS.momentum, { min: 0, max: 1 }),
    weightDecay: number(where, 'weightDecay', o.weightDecay ?? DEFAULTS.weightDecay, { min: 0 }),
    nesterov: boolean(where, 'nesterov', o.nesterov ?? DEFAULTS.nesterov),
  };
}

export function resolveBatchSize(where: string, value: unknown, fallback: number = DEFAULTS.batchSize, name = 'batchSize'): number {
  const b = integer(where, name, value ?? fallback, 1);
  if (b > LIMITS.batchSize) throw new OptionError(`${where}: ${name} must be at most ${LIMITS.batchSize}, got ${b}`);
  return b;
}

export function resolveEpochs(where: string, value: unknown, fallback: number): number {
  const e = integer(where, 'epochs', value ?? fallback, 0);
  if (e > LIMITS.epochs) throw new OptionError(`${where}: epochs must be at most ${LIMITS.epochs}, got ${e}`);
  return e;
}

export function resolveRho(where: string, value: unknown): number {
  return number(where, 'rho', value ?? DEFAULTS.fit.rho, { min: 0 });
}

/** PoF's own options (beyond the base optimizer), defaulted and checked against the batch size. */
export interface PofSettings extends LineSearchSettings {
  gamma: number;
  gammaMode: GammaMode;
  weakBatchSize: number;
  featureReuse: boolean;
}

export function resolvePof(where: string, o: { gamma?: unknown; gammaMode?: unknown; weakBatchSize?: unknown; featureReuse?: unknown;
  initialStep?: unknown; maxStep?: unknown; partitions?: unknown }, batchSize: number): PofSettings {
  const featureReuse = boolean(where, 'featureReuse', o.featureReuse ?? DEFAULTS.postTrain.featureReuse);
  if (featureReuse && o.weakBatchSize !== undefined && o.weakBatchSize !== batchSize) {
    throw new OptionError(`${where}: featureReuse takes B from the previous B̃, so weakBatchSize must equal batchSize ` +
      `(${batchSize}) or be left out; got ${String(o.weakBatchSize)}`);
  }
  return {
    gamma: number(where, 'gamma', o.gamma ?? DEFAULTS.postTrain.gamma, { min: 0 }),
    gammaMode: oneOf(where, 'gammaMode', o.gammaMode ?? DEFAULTS.postTrain.gammaMode, ['fixed', 'uniform', 'linear'] as const),
    weakBatchSize: resolveBatchSize(where, o.weakBatchSize, batchSize, 'weakBatchSize'),
    featureReuse,
    ...resolveLineSearch(where, o),
  };
}

/**
 * What the native engine takes for an epoch or a step: every field resolved. A union told apart by `method`:
 * each method's own options and no other's, read natively by that method's parser.
 */
export type NativeEpochSettings = { batchSize: number; epoch: number; totalEpochs: number; reportEvery: number } & (
  | { method: 'sgd' }
  /** localAscent: in a data-parallel job, each rank's own ascent (samScope 'local') instead of the global batch's. */
  | { method: 'sam'; rho: number; localAscent: boolean }
  | ({ method: 'pof' } & PofSettings));

/** The engine's options for a method, holding that method's options and no other's. */
export function engineOptions(method: Method, batchSize: number, extra: { rho?: number; samScope?: 'global' | 'local';
  pof?: PofSettings; epoch?: number; totalEpochs?: number; reportEvery?: number }): NativeEpochSettings {
  const common = {
    batchSize, epoch: extra.epoch ?? 0, totalEpochs: extra.totalEpochs ?? 1, reportEvery: extra.reportEvery ?? DEFAULTS.reportEvery,
  };
  switch (method) {
    case 'sgd': return { ...common, method };
    case 'sam': return { ...common, method, rho: extra.rho ?? DEFAULTS.fit.rho, localAscent: (extra.samScope ?? DEFAULTS.fit.samScope) === 'local' };
    case 'pof': return { ...common, method, ...(extra.pof ?? resolvePof('engineOptions', {}, batchSize)) };
  }
}

/** A device the trainer takes: 'cpu', 'cuda' (the current GPU) or 'cuda:N'. */
export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;

/** A device name: 'cpu', 'cuda' or 'cuda:N' (whether it exists is the native side's to say). */
export function resolveDevice(where: string, value: unknown): DeviceName {
  const device = value ?? DEFAULTS.device;
  if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device)) {
    throw new OptionError(`${where}: device must be 'cpu', 'cuda' or 'cuda:N', got ${JSON.stringify(device)}`);
  }
  return device as DeviceName;
}
