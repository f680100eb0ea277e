// PoFTrainer: train a model with SGD or SAM, post-train its feature extractor with PoF, evaluate.
// Orchestration only: every epoch, step and evaluation runs natively off the main thread.
import { ImageSet } from './data/types';
import { ModelSpec } from './models';
import { AnyTypedArray, Dtype, native, NativeDataset, NativeEngine, NativeEpochOptions, NativeEpochStats, NativeModel,
  NativePerformanceOptions } from './native';
import { boolean, checkKeys, integer, number, oneOf, optionalFunction, OptionError } from './options';
import { constant, learningRateAt, multistep, Schedule, validateSchedule } from './schedules';

export interface TrainerOptions {
  model: ModelSpec;
  /** 'cpu', 'cuda' or 'cuda:N' (default 'cpu'). */
  device?: string;
  /** Fixes initial weights, batch order, augmentation and PoF's draws (default 0). */
  seed?: number;
  /** Speed options (see PerformanceOptions). */
  performance?: PerformanceOptions;
}

/** Speed options; the maths is unchanged except for rounding (more of it under bf16 autocast). */
export interface PerformanceOptions {
  /** NHWC memory layout for convolution weights and batches (CPU and CUDA; convolutional models only). */
  channelsLast?: boolean;
  /** CUDA only, process-wide: cuDNN times the convolution algorithms once per shape and keeps the fastest. */
  cudnnBenchmark?: boolean;
  /** CUDA only: forward passes under bf16 autocast; PoF's line search stays float32. Default 'none'. */
  autocast?: 'none' | 'bf16';
}

/** What each epoch reports (and `onStep` every `reportEvery` steps, with step counts). */
export interface EpochReport {
  phase: 'fit' | 'postTrain';
  /** 1-based epoch within the phase. */
  epoch: number;
  epochs: number;
  lr: number;
  /** Mean training loss and error (percent) over the epoch's steps. */
  loss: number;
  error: number;
  /** PoF: mean xi* and perturbation norm over accepted batches, and the share of rejected batches. */
  xi?: number;
  perturbation?: number;
  rejectRate?: number;
  steps: number;
  seconds: number;
  /** When `evalData` was given: its loss and error (percent) after the epoch. */
  eval?: { loss: number; error: number };
}

export interface StepReport extends EpochReport {
  step: number;
  stepsPerEpoch: number;
}

interface CommonOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  schedule?: Schedule;
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  onStep?: (report: StepReport) => void;
  /** Steps between `onStep` calls (0: none). */
  reportEvery?: number;
  /** Aborting stops training at the next step; the model stays consistent. */
  signal?: AbortSignal;
  /** Evaluated after every epoch when given. */
  evalData?: ImageSet;
}

export interface FitOptions extends CommonOptions {
  method?: 'sgd' | 'sam';
  /** SAM's neighbourhood radius (paper: 0.05; 0.01 for SVHN). */
  rho?: number;
}

export interface PostTrainOptions extends CommonOptions {
  /** Expansion factor: the fixed value, or the maximum for 'uniform' / 'linear' (paper: 2). */
  gamma?: number;
  gammaMode?: 'fixed' | 'uniform' | 'linear';
  /** Size of B, the batch the line search runs on (default: batchSize). */
  weakBatchSize?: number;
  /**
   * B = the previous iteration's B̃, with the features computed for its update (one step stale):
   * saves PoF's extra forward pass. The first iteration of each epoch draws its own B. Default off.
   */
  featureReuse?: boolean;
  /** Line search: first step s0, bracket limit sMax (no rise before it: reject), grid partitions P. */
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
}

export interface TrainingResult {
  history: EpochReport[];
  aborted: boolean;
}

export interface TensorEntry {
  shape: number[];
  dtype: Dtype;
  data: AnyTypedArray;
}
export type StateDict = Record<string, TensorEntry>;

const COMMON_KEYS = ['epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'nesterov', 'schedule', 'onEpoch', 'onStep',
  'reportEvery', 'signal', 'evalData'] as const;
