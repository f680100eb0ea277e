// The one place where options get their defaults and are validated: PoFTrainer (fit, postTrain, step,
// evaluate), the analyses and the CLI resolve through these functions, and the native side receives
// only fully resolved values (it checks its own preconditions again, but never fills anything in).
// The CLI parses its flags with the same RULES and resolves through the same functions, so the two agree.
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

/**
 * The paper's protocol on `dataset` (Sato et al., ICML 2022, §5): the model, and DEFAULTS' rates and schedule,
 * except that SVHN trains with a learning rate and ρ of 0.01. `pof train` and the Table 1 and 2 reproductions
 * take it from here. The toy set's vectors get the toy study's MLP.
 */
export function paperProtocol(dataset: string) {
  const svhn = dataset === 'svhn';
  return {
    model: dataset === 'toy' ? 'mlp-64-64-64-64' : 'wrn-28-10',
    fit: {
      epochs: DEFAULTS.fit.epochs, batchSize: DEFAULTS.batchSize, milestones: DEFAULTS.fit.milestones, factor: DEFAULTS.fit.factor,
      lr: svhn ? 0.01 : DEFAULTS.fit.lr, rho: svhn ? 0.01 : DEFAULTS.fit.rho,
    },
    postTrain: { lr: DEFAULTS.postTrain.lr, gamma: DEFAULTS.postTrain.gamma },
  };
}

/** What the analyses and figures take by default (the paper: 400 mini-batches of 256 for Figs. 2, 5, 6). */
export const ANALYSIS_DEFAULTS = {
  batches: 400,
  batchSize: 256,
  seed: 0,
  /** Eigenpairs of the classifier Hessian, over a seeded subset of this many training examples. */
  k: 10,
  hessianExamples: 4096,
  /** Fig. 6's sizes: PoF's γ, SAM's ρ, and an SGD step at the paper's final rate 0.1·0.2⁴. */
  gamma: DEFAULTS.postTrain.gamma,
  rho: DEFAULTS.fit.rho,
  lr: 1.6e-4,
} as const;

/** Bounds that keep a typo from allocating absurd sizes; the native side enforces the same ones. */
export const LIMITS = {
  /** The line search evaluates [partitions, B, C] losses at once (native/optim/line_search.h). */
  partitions: 1024,
  /** log2(maxStep / initialStep): the bracket doubles the step up to sMax. */
  bracketDoublings: 64,
  epochs: 1_000_000,
  batchSize: 1 << 24,
  rho: 100,
  gamma: 100,
  /** Examples an analysis draws over all its mini-batches (batches × batchSize): 64 MiB of indices. */
  drawnExamples: 1 << 24,
  /** Points of an analysis's 1-D grid, and bins of a histogram: each point is a pass over the data. */
  gridPoints: 10_000,
  bins: 10_000,
} as const;

/** The training methods: fit trains with SGD or SAM; postTrain runs PoF. */
export const METHODS = ['sgd', 'sam', 'pof'] as const;
export type Method = (typeof METHODS)[number];
export const FIT_METHODS = ['sgd', 'sam'] as const satisfies readonly Method[];
export type FitMethod = (typeof FIT_METHODS)[number];
/** PoF's γ: fixed, drawn from U(0, γ) per step, or raised from 0 to γ over the run. */
export const GAMMA_MODES = ['fixed', 'uniform', 'linear'] as const;
export type GammaMode = (typeof GAMMA_MODES)[number];
/** SAM in a data-parallel job: ascend along the global batch's gradient, or each rank's own. */
export const SAM_SCOPES = ['global', 'local'] as const;
export type SamScope = (typeof SAM_SCOPES)[number];

/**
 * What a numeric option must be. `limit` is a cap that only keeps a typo from allocating absurd sizes: it is
 * checked apart from the bounds, and messages name the bounds only.
 */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  max?: number;
  limit?: number;
  /** Why the limit is what it is, for the message. */
  limitReason?: string;
}

/** The native side computes in float32: a larger value, finite in JS, overflows there. */
export const FLOAT32_MAX = 3.4028234663852886e38;
const FLOAT32 = { limit: FLOAT32_MAX, limitReason: 'the largest float32: the native side computes in float32' } as const;

