// PoFTrainer: train a model with SGD or SAM, post-train its feature extractor with PoF, evaluate.
// Orchestration only: every epoch, step and evaluation runs natively off the main thread.
import { promises as fs } from 'fs';
import { loadStateDict as loadCheckpointStateDict, StateDictSource } from './checkpoint/state-dict';
import { assertSameSettings, readResumePoint, ResumePoint, withSavedSettings } from './checkpoint/resume';
import {
  assertMatchesModel, assertSameModel, assertWritablePath, CheckpointInfo, CheckpointTarget, checkpointFile, nativeEntriesOf,
  PhaseName, PhaseProgress, PhaseSettings, readCheckpoint, resolveCheckpointTarget, writeCheckpoint,
} from './checkpoint/training-checkpoint';
import { writeFileAtomic } from './checkpoint/atomic';
import { checkBatchFits, checkDataFitsModel, checkImageSet, checkIndices } from './data-fit';
import { ImageSet } from './data/types';
import {
  DeviceName, DEFAULTS, engineOptions, Method, OptimizerSettings, resolveBatchSize, resolveDevice, resolveEpochs, resolveOptimizer, resolvePof,
  resolveRho,
} from './defaults';
import { DistributedSetting, JobPlace, rankDevice, resolveDistributed } from './distributed';
import { BusyError, DisposedError, DistributedError } from './errors';
import { ModelSpec, validateModelSpec } from './models';
import { AnyTypedArray, Dtype, native, NativeDataset, NativeEngine, NativeEpochOptions, NativeEpochStats, NativeModel,
  NativePerformanceOptions, NativeProcessGroup, NativeProgress } from './native';
import { boolean, checkKeys, integer, oneOf, optionalFunction, OptionError } from './options';
import { constant, learningRateAt, multistep, Schedule, validateSchedule } from './schedules';
import { dropEventsAfter, EventWriter, scalarSummaries } from './tensorboard';

export type { CheckpointInfo, CheckpointTarget } from './checkpoint/training-checkpoint';

export interface TrainerOptions {
  model: ModelSpec;
  /** 'cpu', 'cuda' or 'cuda:N' (default 'cpu'). */
  device?: DeviceName;
  /** Fixes initial weights, batch order, augmentation and PoF's draws (default 0). */
  seed?: number;
  /** Speed options (see PerformanceOptions). */
  performance?: PerformanceOptions;
  /**
   * Data parallelism: this trainer is one rank of a job ('env': torchrun's variables). `batchSize` stays the
   * global batch, split over the ranks; every rank calls the same methods in the same order (fit, postTrain,
   * evaluate, step and save are collective); rank 0 writes the files. See the README's "Several processes".
   */
  distributed?: DistributedSetting;
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
  /** Steps run, of the epoch's stepsPerEpoch; `partial` when the epoch was stopped early (abort). */
  steps: number;
  stepsPerEpoch: number;
  partial: boolean;
  seconds: number;
  /** When `evalData` was given: its loss and error (percent) after the epoch. */
  eval?: { loss: number; error: number };
}

export interface StepReport extends EpochReport {
  step: number;
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
  /**
   * A directory for TensorBoard event files (created when missing): the scalars of every complete epoch,
   * under tags `<phase>/<name>` (README, "TensorBoard"), appended as each epoch ends. Not one of the run's
   * settings: a resume may log elsewhere or not at all; one into the same directory first drops the
   * phase's events after the checkpoint's epoch. In a data-parallel job, rank 0 writes them.
   */
  tensorboard?: string;
}

export interface FitOptions extends CommonOptions {
  method?: 'sgd' | 'sam';
  /** SAM's neighbourhood radius (paper: 0.05; 0.01 for SVHN). */
  rho?: number;
  /**
   * SAM in a data-parallel job: 'global' (default) ascends along the gradient of the whole global batch,
   * exactly single-process SAM; 'local' along each rank's own shard (per-rank ε, one all-reduce less).
   */
  samScope?: 'global' | 'local';
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
  'reportEvery', 'signal', 'evalData', 'checkpoint', 'resume', 'tensorboard'] as const;
const FIT_KEYS = [...COMMON_KEYS, 'method', 'rho', 'samScope'];
const POST_TRAIN_KEYS = [...COMMON_KEYS, 'gamma', 'gammaMode', 'weakBatchSize', 'featureReuse', 'initialStep', 'maxStep',
  'partitions'];