const FIT_KEYS = [...COMMON_KEYS, 'method', 'rho'];
const POST_TRAIN_KEYS = [...COMMON_KEYS, 'gamma', 'gammaMode', 'weakBatchSize', 'featureReuse', 'initialStep', 'maxStep',
  'partitions'];

interface Phase {
  name: 'fit' | 'postTrain';
  epochs: number;
  lr: number;
  schedule: Schedule;
  optimizer: { featuresOnly: boolean; lr: number; momentum: number; weightDecay: number; nesterov: boolean };
  epochOptions: NativeEpochOptions;
  common: CommonOptions;
}

function commonPhase(where: string, o: CommonOptions, defaults: { epochs: number; lr: number; schedule: Schedule }) {
  const batchSize = integer(where, 'batchSize', o.batchSize ?? 256, 1);
  return {
    epochs: integer(where, 'epochs', o.epochs ?? defaults.epochs, 0),
    batchSize,
    lr: number(where, 'lr', o.lr ?? defaults.lr, { min: 0 }),
    momentum: number(where, 'momentum', o.momentum ?? 0.9, { min: 0, max: 1 }),
    weightDecay: number(where, 'weightDecay', o.weightDecay ?? 5e-4, { min: 0 }),
    nesterov: boolean(where, 'nesterov', o.nesterov ?? true),
    schedule: validateSchedule(where, o.schedule ?? defaults.schedule),
    reportEvery: integer(where, 'reportEvery', o.reportEvery ?? 0, 0),
  };
}

function performanceOptions(where: string, p: PerformanceOptions): NativePerformanceOptions {
  if (typeof p !== 'object' || p === null) throw new OptionError(`${where}: performance must be an object`);
  checkKeys(`${where}.performance`, p, ['channelsLast', 'cudnnBenchmark', 'autocast']);
  return {
    channelsLast: boolean(where, 'performance.channelsLast', p.channelsLast ?? false),
    cudnnBenchmark: boolean(where, 'performance.cudnnBenchmark', p.cudnnBenchmark ?? false),
    autocast: oneOf(where, 'performance.autocast', p.autocast ?? 'none', ['none', 'bf16'] as const),
  };
}

function checkCallbacks(where: string, o: CommonOptions): void {
  optionalFunction(where, 'onEpoch', o.onEpoch);
  optionalFunction(where, 'onStep', o.onStep);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new OptionError(`${where}: signal must be an AbortSignal`);
}

export class PoFTrainer {
  readonly device: string;
  readonly seed: number;
  readonly spec: ModelSpec;
  private readonly nativeModel: NativeModel;
  private readonly engine: NativeEngine;
  private readonly residentData = new WeakMap<ImageSet, NativeDataset>();