/** Each numeric option's rule, written once: the resolvers below check it, and the CLI parses its flag with it. */
export const RULES = {
  epochs: { integer: true, min: 0, limit: LIMITS.epochs },
  batchSize: { integer: true, min: 1, limit: LIMITS.batchSize },
  /** Mini-batches an analysis draws. */
  batches: { integer: true, min: 1, limit: LIMITS.drawnExamples, limitReason: 'the examples an analysis draws over all its batches' },
  /** An analysis's 1-D grid: its half-width, points and steps. */
  extent: { above: 0, ...FLOAT32 },
  points: { integer: true, min: 2, limit: LIMITS.gridPoints, limitReason: 'each point is a pass over the data' },
  t: { min: -FLOAT32_MAX, ...FLOAT32 },
  bins: { integer: true, min: 1, limit: LIMITS.bins, limitReason: 'more bins than a figure can show' },
  seed: { integer: true, min: 0 },
  /** A dataset's or a model's classes (models.ts's widths have the same cap). */
  numClasses: { integer: true, min: 2, limit: 2 ** 24, limitReason: 'the most classes a model takes' },
  lr: { min: 0, ...FLOAT32 },
  momentum: { min: 0, max: 1 },
  weightDecay: { min: 0, ...FLOAT32 },
  /** SAM's ascent radius in weight space; far larger radii swamp any network's weights (2^31 trains to losses of 1e16+). */
  rho: { min: 0, limit: LIMITS.rho, limitReason: 'a cap against typos: the paper uses 0.05' },
  /** PoF's expansion of ξ*: γ = 2 keeps the mini-batch's own loss; 2^31 trains to losses of 1e30. */
  gamma: { min: 0, limit: LIMITS.gamma, limitReason: 'a cap against typos: the paper uses 2' },
} as const satisfies Record<string, NumberRule>;

/** `value` as `rule` says (options.ts words the message: "where: name must be >= 1, got 0"). */
export function checkNumber(where: string, name: string, value: unknown, rule: NumberRule): number {
  const n = number(where, name, rule.integer ? integer(where, name, value, rule.min) : value, rule);
  const beyond = beyondLimit(name, n, rule);
  if (beyond) throw new OptionError(`${where}: ${beyond}`);
  return n;
}

/** "name must be at most L (why), got n" when `n` is past the rule's cap; the CLI words its flags with it too. */
export function beyondLimit(name: string, n: number, rule: NumberRule): string | undefined {
  if (rule.limit === undefined || n <= rule.limit) return undefined;
  return `${name} must be at most ${rule.limit}${rule.limitReason ? ` (${rule.limitReason})` : ''}, got ${n}`;
}

/**
 * How a message names options: the API's "where: key" by default; the CLI passes its flag names
 * ("--weak-batch-size"), so that a rule it shares with the API speaks of what the user typed.
 */
export interface OptionNames {
  prefix: string;
  name(key: string): string;
}

const apiNames = (where: string): OptionNames => ({ prefix: `${where}: `, name: (key) => key });

export interface LineSearchSettings {
  initialStep: number;
  maxStep: number;
  partitions: number;
}

/** s0, sMax and P, defaulted and checked: 0 < s0 < sMax, sMax/s0 <= 2^64, sMax within float32, 1 <= P <= 1024. */
export function resolveLineSearch(where: string, o: { initialStep?: unknown; maxStep?: unknown; partitions?: unknown }): LineSearchSettings {
  const d = DEFAULTS.lineSearch;
  const initialStep = number(where, 'initialStep', o.initialStep ?? d.initialStep, { above: 0 });
  const maxStep = number(where, 'maxStep', o.maxStep ?? d.maxStep, { above: initialStep });
  if (Math.log2(maxStep / initialStep) > LIMITS.bracketDoublings) {
    throw new OptionError(`${where}: maxStep / initialStep must be at most 2^${LIMITS.bracketDoublings} (the bracket doubles ` +
      `the step up to maxStep), got ${maxStep / initialStep}`);
  }
  checkNumber(where, 'maxStep', maxStep, FLOAT32);
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
    lr: checkNumber(where, 'lr', o.lr ?? defaultLr, RULES.lr),
    momentum: checkNumber(where, 'momentum', o.momentum ?? DEFAULTS.momentum, RULES.momentum),
    weightDecay: checkNumber(where, 'weightDecay', o.weightDecay ?? DEFAULTS.weightDecay, RULES.weightDecay),
    nesterov: boolean(where, 'nesterov', o.nesterov ?? DEFAULTS.nesterov),
  };
}