interface Phase {
  name: PhaseName;
  epochs: number;
  lr: number;
  schedule: Schedule;
  optimizer: OptimizerSettings & { featuresOnly: boolean };
  epochOptions: NativeEpochOptions;
  /** The resolved options that define the run (saved in training checkpoints). */
  settings: PhaseSettings;
  common: CommonOptions;
  /** The directory of the phase's TensorBoard event files, when asked for. */
  tensorboard?: string;
}

/** The options every phase shares, resolved (lib/defaults.ts); all of them define the run. */
function commonSettings(where: string, o: CommonOptions, defaults: { epochs: number; lr: number; schedule: Schedule }) {
  return {
    epochs: resolveEpochs(where, o.epochs, defaults.epochs),
    batchSize: resolveBatchSize(where, o.batchSize),
    ...resolveOptimizer(where, o, defaults.lr),
    schedule: validateSchedule(where, o.schedule ?? defaults.schedule),
  };
}

const STEP_KEYS = ['method', 'indices', 'weakIndices', 'lr', 'momentum', 'weightDecay', 'nesterov', 'rho', 'gamma', 'gammaMode',
  'weakBatchSize', 'featureReuse', 'initialStep', 'maxStep', 'partitions'] as const;

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

function tensorBoardDir(where: string, dir: unknown): string | undefined {
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
    throw new OptionError(`${where}: tensorboard must be a directory path, got ${JSON.stringify(dir)}`);
  }
  return dir as string | undefined;
}

export class PoFTrainer {
  readonly device: string;
  readonly seed: number;
  readonly spec: ModelSpec;
  /** This process's place in its data-parallel job; undefined for a single process. */
  readonly job?: JobPlace;
  private readonly nativeModel: NativeModel;
  private readonly engine: NativeEngine;
  private readonly residentData = new WeakMap<ImageSet, NativeDataset>();
  /** Every resident split, so that dispose() can free them (weakly: a dropped ImageSet's copy may go). */
  private readonly residents: WeakRef<NativeDataset>[] = [];
  /** The running or last phase at its last completed epoch; undefined once the state left an epoch boundary. */
  private progress?: PhaseProgress;
  /** The phase running (fit / postTrain): no other phase, step or weight change may start meanwhile. */
  private phase?: PhaseName;
  /** The native work in flight (an epoch, an evaluation, ...): nothing else may use the model meanwhile. */
  private running?: string;
  /** Read-only calls made while a phase waits (e.g. evaluate from onEpoch): the phase resumes after them. */
  private readonly between = new Set<Promise<unknown>>();
  private disposed = false;
  /** The job this trainer is a rank of, once joined. */
  private group?: NativeProcessGroup;
  /** Joining the job (connecting, then taking rank 0's state); every later call waits for it. */
  private readonly joining?: Promise<void>;