  constructor(options: TrainerOptions) {
    const where = 'PoFTrainer';
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, ['model', 'device', 'seed', 'performance']);
    if (typeof options.model !== 'object' || options.model === null) {
      throw new OptionError(`${where}: model must come from models.mlp(...) or models.wideResNet(...)`);
    }
    this.spec = options.model;
    this.device = options.device ?? 'cpu';
    this.seed = integer(where, 'seed', options.seed ?? 0, 0);
    this.nativeModel = new native.Model(this.spec, this.seed, this.device);
    this.engine = new native.Engine(this.nativeModel, this.seed);
    if (options.performance !== undefined) this.engine.configurePerformance(performanceOptions(where, options.performance));
  }

  /** Parameter groups, feature dimension and counts of the model being trained. */
  get model() {
    const info = this.nativeModel.info();
    return { ...info, parameterGroups: this.nativeModel.parameterNames() };
  }

  /** Trains every parameter with SGD (Nesterov momentum, weight decay) or SAM over it. */
  async fit(train: ImageSet, options: FitOptions = {}): Promise<TrainingResult> {
    const where = 'fit';
    checkKeys(where, options, FIT_KEYS);
    checkCallbacks(where, options);
    const c = commonPhase(where, options, { epochs: 200, lr: 0.1, schedule: multistep([60, 120, 160, 200], 0.2) });
    const method = oneOf(where, 'method', options.method ?? 'sgd', ['sgd', 'sam'] as const);
    const rho = number(where, 'rho', options.rho ?? 0.05, { min: 0 });
    return this.runPhase(train, {
      name: 'fit', epochs: c.epochs, lr: c.lr, schedule: c.schedule, common: options,
      optimizer: { featuresOnly: false, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
      epochOptions: { method, batchSize: c.batchSize, rho, reportEvery: c.reportEvery },
    });
  }

  /** PoF: updates the feature extractor under classifier perturbations; the classifier stays θ0. */
  async postTrain(train: ImageSet, options: PostTrainOptions = {}): Promise<TrainingResult> {
    const where = 'postTrain';
    checkKeys(where, options, POST_TRAIN_KEYS);
    checkCallbacks(where, options);
    const c = commonPhase(where, options, { epochs: 10, lr: 3e-5, schedule: constant() });
    const initialStep = number(where, 'initialStep', options.initialStep ?? 1, { above: 0 });
    const maxStep = number(where, 'maxStep', options.maxStep ?? 100, { above: initialStep });
    const featureReuse = boolean(where, 'featureReuse', options.featureReuse ?? false);
    if (featureReuse && options.weakBatchSize !== undefined && options.weakBatchSize !== c.batchSize) {
      throw new OptionError(`${where}: featureReuse takes B from the previous B̃, so weakBatchSize must equal batchSize ` +
        `(${c.batchSize}) or be left out; got ${options.weakBatchSize}`);
    }
    return this.runPhase(train, {
      name: 'postTrain', epochs: c.epochs, lr: c.lr, schedule: c.schedule, common: options,
      optimizer: { featuresOnly: true, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
      epochOptions: {
        method: 'pof', batchSize: c.batchSize, reportEvery: c.reportEvery,
        gamma: number(where, 'gamma', options.gamma ?? 2, { min: 0 }),
        gammaMode: oneOf(where, 'gammaMode', options.gammaMode ?? 'fixed', ['fixed', 'uniform', 'linear'] as const),
        weakBatchSize: integer(where, 'weakBatchSize', options.weakBatchSize ?? c.batchSize, 1),
        featureReuse, initialStep, maxStep,
        partitions: integer(where, 'partitions', options.partitions ?? 16, 1),
      },
    });
  }

  /** Loss (mean cross entropy) and error (percent) in evaluation mode. */
  async evaluate(data: ImageSet, options: { batchSize?: number } = {}): Promise<{ loss: number; error: number; examples: number }> {
    checkKeys('evaluate', options, ['batchSize']);
    const batchSize = integer('evaluate', 'batchSize', options.batchSize ?? 1024, 1);
    return this.engine.evaluate(this.resident(data, 'evaluate'), batchSize);
  }

  /**
   * One step on exactly these examples (no augmentation) with a fresh optimizer: for custom loops and
   * for checking the maths. `weakIndices` is PoF's batch B; with `featureReuse`, B is the previous PoF
   * step's B̃ (its features from that step) and `weakIndices` is given only on the first step.
   */
  async step(data: ImageSet, options: { method: 'sgd' | 'sam' | 'pof'; indices: Int32Array; weakIndices?: Int32Array } &
    Omit<FitOptions & PostTrainOptions, 'method' | 'epochs' | 'schedule' | 'onEpoch' | 'onStep' | 'reportEvery' | 'signal' | 'evalData'>):
    Promise<NativeEpochStats> {
    const where = 'step';
    const method = oneOf(where, 'method', options.method, ['sgd', 'sam', 'pof'] as const);
    const { indices, weakIndices, ...rest } = options;
    const c = commonPhase(where, { ...rest, batchSize: indices.length } as CommonOptions, { epochs: 1, lr: method === 'pof' ? 3e-5 : 0.1, schedule: constant() });
    this.engine.configureOptimizer({ featuresOnly: method === 'pof', lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov });
    return this.engine.trainStep(this.resident(data, where), indices, weakIndices ?? null, {
      method, batchSize: indices.length, rho: options.rho ?? 0.05, gamma: options.gamma ?? 2,
      gammaMode: options.gammaMode ?? 'fixed', initialStep: options.initialStep ?? 1, maxStep: options.maxStep ?? 100,
      partitions: options.partitions ?? 16, featureReuse: boolean(where, 'featureReuse', options.featureReuse ?? false),
    });
  }

  /** Moves the weights to SAM's ascent point w + ρ·g/‖g‖ for these examples (analyses and tests). */
  samAscend(data: ImageSet, indices: Int32Array, rho: number): void {
    this.engine.samAscend(this.resident(data, 'samAscend'), indices, number('samAscend', 'rho', rho, { min: 0 }));
  }

  /** Feature-extractor outputs F_φ(x) of these examples in evaluation mode: [B, featureDim] row-major. */
  async features(data: ImageSet, indices: Int32Array): Promise<Float32Array> {
    const t = await this.engine.features(this.resident(data, 'features'), indices);
    return t.toArray() as Float32Array;
  }

  /** Every parameter and buffer by name (PyTorch state_dict order), copied to host arrays. */
  async stateDict(): Promise<StateDict> {
    const out: StateDict = {};
    for (const e of this.nativeModel.stateDict()) out[e.name] = { shape: e.shape, dtype: e.dtype, data: e.data };
    return out;
  }

  /** Loads every tensor of the model; a mismatch lists the first few names with both shapes. */
  async loadStateDict(state: StateDict): Promise<void> {
    if (typeof state !== 'object' || state === null) throw new OptionError('loadStateDict: expected { [name]: { shape, data } }');
    this.nativeModel.loadStateDict(Object.entries(state).map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  }

  /** The native, device-resident copy of a split (made once per ImageSet). */
  resident(data: ImageSet, where: string): NativeDataset {
    if (typeof data !== 'object' || data === null || !data.images || !data.labels || !data.shape) {
      throw new OptionError(`${where}: data must be an ImageSet (from datasets.fromArrays or a dataset reader)`);
    }
    let ds = this.residentData.get(data);
    if (!ds) {
      const aug = data.augmentation;
      ds = new native.Dataset({
        inputs: data.images, shape: data.shape, labels: data.labels, numClasses: data.numClasses,
        mean: data.normalization?.mean, std: data.normalization?.std,
        cropPadding: aug?.cropPadding ?? 0, flip: aug?.flip ?? false, cutout: aug?.cutout ?? 0, device: this.device,
      });
      this.residentData.set(data, ds);
    }
    return ds;
  }

  private async runPhase(train: ImageSet, phase: Phase): Promise<TrainingResult> {
    const data = this.resident(train, phase.name);
    const evalData = phase.common.evalData;
    if (evalData) this.resident(evalData, phase.name);
    this.engine.configureOptimizer(phase.optimizer);
    const history: EpochReport[] = [];
    const signal = phase.common.signal;
    const cancel = () => this.engine.cancel();
    signal?.addEventListener('abort', cancel);
    let aborted = signal?.aborted ?? false;
    try {
      for (let epoch = 0; epoch < phase.epochs && !aborted; epoch += 1) {
        const lr = learningRateAt(phase.schedule, phase.lr, epoch, phase.epochs);
        this.engine.setLearningRate(lr);
        const base = { phase: phase.name, epoch: epoch + 1, epochs: phase.epochs, lr };
        const onStep = phase.common.onStep;
        const stats = await this.engine.trainEpoch(data, { ...phase.epochOptions, epoch, totalEpochs: phase.epochs },
          onStep && ((p) => onStep({ ...base, ...this.report(phase, p), step: p.step, stepsPerEpoch: p.stepsPerEpoch })));
        const report: EpochReport = { ...base, ...this.report(phase, stats) };
        if (evalData) {
          const e = await this.evaluate(evalData);
          report.eval = { loss: e.loss, error: e.error };
        }
        history.push(report);
        aborted = stats.cancelled || (signal?.aborted ?? false);
        await phase.common.onEpoch?.(report);
      }
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return { history, aborted };
  }

  private report(phase: Phase, s: NativeEpochStats) {
    const pof = phase.name === 'postTrain' ? { xi: s.xi, perturbation: s.perturbation, rejectRate: s.rejectRate } : {};
    return { loss: s.loss, error: s.error, steps: s.steps, seconds: s.seconds, ...pof };
  }
}
