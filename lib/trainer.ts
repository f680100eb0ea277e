// PoFTrainer: train a model with SGD or SAM, post-train its feature extractor with PoF, evaluate.
// Orchestration only: every epoch, step and evaluation runs natively off the main thread.
import { promises as fs } from 'fs';
import { loadStateDict as loadCheckpointStateDict, StateDictSource } from './checkpoint/state-dict';
import { assertSameSettings, readResumePoint, ResumePoint, withSavedSettings } from './checkpoint/resume';
import {
  assertMatchesModel, assertSameModel, assertWritablePath, CheckpointInfo, CheckpointTarget, checkpointFile, nativeEntriesOf,
  PhaseName, PhaseProgress, PhaseSettings, readCheckpoint, resolveCheckpointTarget, writeCheckpoint,
} from './checkpoint/training-checkpoint';
import { ImageSet } from './data/types';
import { ModelSpec } from './models';
import { AnyTypedArray, Dtype, native, NativeDataset, NativeEngine, NativeEpochOptions, NativeEpochStats, NativeModel,
  NativePerformanceOptions } from './native';
import { boolean, checkKeys, integer, number, oneOf, optionalFunction, OptionError } from './options';
import { constant, learningRateAt, multistep, Schedule, validateSchedule } from './schedules';

export type { CheckpointInfo, CheckpointTarget } from './checkpoint/training-checkpoint';

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
  /** Write a training checkpoint every N epochs, after the last one and when aborted between epochs. */
  checkpoint?: CheckpointTarget;
  /**
   * A training checkpoint of this phase to continue from (its next epoch). Options left out take the
   * saved values; options given must equal them, so that the run continues exactly.
   */
  resume?: string;
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
  /** The epochs run by this call (after a resume: only the remaining ones). */
  history: EpochReport[];
  aborted: boolean;
  /** The checkpoint files written, in order. */
  checkpoints: string[];
}

export interface SaveOptions {
  /** Also save the optimizer state, the generator state and the phase's options, so `resume` can continue the run (default false). */
  training?: boolean;
  /** Extra string metadata for the file's __metadata__. */
  metadata?: Record<string, string>;
}

export interface TensorEntry {
  shape: number[];
  dtype: Dtype;
  data: AnyTypedArray;
}
export type StateDict = Record<string, TensorEntry>;

const COMMON_KEYS = ['epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'nesterov', 'schedule', 'onEpoch', 'onStep',
  'reportEvery', 'signal', 'evalData', 'checkpoint', 'resume'] as const;
const FIT_KEYS = [...COMMON_KEYS, 'method', 'rho'];
const POST_TRAIN_KEYS = [...COMMON_KEYS, 'gamma', 'gammaMode', 'weakBatchSize', 'featureReuse', 'initialStep', 'maxStep',
  'partitions'];

interface Phase {
  name: PhaseName;
  epochs: number;
  lr: number;
  schedule: Schedule;
  optimizer: { featuresOnly: boolean; lr: number; momentum: number; weightDecay: number; nesterov: boolean };
  epochOptions: NativeEpochOptions;
  /** The resolved options that define the run (saved in training checkpoints). */
  settings: PhaseSettings;
  common: CommonOptions;
}