  constructor(options: TrainerOptions) {
    const where = 'PoFTrainer';
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, ['model', 'device', 'seed', 'performance', 'distributed']);
    this.spec = validateModelSpec(where, options.model);
    let device = resolveDevice(where, options.device);
    const job = options.distributed === undefined ? undefined : resolveDistributed(where, options.distributed, device);
    if (job) {
      this.job = { rank: job.rank, worldSize: job.worldSize, localRank: job.localRank };
      device = rankDevice(device, this.job);
    }
    this.device = device;
    this.seed = integer(where, 'seed', options.seed ?? DEFAULTS.seed, 0);
    this.nativeModel = new native.Model(this.spec, this.seed, this.device);
    this.engine = new native.Engine(this.nativeModel, this.seed);
    if (options.performance !== undefined) this.engine.configurePerformance(performanceOptions(where, options.performance));
    if (job) {
      const { localRank, ...connect } = job;
      this.running = 'joining the data-parallel job';
      this.joining = native.connectProcessGroup(connect).then(async (group) => {
        this.group = group;
        await this.engine.joinProcessGroup(group);
      }).finally(() => { this.running = undefined; });
      this.joining.catch(() => undefined);  // its error is every later call's (ready() rethrows it)
    }
  }

  /**
   * Resolves once this trainer has joined its data-parallel job (at once for a single process): every
   * rank then holds rank 0's weights. Rejects with the DistributedError of a job that did not come together.
   * The other async methods wait for it themselves.
   */
  async ready(): Promise<void> {
    await this.joining;
  }

  /** Parameter groups, feature dimension and counts of the model being trained. */
  get model() {
    this.usable('model');
    const info = this.nativeModel.info();
    return { ...info, parameterGroups: this.nativeModel.parameterNames() };
  }

  /** @internal The native model, for lib/analysis. */
  get nativeModelForAnalysis(): NativeModel {
    this.usable('analysis');
    return this.nativeModel;
  }

  /** Trains every parameter with SGD (Nesterov momentum, weight decay) or SAM over it. */
  async fit(train: ImageSet, options: FitOptions = {}): Promise<TrainingResult> {
    return this.startPhase(train, 'fit', options, FIT_KEYS, (where, o: FitOptions) => {
      const f = DEFAULTS.fit;
      const c = commonSettings(where, o, { epochs: f.epochs, lr: f.lr, schedule: multistep([...f.milestones], f.factor) });
      const method = oneOf(where, 'method', o.method ?? f.method, ['sgd', 'sam'] as const);
      const rho = resolveRho(where, o.rho);
      const samScope = oneOf(where, 'samScope', o.samScope ?? f.samScope, ['global', 'local'] as const);
      return {
        // Saved with the run only when not the default, so that earlier checkpoints resume as before.
        settings: { ...c, method, rho, ...(samScope === 'local' ? { samScope } : {}) },
        optimizer: { featuresOnly: false, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
        epochOptions: engineOptions(method, c.batchSize, { rho, samScope }),
      };
    });
  }

  /** PoF: updates the feature extractor under classifier perturbations; the classifier stays θ0. */
  async postTrain(train: ImageSet, options: PostTrainOptions = {}): Promise<TrainingResult> {
    return this.startPhase(train, 'postTrain', options, POST_TRAIN_KEYS, (where, o: PostTrainOptions) => {
      const p = DEFAULTS.postTrain;
      const c = commonSettings(where, o, { epochs: p.epochs, lr: p.lr, schedule: constant() });
      const pof = resolvePof(where, o, c.batchSize);
      return {
        settings: { ...c, method: 'pof' as const, ...pof },
        optimizer: { featuresOnly: true, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov },
        epochOptions: engineOptions('pof', c.batchSize, { pof }),
      };
    });
  }

  /** Loss (mean cross entropy) and error (percent) in evaluation mode. May be called from onEpoch. */
  async evaluate(data: ImageSet, options: { batchSize?: number } = {}): Promise<{ loss: number; error: number; examples: number }> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'evaluate';
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, ['batchSize']);
    const batchSize = resolveBatchSize(where, options.batchSize, DEFAULTS.evalBatchSize);
    const resident = this.residentFor(where, data, 'evaluation data');
    return this.reading(where, () => this.engine.evaluate(resident, batchSize));
  }

  /**
   * One step on exactly these examples (no augmentation) with a fresh optimizer: for custom loops and
   * for checking the maths. `weakIndices` is PoF's batch B; with `featureReuse`, B is the previous PoF
   * step's B̃ (its features from that step) and `weakIndices` is given only on the first step.
   */
  async step(data: ImageSet, options: { method: Method; indices: Int32Array; weakIndices?: Int32Array } &
    Omit<FitOptions & PostTrainOptions, 'method' | 'epochs' | 'batchSize' | 'schedule' | 'onEpoch' | 'onStep' | 'reportEvery' |
      'signal' | 'evalData' | 'checkpoint' | 'resume' | 'tensorboard'>): Promise<NativeEpochStats> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'step';
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, STEP_KEYS);
    const method = oneOf(where, 'method', options.method, ['sgd', 'sam', 'pof'] as const);
    const resident = this.residentFor(where, data, 'training data');
    const size = data.shape[0];
    const indices = checkIndices(where, 'indices', options.indices, size);
    const weakIndices = options.weakIndices === undefined ? null : checkIndices(where, 'weakIndices', options.weakIndices, size);
    const optimizer = resolveOptimizer(where, options, method === 'pof' ? DEFAULTS.postTrain.lr : DEFAULTS.fit.lr);
    // A step's B is weakIndices itself: weakBatchSize, if given, only has to agree with featureReuse.
    const pof = resolvePof(where, options, indices.length);
    if (method === 'pof' && weakIndices === null && !pof.featureReuse) {
      throw new OptionError(`${where}: PoF needs weakIndices (the batch B of the line search), or featureReuse after a first step`);
    }
    const epochOptions = engineOptions(method, indices.length, { rho: resolveRho(where, options.rho), pof });
    return this.exclusive(where, async () => {
      this.progress = undefined;  // a fresh optimizer: no longer a phase's epoch boundary
      this.engine.configureOptimizer({ featuresOnly: method === 'pof', ...optimizer });
      return this.engine.trainStep(resident, indices, weakIndices, epochOptions);
    });
  }

  /** Moves the weights to SAM's ascent point w + ρ·g/‖g‖ for these examples (analyses and tests). */
  samAscend(data: ImageSet, indices: Int32Array, rho: number): void {
    const where = 'samAscend';
    const resident = this.residentFor(where, data, 'data');
    const checked = checkIndices(where, 'indices', indices, data.shape[0]);
    const r = resolveRho(where, rho);
    this.checkFree(where, true);
    this.progress = undefined;
    this.engine.samAscend(resident, checked, r);
  }

  /** Feature-extractor outputs F_φ(x) of these examples in evaluation mode: [B, featureDim] row-major. */
  async features(data: ImageSet, indices: Int32Array): Promise<Float32Array> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'features';
    const resident = this.residentFor(where, data, 'data');
    const checked = checkIndices(where, 'indices', indices, data.shape[0]);
    const t = await this.reading(where, () => this.engine.features(resident, checked));
    return t.toArray() as Float32Array;
  }

  /** Every parameter and buffer by name (PyTorch state_dict order), copied to host arrays. */
  async stateDict(): Promise<StateDict> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    this.checkFree('stateDict', false);
    const out: StateDict = {};
    for (const e of this.nativeModel.stateDict()) out[e.name] = { shape: e.shape, dtype: e.dtype, data: e.data };
    return out;
  }

  /** Loads every tensor of the model; a mismatch lists the first few names with both shapes. */
  async loadStateDict(state: StateDict): Promise<void> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    if (typeof state !== 'object' || state === null) throw new OptionError('loadStateDict: expected { [name]: { shape, data } }');
    this.checkFree('loadStateDict', true);
    this.progress = undefined;
    const entries = Object.entries(state).map(([name, t]) => {
      if (typeof t !== 'object' || t === null) throw new OptionError(`loadStateDict: '${name}' must be { shape, data }, got ${String(t)}`);
      return { name, shape: t.shape, data: t.data };
    });
    this.nativeModel.loadStateDict(entries);
  }

  /**
   * Writes the model's tensors (PyTorch names) as safetensors, atomically, with the model config and
   * the last phase's epoch, method and dataset in the metadata. `training: true` adds what `resume`
   * needs: the optimizer's momentum buffers, the generator state and the phase's options.
   */
  async save(file: string, options: SaveOptions = {}): Promise<void> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'save';
    this.checkFree(where, false);
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
    await this.track(this.rankZeroWrites(file, () => this.writeCheckpointFile(file, training, options.metadata)));
  }

  /**
   * Loads the weights of a checkpoint written by save() (either kind; optimizer and generator state
   * are only used by `resume`) or any safetensors file with this model's names and shapes.
   * Returns what the file says about itself, including its kind.
   */
  async load(file: string): Promise<CheckpointInfo> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'load';
    if (typeof file !== 'string' || file === '') throw new OptionError(`${where}: path must be a file path, got ${JSON.stringify(file)}`);
    this.checkFree(where, true);
    const contents = await readCheckpoint(file, where);
    assertSameModel(where, file, contents.info.model, this.spec);
    assertMatchesModel(contents.weights, this.nativeModel.stateShapes(), file);
    this.checkFree(where, true);
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
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'importPyTorch';
    const files = typeof source === 'string' ? [source]
      : typeof source === 'object' && source !== null && typeof source.features === 'string' && typeof source.classifier === 'string'
        ? [source.features, source.classifier] : undefined;
    if (!files) throw new OptionError(`${where}: expected a path, or { features: path, classifier: path } for the authors' two-file layout`);
    if (typeof source === 'object') checkKeys(where, source, ['features', 'classifier']);
    this.checkFree(where, true);
    for (const file of files) {
      if (!(await fs.stat(file).catch(() => undefined))?.isFile()) throw new OptionError(`${where}: ${file} does not exist or is not a file`);
    }
    const label = files.join(' + ');
    // Names and shapes are checked before any tensor data is copied (a stride-0 view cannot expand first).
    const expect = new Map(this.nativeModel.stateShapes().map((s) => [s.name, s.shape]));
    const entries = nativeEntriesOf(await loadCheckpointStateDict(source, { toFloat32: true, expect }), label);
    this.checkFree(where, true);
    this.progress = undefined;
    this.nativeModel.loadStateDict(entries);
  }

  /**
   * Writes a TorchScript model (models.torchScript) with its current weights and BN statistics as a
   * torch.jit.save file, atomically: `torch.jit.load` in Python gets the post-trained network back.
   */
  async exportTorchScript(file: string): Promise<void> {
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    const where = 'exportTorchScript';
    if (this.spec.kind !== 'torchScript') {
      throw new OptionError(`${where}: only a model from models.torchScript can be exported as TorchScript; this trainer's is a ${this.spec.kind}`);
    }
    this.checkFree(where, false);
    await assertWritablePath(`${where}: path`, file);
    await this.track(this.rankZeroWrites(file, () => writeFileAtomic(file, this.nativeModel.torchScriptBytes())));
  }

  /**
   * Frees the model's weights, the optimizer state and the resident copies of the data now, instead of
   * when V8 collects the trainer. Refused while a phase or call runs; every later call is a DisposedError.
   */
  dispose(): void {
    if (this.disposed) return;
    this.checkFree('dispose', true);
    this.engine.dispose();
    this.nativeModel.dispose();
    for (const ref of this.residents) ref.deref()?.dispose();
    this.residents.length = 0;
    this.disposed = true;
  }

  /** @internal Runs an analysis's native work under the same rules as evaluate (refused while busy). */
  analyze<T>(where: string, work: () => Promise<T>): Promise<T> {
    return this.reading(where, work);
  }

  /** @internal The native, device-resident copy of a split (made once per ImageSet), for lib/analysis. */
  resident(data: ImageSet, where: string): NativeDataset {
    return this.residentFor(where, data, 'data');
  }

  /** The resident copy of a split after checking it fits the model (`role` names it in errors). */
  private residentFor(where: string, data: ImageSet, role: string): NativeDataset {
    this.usable(where);
    checkImageSet(where, data, role);
    let ds = this.residentData.get(data);
    if (!ds) {
      checkDataFitsModel(where, data, this.spec, this.nativeModel.info().numClasses, role);
      const aug = data.augmentation;
      ds = new native.Dataset({
        inputs: data.images, shape: data.shape, labels: data.labels, numClasses: data.numClasses,
        mean: data.normalization?.mean, std: data.normalization?.std,
        cropPadding: aug?.cropPadding ?? 0, flip: aug?.flip ?? false, cutout: aug?.cutout ?? 0, device: this.device,
      });
      this.residentData.set(data, ds);
      this.residents.push(new WeakRef(ds));
    }
    return ds;
  }

  private usable(where: string): void {
    if (this.disposed) throw new DisposedError(`${where}: this trainer was disposed; create a new PoFTrainer`);
  }

  /**
   * Refuses a call while native work runs (`running`) or, for one that changes the model or optimizer
   * (`changes`), while a phase runs at all. The running work is never disturbed.
   */
  private checkFree(where: string, changes: boolean): void {
    this.usable(where);
    if (changes && this.phase) {
      throw new BusyError(`${where}: the trainer is running ${this.phase}; await it (or abort it with its signal) first`);
    }
    if (this.running) throw new BusyError(`${where}: the trainer is busy (${this.running} is running); await it first`);
  }

  /** Native work that changes the model (a step): nothing else may run meanwhile. */
  private async exclusive<T>(where: string, work: () => Promise<T>): Promise<T> {
    this.checkFree(where, true);
    this.running = where;
    try {
      return await work();
    } finally {
      this.running = undefined;
    }
  }

  /** Native work that only reads the model: allowed between a phase's epochs (e.g. from onEpoch). */
  private async reading<T>(where: string, work: () => Promise<T>): Promise<T> {
    this.checkFree(where, false);
    this.running = where;
    try {
      return await this.track(work());
    } finally {
      this.running = undefined;
    }
  }

  /** Remembers a call made while a phase waits, so that the phase resumes only once it settled. */
  private track<T>(work: Promise<T>): Promise<T> {
    if (!this.phase) return work;
    this.between.add(work);
    const done = () => { this.between.delete(work); };
    work.then(done, done);
    return work;
  }

  /**
   * The phase's own native work, after any call made between its epochs has settled. (The emptiness
   * check stays synchronous with what follows, here and below: no new call can slip in after it.)
   */
  private async phaseWork<T>(what: string, work: () => Promise<T>): Promise<T> {
    while (this.between.size > 0) await Promise.allSettled([...this.between]);
    this.running = what;
    try {
      return await work();
    } finally {
      this.running = undefined;
    }
  }

  /** Validates a phase's options (merged with a resume's saved ones) and runs it. */
  private async startPhase<O extends CommonOptions>(train: ImageSet, name: PhaseName, options: O, allowed: readonly string[],
    resolve: (where: string, o: O) => Pick<Phase, 'settings' | 'optimizer' | 'epochOptions'>): Promise<TrainingResult> {
    const where = name;
    if (this.joining) await this.joining;  // no await otherwise: a call takes the trainer synchronously
    if (typeof options !== 'object' || options === null) throw new OptionError(`${where}: options must be an object`);
    checkKeys(where, options, allowed);
    checkCallbacks(where, options);
    const tensorboard = tensorBoardDir(where, options.tensorboard);
    this.checkFree(where, true);
    // The phase holds the trainer from this call on: later calls wait for it or are refused.
    this.phase = name;
    try {
      this.residentFor(where, train, 'training data');
      if (options.evalData !== undefined) this.residentFor(where, options.evalData, 'evaluation data (evalData)');
      const resume = options.resume === undefined ? undefined
        : await readResumePoint(where, options.resume, train,
          { spec: this.spec, device: this.device, model: this.nativeModel, threads: native.numThreads() });
      const resolved = resolve(where, resume ? withSavedSettings(options, resume.contents.training.progress.settings, allowed) : options);
      if (resume) assertSameSettings(where, resume, resolved.settings);
      const checkpoint = await resolveCheckpointTarget(where, options.checkpoint);
      const e = resolved.epochOptions;
      checkBatchFits(where, train, 'training data', e.method === 'pof' ? { batchSize: e.batchSize, weakBatchSize: e.weakBatchSize }
        : { batchSize: e.batchSize });
      const reportEvery = integer(where, 'reportEvery', options.reportEvery ?? DEFAULTS.reportEvery, 0);
      const s = resolved.settings;
      return await this.runPhase(train, {
        name, epochs: s.epochs, lr: s.lr as number, schedule: s.schedule as Schedule, settings: s, common: options, tensorboard,
        optimizer: resolved.optimizer, epochOptions: { ...resolved.epochOptions, reportEvery },
      }, resume, checkpoint);
    } finally {
      // Calls made during the phase's last callbacks settle before the trainer is free again.
      while (this.between.size > 0) await Promise.allSettled([...this.between]);
      this.phase = undefined;
    }
  }

  private async writeCheckpointFile(file: string, training: boolean, metadata?: Record<string, string>): Promise<void> {
    await writeCheckpoint(file, {
      model: this.spec, device: this.device, threads: native.numThreads(), weights: this.nativeModel.stateDict(),
      progress: this.progress, metadata,
      training: training ? { optimizer: this.engine.optimizerState(), rng: this.engine.rngState() } : undefined,
    });
  }

  private async runPhase(train: ImageSet, phase: Phase, resume: ResumePoint | undefined,
    checkpoint: { path?: string; dir?: string; every: number } | undefined): Promise<TrainingResult> {
    const data = this.residentFor(phase.name, train, 'training data');
    const evalData = phase.common.evalData;
    // Reads made since the phase was called (e.g. an evaluate right after fit()) see the weights before it.
    while (this.between.size > 0) await Promise.allSettled([...this.between]);
    // Before the state changes: a directory that cannot be written leaves the trainer as it was.
    const board = await this.openTensorBoard(phase, resume?.contents.training.progress.epoch);
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
    const stepsPerEpoch = Math.floor(train.shape[0] / phase.epochOptions.batchSize);
    try {
      // An abort during the last await of an epoch (a checkpoint write) stops before the next one.
      for (let epoch = first; epoch < phase.epochs && !(aborted = await this.anyRank(aborted || (signal?.aborted ?? false)));
        epoch += 1) {
        const lr = learningRateAt(phase.schedule, phase.lr, epoch, phase.epochs);
        const base = { phase: phase.name, epoch: epoch + 1, epochs: phase.epochs, lr };
        this.progress = undefined;  // mid-epoch
        // A throwing onStep stops the epoch at the next step; the phase then rejects with its error.
        let stepError: { error: unknown } | undefined;
        const onStep = phase.common.onStep;
        const report = onStep && ((p: NativeProgress) => {
          if (stepError) return;
          try {
            onStep({ ...base, ...this.report(phase, p, stepsPerEpoch), step: p.step });
          } catch (error) {
            stepError = { error };
            this.engine.cancel();
          }
        });
        const stats = await this.phaseWork(phase.name, () => {
          this.engine.setLearningRate(lr);
          return this.engine.trainEpoch(data, { ...phase.epochOptions, epoch, totalEpochs: phase.epochs }, report);
        });
        if (stepError) throw stepError.error;
        if (!stats.cancelled) this.progress = { phase: phase.name, epoch: epoch + 1, settings: phase.settings, dataset };
        const epochReport: EpochReport = { ...base, ...this.report(phase, stats, stepsPerEpoch) };
        if (evalData) {
          const e = await this.phaseWork(phase.name, () => this.engine.evaluate(this.residentFor(phase.name, evalData, 'evalData'),
            DEFAULTS.evalBatchSize));
          epochReport.eval = { loss: e.loss, error: e.error };
        }
        history.push(epochReport);
        // Complete epochs only: a partial one's means cover some of its steps, and its step comes again on resume.
        // (The write runs on rank 0 only, where the board is open.)
        if (phase.tensorboard !== undefined && !epochReport.partial) {
          await this.rankZeroWrites(phase.tensorboard, () => board!.write(epochReport.epoch, { scalars: scalarSummaries(epochReport) }));
        }
        aborted = stats.cancelled || (signal?.aborted ?? false);
        await phase.common.onEpoch?.(epochReport);
        // An abort during onEpoch stops here, between epochs, where a checkpoint is consistent (on every rank).
        aborted = await this.anyRank(aborted || (signal?.aborted ?? false));
        const done = epoch + 1;
        if (checkpoint && !stats.cancelled && (done % checkpoint.every === 0 || done === phase.epochs || aborted)) {
          const file = checkpointFile(checkpoint, phase.name, done);
          await this.phaseWork(phase.name, () => this.rankZeroWrites(file, () => this.writeCheckpointFile(file, true)));
          checkpoints.push(file);
        }
      }
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return { history, aborted, checkpoints };
  }

  /**
   * The phase's event file in its `tensorboard` directory (on rank 0; undefined on the other ranks and
   * without the option). A resumed phase first drops the epochs the stopped run logged after the checkpoint.
   */
  private async openTensorBoard(phase: Phase, resumedAt: number | undefined): Promise<EventWriter | undefined> {
    const dir = phase.tensorboard;
    if (dir === undefined) return undefined;
    let writer: EventWriter | undefined;
    await this.rankZeroWrites(dir, async () => {
      if (resumedAt !== undefined) await dropEventsAfter(dir, phase.name, resumedAt);
      writer = await EventWriter.create(dir);
    });
    return writer;
  }

  /**
   * A file only rank 0 of a job writes (every rank calls this, and learns whether it worked): a single
   * process writes it as usual.
   */
  private async rankZeroWrites(file: string, write: () => Promise<void>): Promise<void> {
    if (!this.group) return write();
    let failure: { error: unknown } | undefined;
    if (this.group.rank === 0) await write().catch((error) => { failure = { error }; });
    const [failed] = await this.group.allReduce(Float64Array.of(failure ? 1 : 0), 'max');
    if (failure) throw failure.error;
    if (failed) throw new DistributedError(`rank 0 of the job could not write ${file} (its own error says why)`);
  }

  /** Whether any rank of the job says yes (a single process: its own answer): ranks stop together. */
  private async anyRank(flag: boolean): Promise<boolean> {
    if (!this.group) return flag;
    return (await this.group.allReduce(Float64Array.of(flag ? 1 : 0), 'max'))[0] === 1;
  }

  private report(phase: Phase, s: NativeEpochStats, stepsPerEpoch: number) {
    const pof = phase.name === 'postTrain' ? { xi: s.xi, perturbation: s.perturbation, rejectRate: s.rejectRate } : {};
    return { loss: s.loss, error: s.error, steps: s.steps, stepsPerEpoch, partial: s.steps < stepsPerEpoch, seconds: s.seconds, ...pof };
  }
}