export function resolveBatchSize(where: string, value: unknown, fallback: number = DEFAULTS.batchSize, name = 'batchSize'): number {
  return checkNumber(where, name, value ?? fallback, RULES.batchSize);
}

export function resolveEpochs(where: string, value: unknown, fallback: number): number {
  return checkNumber(where, 'epochs', value ?? fallback, RULES.epochs);
}

export function resolveRho(where: string, value: unknown): number {
  return checkNumber(where, 'rho', value ?? DEFAULTS.fit.rho, RULES.rho);
}

/** PoF's own options (beyond the base optimizer), defaulted and checked against the batch size. */
export interface PofSettings extends LineSearchSettings {
  gamma: number;
  gammaMode: GammaMode;
  weakBatchSize: number;
  featureReuse: boolean;
}

export function resolvePof(where: string, o: { gamma?: unknown; gammaMode?: unknown; weakBatchSize?: unknown; featureReuse?: unknown;
  initialStep?: unknown; maxStep?: unknown; partitions?: unknown }, batchSize: number, names = apiNames(where)): PofSettings {
  const featureReuse = boolean(where, 'featureReuse', o.featureReuse ?? DEFAULTS.postTrain.featureReuse);
  if (featureReuse && o.weakBatchSize !== undefined && o.weakBatchSize !== batchSize) {
    const n = names.name;
    throw new OptionError(`${names.prefix}${n('featureReuse')} takes B from the previous B̃: ${n('weakBatchSize')} must equal ` +
      `${n('batchSize')} (${batchSize}) or be left out, got ${String(o.weakBatchSize)}`);
  }
  return {
    gamma: checkNumber(where, 'gamma', o.gamma ?? DEFAULTS.postTrain.gamma, RULES.gamma),
    gammaMode: oneOf(where, 'gammaMode', o.gammaMode ?? DEFAULTS.postTrain.gammaMode, GAMMA_MODES),
    weakBatchSize: resolveBatchSize(where, o.weakBatchSize, batchSize, 'weakBatchSize'),
    featureReuse,
    ...resolveLineSearch(where, o),
  };
}

/** Each training method's own settings as the engine takes them (native/optim/*_method.cc parses each). */
export type MethodSettings =
  | { method: 'sgd' }
  /** localAscent: in a data-parallel job, each rank's own ascent (samScope 'local') instead of the global batch's. */
  | { method: 'sam'; rho: number; localAscent: boolean }
  | ({ method: 'pof' } & PofSettings);

/** What the native engine takes for an epoch or a step: every field resolved, the method's own only. */
export type NativeEpochSettings = { batchSize: number; epoch: number; totalEpochs: number; reportEvery: number } & MethodSettings;

/** A method's engine settings from the resolved options; SGD and SAM need no PoF settings. */
export function methodSettings(method: FitMethod, o: { rho: number; samScope: SamScope }): MethodSettings;
export function methodSettings(method: Method, o: { rho: number; samScope: SamScope; pof: PofSettings }): MethodSettings;
export function methodSettings(method: Method, o: { rho: number; samScope: SamScope; pof?: PofSettings }): MethodSettings {
  switch (method) {
    case 'sgd': return { method };
    case 'sam': return { method, rho: o.rho, localAscent: o.samScope === 'local' };
    case 'pof': return { method, ...o.pof! };
  }
}

export type DeviceName = 'cpu' | 'cuda' | `cuda:${number}`;

/** The device names there are, in words (messages and --help). */
export const DEVICE_FORMS = "'cpu', 'cuda' or 'cuda:N'";

/** Whether `value` is a device name: 'cpu', 'cuda' or 'cuda:N' (whether it exists is the native side's to say). */
export function isDeviceName(value: unknown): value is DeviceName {
  return typeof value === 'string' && /^(cpu|cuda(:\d+)?)$/.test(value);
}

export function resolveDevice(where: string, value: unknown): DeviceName {
  const device = value ?? DEFAULTS.device;
  if (!isDeviceName(device)) throw new OptionError(`${where}: device must be ${DEVICE_FORMS}, got ${JSON.stringify(device)}`);
  return device;
}