/** The options every phase shares, resolved; all of them define the run. */
function commonSettings(where: string, o: CommonOptions, defaults: { epochs: number; lr: number; schedule: Schedule }) {
  return {
    epochs: integer(where, 'epochs', o.epochs ?? defaults.epochs, 0),
    batchSize: integer(where, 'batchSize', o.batchSize ?? 256, 1),
    lr: number(where, 'lr', o.lr ?? defaults.lr, { min: 0 }),
    momentum: number(where, 'momentum', o.momentum ?? 0.9, { min: 0, max: 1 }),
    weightDecay: number(where, 'weightDecay', o.weightDecay ?? 5e-4, { min: 0 }),
    nesterov: boolean(where, 'nesterov', o.nesterov ?? true),
    schedule: validateSchedule(where, o.schedule ?? defaults.schedule),
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
  /** The running or last phase at its last completed epoch; undefined once the state left an epoch boundary. */
  private progress?: PhaseProgress;

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

  /** The native model, for lib/analysis (not part of the public API). */
  get nativeModelForAnalysis(): NativeModel {
    return this.nativeModel;
  }

  /** Trains every parameter with SGD (Nesterov momentum, weight decay) or SAM over it. */
  async fit(train: ImageSet, options: FitOptions = {}): Promise<TrainingResult> {
    return this.startPhase(train, 'fit', options, FIT_KEYS, (where, o: FitOptions) => {
      const c = commonSettings(where, o, { epochs: 200, lr: 0.1, schedule: multistep([60, 120, 160, 200], 0.2) });
      const method = oneOf(where, 'method', o.method ?? 'sgd', ['sgd', 'sam'] as const);
      const rho = number(where, 'rho', o.rho ?? 0.05, { min: 0 });
      return {
        settings: { ...c, method, rho },
        optimizer: { featuresOnly: false, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
        epochOptions: { method, batchSize: c.batchSize, rho },
      };
    });
  }

  /** PoF: updates the feature extractor under classifier perturbations; the classifier stays θ0. */
  async postTrain(train: ImageSet, options: PostTrainOptions = {}): Promise<TrainingResult> {
    return this.startPhase(train, 'postTrain', options, POST_TRAIN_KEYS, (where, o: PostTrainOptions) => {
      const c = commonSettings(where, o, { epochs: 10, lr: 3e-5, schedule: constant() });
      const initialStep = number(where, 'initialStep', o.initialStep ?? 1, { above: 0 });
      const featureReuse = boolean(where, 'featureReuse', o.featureReuse ?? false);
      if (featureReuse && o.weakBatchSize !== undefined && o.weakBatchSize !== c.batchSize) {
        throw new OptionError(`${where}: featureReuse takes B from the previous B̃, so weakBatchSize must equal batchSize ` +
          `(${c.batchSize}) or be left out; got ${o.weakBatchSize}`);
      }
      const pof = {
        gamma: number(where, 'gamma', o.gamma ?? 2, { min: 0 }),
        gammaMode: oneOf(where, 'gammaMode', o.gammaMode ?? 'fixed', ['fixed', 'uniform', 'linear'] as const),
        weakBatchSize: integer(where, 'weakBatchSize', o.weakBatchSize ?? c.batchSize, 1),
        featureReuse,
        initialStep,
        maxStep: number(where, 'maxStep', o.maxStep ?? 100, { above: initialStep }),
        partitions: integer(where, 'partitions', o.partitions ?? 16, 1),
      };
      return {
        settings: { ...c, method: 'pof' as const, ...pof },
        optimizer: { featuresOnly: true, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
        epochOptions: { method: 'pof' as const, batchSize: c.batchSize, ...pof },
      };
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
    const c = commonSettings(where, { ...rest, batchSize: indices.length } as CommonOptions, { epochs: 1, lr: method === 'pof' ? 3e-5 : 0.1, schedule: constant() });
    this.progress = undefined;  // a fresh optimizer: no longer a phase's epoch boundary
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
    this.progress = undefined;
    this.nativeModel.loadStateDict(Object.entries(state).map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  }

  /**
   * Writes the model's tensors (PyTorch names) as safetensors, atomically, with the model config and
   * the last phase's epoch, method and dataset in the metadata. `training: true` adds what `resume`
   * needs: the optimizer's momentum buffers, the generator state and the phase's options.
   */
  async save(file: string, options: SaveOptions = {}): Promise<void> {
    const where = 'save';
    await assertWritablePath(`${where}: path`, file);
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, ['training', 'metadata']);
    const training = boolean(where, 'training', options.training ?? false);
    if (options.metadata !== undefined && (typeof options.metadata !== 'object' || options.metadata === null)) {
      throw new OptionError(`${where}: metadata must be an object of strings`);
    }
    if (training && !this.progress) {
      throw new OptionError(`${where}: a training checkpoint is taken between epochs of fit or postTrain; this trainer has no phase ` +
        'at an epoch boundary (none ran, the last epoch was aborted midway, or step/load changed the state since)');
    }
    await this.writeCheckpointFile(file, training, options.metadata);
  }

  /**
   * Loads the weights of a checkpoint written by save() (either kind; optimizer and generator state
   * are only used by `resume`) or any safetensors file with this model's names and shapes.
   * Returns what the file says about itself, including its kind.
   */
  async load(file: string): Promise<CheckpointInfo> {
    const where = 'load';
    if (typeof file !== 'string' || file === '') throw new OptionError(`${where}: path must be a file path, got ${JSON.stringify(file)}`);
    const contents = await readCheckpoint(file, where);
    assertSameModel(where, file, contents.info.model, this.spec);
    assertMatchesModel(contents.weights, this.nativeModel.stateShapes(), file);
    this.progress = undefined;
    this.nativeModel.loadStateDict(contents.weights);
    return contents.info;
  }

  /**
   * Loads weights from torch.save files: a state_dict (plain or under 'state_dict' / 'model' /
   * 'param'), or the PoF authors' { features, classifier } files. DDP's 'module.' prefixes are
   * removed; names and shapes must match this model (the error lists the first mismatches).
   */
  async importPyTorch(source: StateDictSource): Promise<void> {
    const where = 'importPyTorch';
    const files = typeof source === 'string' ? [source]
      : typeof source === 'object' && source !== null && typeof source.features === 'string' && typeof source.classifier === 'string'
        ? [source.features, source.classifier] : undefined;
    if (!files) throw new OptionError(`${where}: expected a path, or { features: path, classifier: path } for the authors' two-file layout`);
    if (typeof source === 'object') checkKeys(where, source, ['features', 'classifier']);
    for (const file of files) {
      if (!(await fs.stat(file).catch(() => undefined))?.isFile()) throw new OptionError(`${where}: ${file} does not exist or is not a file`);
    }
    const label = files.join(' + ');
    const entries = nativeEntriesOf(await loadCheckpointStateDict(source, { toFloat32: true }), label);
    assertMatchesModel(entries, this.nativeModel.stateShapes(), label);
    this.progress = undefined;
    this.nativeModel.loadStateDict(entries);
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

  /** Validates a phase's options (merged with a resume's saved ones) and runs it. */
  private async startPhase<O extends CommonOptions>(train: ImageSet, name: PhaseName, options: O, allowed: readonly string[],
    resolve: (where: string, o: O) => Pick<Phase, 'settings' | 'optimizer' | 'epochOptions'>): Promise<TrainingResult> {
    const where = name;
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, allowed);
    checkCallbacks(where, options);
    this.resident(train, where);
    const resume = options.resume === undefined ? undefined
      : await readResumePoint(where, options.resume, train, { spec: this.spec, device: this.device, model: this.nativeModel });
    const resolved = resolve(where, resume ? withSavedSettings(options, resume.contents.training.progress.settings, allowed) : options);
    if (resume) assertSameSettings(where, resume, resolved.settings);
    const checkpoint = await resolveCheckpointTarget(where, options.checkpoint);
    const reportEvery = integer(where, 'reportEvery', options.reportEvery ?? 0, 0);
    const s = resolved.settings;
    return this.runPhase(train, {
      name, epochs: s.epochs, lr: s.lr as number, schedule: s.schedule as Schedule, settings: s, common: options,
      optimizer: resolved.optimizer, epochOptions: { ...resolved.epochOptions, reportEvery },
    }, resume, checkpoint);
  }

  private async writeCheckpointFile(file: string, training: boolean, metadata?: Record<string, string>): Promise<void> {
    await writeCheckpoint(file, {
      model: this.spec, device: this.device, weights: this.nativeModel.stateDict(), progress: this.progress, metadata,
      training: training ? { optimizer: this.engine.optimizerState(), rng: this.engine.rngState() } : undefined,
    });
  }

  private async runPhase(train: ImageSet, phase: Phase, resume: ResumePoint | undefined,
    checkpoint: { path?: string; dir?: string; every: number } | undefined): Promise<TrainingResult> {
    const data = this.resident(train, phase.name);
    const evalData = phase.common.evalData;
    if (evalData) this.resident(evalData, phase.name);
    this.progress = undefined;
    this.engine.configureOptimizer(phase.optimizer);
    const dataset = { name: train.name, size: train.labels.length };
    let first = 0;
    if (resume) {
      const { weights, training } = resume.contents;
      this.nativeModel.loadStateDict(weights);
      this.engine.setOptimizerState(training.optimizer);
      this.engine.setRngState(training.rng);
      first = training.progress.epoch;
      this.progress = { phase: phase.name, epoch: first, settings: phase.settings, dataset };
    }
    const history: EpochReport[] = [];
    const checkpoints: string[] = [];
    const signal = phase.common.signal;
    const cancel = () => this.engine.cancel();
    signal?.addEventListener('abort', cancel);
    let aborted = signal?.aborted ?? false;
    try {
      for (let epoch = first; epoch < phase.epochs && !aborted; epoch += 1) {
        const lr = learningRateAt(phase.schedule, phase.lr, epoch, phase.epochs);
        this.engine.setLearningRate(lr);
        const base = { phase: phase.name, epoch: epoch + 1, epochs: phase.epochs, lr };
        const onStep = phase.common.onStep;
        this.progress = undefined;  // mid-epoch
        const stats = await this.engine.trainEpoch(data, { ...phase.epochOptions, epoch, totalEpochs: phase.epochs },
          onStep && ((p) => onStep({ ...base, ...this.report(phase, p), step: p.step, stepsPerEpoch: p.stepsPerEpoch })));
        if (!stats.cancelled) this.progress = { phase: phase.name, epoch: epoch + 1, settings: phase.settings, dataset };
        const report: EpochReport = { ...base, ...this.report(phase, stats) };
        if (evalData) {
          const e = await this.evaluate(evalData);
          report.eval = { loss: e.loss, error: e.error };
        }
        history.push(report);
        aborted = stats.cancelled || (signal?.aborted ?? false);
        await phase.common.onEpoch?.(report);
        // An abort during onEpoch stops here, between epochs, where a checkpoint is consistent.
        aborted ||= signal?.aborted ?? false;
        const done = epoch + 1;
        if (checkpoint && !stats.cancelled && (done % checkpoint.every === 0 || done === phase.epochs || aborted)) {
          const file = checkpointFile(checkpoint, phase.name, done);
          await this.writeCheckpointFile(file, true);
          checkpoints.push(file);
        }
      }
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return { history, aborted, checkpoints };
  }

  private report(phase: Phase, s: NativeEpochStats) {
    const pof = phase.name === 'postTrain' ? { xi: s.xi, perturbation: s.perturbation, rejectRate: s.rejectRate } : {};
    return { loss: s.loss, error: s.error, steps: s.steps, seconds: s.seconds, ...pof };
  }
}
