// PoFTrainer: train a model with SGD or SAM, post-train its feature extractor with PoF, evaluate.
// Orchestration only: every epoch, step and evaluation runs natively off the main thread. The parts:
// lock.ts (who may use the trainer now), phase-options.ts and phase.ts (a phase made ready),
// epoch-loop.ts (its epochs), persistence.ts (files), ranks.ts (the data-parallel job).
import type { StateDictSource } from '../checkpoint/state-dict';
import type { CheckpointInfo } from '../checkpoint/training-checkpoint';
import { checkDataFitsModel, checkIndices } from '../data-fit';
import type { ImageSet } from '../data/types';
import { DEFAULTS, METHODS, resolveBatchSize, resolveDevice, resolveRho } from '../defaults';
import { JobPlace, rankDevice, resolveDistributed } from '../distributed';
import { checkModelFits } from '../memory-budget';
import { ModelSpec, nativeModelConfig, validateModelSpec } from '../models';
import { native } from '../addon';
import type { NativeDataset, NativeEpochStats, NativeModel } from '../native';
import { boolean, checkKeys, integer, oneOf, OptionError, ownOptions } from '../options';
import { TrainerCore } from './core';
import { runPhase } from './epoch-loop';
import * as persistence from './persistence';
import { preparePhase } from './phase';
import { checkPhaseOptions, resolvePerformance, resolveStep, STEP_KEYS } from './phase-options';
import { jobRanks } from './ranks';
import { assertSamePipeline, type InputPipeline, PIPELINE_CHOICES } from '../data/input-pipeline';
import type {
  CommonOptions, Evaluation, EvaluateOptions, FitOptions, PostTrainOptions, SaveOptions, StateDict, StepOptions, TrainerOptions, TrainingResult,
} from './types';

export type * from './types';

export class PoFTrainer {
  readonly device: string;
  readonly seed: number;
  readonly spec: ModelSpec;
  /** This process's place in its data-parallel job; undefined for a single process. */
  readonly job?: JobPlace;
  private readonly core: TrainerCore;

  constructor(given: TrainerOptions) {
    const where = 'PoFTrainer';
    const options = ownOptions(where, given);
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
    checkModelFits(where, this.spec, this.device);
    const model = new native.Model(nativeModelConfig(this.spec), this.seed, this.device);
    const core = this.core = new TrainerCore(this.spec, this.device, model, new native.Engine(model, this.seed));
    if (options.performance !== undefined) core.engine.configurePerformance(resolvePerformance(where, options.performance));
    if (job) {
      const { localRank, ...connect } = job;
      core.lock.holdWhileJoining(native.connectProcessGroup(connect).then(async (group) => {
        core.ranks = jobRanks(group);
        await core.engine.joinProcessGroup(group);
      }));
    }
  }

  /**
   * Resolves once this trainer has joined its data-parallel job (at once for a single process): every
   * rank then holds rank 0's weights. Rejects with the DistributedError of a job that did not come together.
   * The other async methods wait for it themselves.
   */
  async ready(): Promise<void> {
    await this.core.lock.joined();
  }

  /** Parameter groups, feature dimension and counts of the model being trained. */
  get model() {
    this.core.lock.usable('model');
    const info = this.core.model.info();
    return { ...info, parameterGroups: this.core.model.parameterNames() };
  }

  /**
   * How the inputs the weights were trained on were prepared (kind, example shape, normalisation, evaluation
   * crop, augmentation): the last fit / postTrain's training data, or what a loaded checkpoint recorded.
   * Checkpoints carry it; evaluate other data the same way (the CLI refuses data prepared otherwise).
   */
  get inputPipeline(): InputPipeline | undefined {
    this.core.lock.usable('inputPipeline');
    return this.core.pipeline;
  }

  /** @internal The native model, for lib/analysis. */
  get nativeModelForAnalysis(): NativeModel {
    this.core.lock.usable('analysis');
    return this.core.model;
  }

  /** Trains every parameter with SGD (Nesterov momentum, weight decay) or SAM over it. */
  fit(train: ImageSet, options: FitOptions = {}): Promise<TrainingResult> {
    return this.runPhase('fit', train, options);
  }

  /** PoF: updates the feature extractor under classifier perturbations; the classifier stays θ0. */
  postTrain(train: ImageSet, options: PostTrainOptions = {}): Promise<TrainingResult> {
    return this.runPhase('postTrain', train, options);
  }

  /**
   * Loss (mean cross entropy) and error (percent) in evaluation mode; with `perClass`, each label's examples
   * and error too (named when the data has class names). May be called from onEpoch.
   */
  evaluate(data: ImageSet, given: EvaluateOptions = {}): Promise<Evaluation> {
    return this.core.lock.afterJoin(async () => {
      const where = 'evaluate';
      const options = ownOptions(where, given);
      checkKeys(where, options, ['batchSize', 'perClass', 'predictions', 'inputPipeline']);
      const batchSize = resolveBatchSize(where, options.batchSize, DEFAULTS.evalBatchSize);
      const choice = oneOf(where, 'inputPipeline', options.inputPipeline ?? 'check', PIPELINE_CHOICES);
      assertSamePipeline(where, 'evaluation data', this.core.pipeline, data, choice);
      const perClass = boolean(where, 'perClass', options.perClass ?? false);
      const predictions = boolean(where, 'predictions', options.predictions ?? false);
      const resident = this.core.resident(where, data, 'evaluation data');
      const { classExamples, classErrors, predictions: labels, ...overall } =
        await this.core.lock.reading(where, () => this.core.engine.evaluate(resident, batchSize, predictions));
      const predicted = predictions ? { predictions: labels ?? new Int32Array(0) } : {};
      if (!perClass) return { ...overall, ...predicted };
      return { ...overall, ...predicted, perClass: classExamples.map((examples, label) => ({
        label, ...(data.classes?.[label] === undefined ? {} : { name: data.classes[label] }),
        examples, error: examples > 0 ? (100 * classErrors[label]) / examples : NaN,
      })) };
    });
  }

  /**
   * One step on exactly these examples (no augmentation) with a fresh optimizer: for custom loops and
   * for checking the maths. `weakIndices` is PoF's batch B; with `featureReuse`, B is the previous PoF
   * step's B̃ (its features from that step) and `weakIndices` is given only on the first step.
   */
  step(data: ImageSet, given: StepOptions): Promise<NativeEpochStats> {
    return this.core.lock.afterJoin(() => {
      const where = 'step';
      const options = ownOptions(where, given);
      checkKeys(where, options, STEP_KEYS);
      const method = oneOf(where, 'method', options.method, METHODS);
      const resident = this.core.resident(where, data, 'training data');
      const size = data.shape[0];
      const indices = checkIndices(where, 'indices', options.indices, size);
      const weakIndices = options.weakIndices === undefined ? null : checkIndices(where, 'weakIndices', options.weakIndices, size);
      const { optimizer, epochOptions } = resolveStep(where, method, options, indices.length, weakIndices !== null);
      return this.core.lock.exclusive(where, async () => {
        this.core.progress = undefined;  // a fresh optimizer: no longer a phase's epoch boundary
        this.core.engine.configureOptimizer(optimizer);
        return this.core.engine.trainStep(resident, indices, weakIndices, epochOptions);
      });
    });
  }

  /** Moves the weights to SAM's ascent point w + ρ·g/‖g‖ for these examples (analyses and tests). */
  samAscend(data: ImageSet, indices: Int32Array, rho: number): void {
    const where = 'samAscend';
    const resident = this.core.resident(where, data, 'data');
    const checked = checkIndices(where, 'indices', indices, data.shape[0]);
    const r = resolveRho(where, rho);
    this.core.changing(where);
    this.core.engine.samAscend(resident, checked, r);
  }

  /** Feature-extractor outputs F_φ(x) of these examples in evaluation mode: [B, featureDim] row-major. */
  features(data: ImageSet, indices: Int32Array): Promise<Float32Array> {
    return this.core.lock.afterJoin(async () => {
      const where = 'features';
      const resident = this.core.resident(where, data, 'data');
      const checked = checkIndices(where, 'indices', indices, data.shape[0]);
      const t = await this.core.lock.reading(where, () => this.core.engine.features(resident, checked));
      return t.toArray() as Float32Array;
    });
  }

  /** Every parameter and buffer by name (PyTorch state_dict order), copied to host arrays. */
  stateDict(): Promise<StateDict> {
    return this.core.lock.afterJoin(() => persistence.stateDict(this.core));
  }

  /** Loads every tensor of the model; a mismatch lists the first few names with both shapes. */
  loadStateDict(state: StateDict): Promise<void> {
    return this.core.lock.afterJoin(() => persistence.loadStateDict(this.core, state));
  }

  /**
   * Writes the model's tensors (PyTorch names) as safetensors, atomically, with the model config and
   * the last phase's epoch, method and dataset in the metadata. `training: true` adds what `resume`
   * needs: the optimizer's momentum buffers, the generator state and the phase's options.
   */
  save(file: string, options: SaveOptions = {}): Promise<void> {
    return this.core.lock.afterJoin(() => persistence.save(this.core, file, options));
  }

  /**
   * Loads the weights of a checkpoint written by save() (either kind; optimizer and generator state
   * are only used by `resume`) or any safetensors file with this model's names and shapes.
   * Returns what the file says about itself, including its kind.
   */
  load(file: string): Promise<CheckpointInfo> {
    return this.core.lock.afterJoin(() => persistence.load(this.core, file));
  }

  /**
   * Loads weights from torch.save files: a state_dict (plain or under 'state_dict' / 'model' /
   * 'param'), or the PoF authors' { features, classifier } files. DDP's 'module.' prefixes are
   * removed; names and shapes must match this model (the error lists the first mismatches).
   */
  importPyTorch(source: StateDictSource): Promise<void> {
    return this.core.lock.afterJoin(() => persistence.importPyTorch(this.core, source));
  }

  /**
   * Writes a TorchScript model (models.torchScript) with its current weights and BN statistics as a
   * torch.jit.save file, atomically: `torch.jit.load` in Python gets the post-trained network back.
   */
  exportTorchScript(file: string): Promise<void> {
    return this.core.lock.afterJoin(() => persistence.exportTorchScript(this.core, file));
  }

  /**
   * Writes an exported model (models.exported) back as a .pt2 archive with its current weights, BN statistics
   * and constants, atomically: `torch.export.load` in Python gets the post-trained program back (its "model"
   * program, in evaluation mode), and the archive trains here again.
   */
  exportProgram(file: string): Promise<void> {
    return this.core.lock.afterJoin(() => persistence.exportProgram(this.core, file));
  }

  /**
   * Frees the model's weights, the optimizer state and the resident copies of the data now, instead of
   * when V8 collects the trainer. Refused while a phase or call runs; every later call is a DisposedError.
   */
  dispose(): void {
    this.core.dispose();
  }

  /** @internal Runs an analysis's native work under the same rules as evaluate (refused while busy). */
  analyze<T>(where: string, work: () => Promise<T>): Promise<T> {
    return this.core.lock.reading(where, work);
  }

  /** @internal Refuses (DatasetError) a split the model cannot take: example shape and labels, as the model says. */
  checkFits(data: ImageSet, where: string, role: string): void {
    this.core.lock.usable(where);
    checkDataFitsModel(where, data, this.core.model, role);
  }

  /** @internal The native, device-resident copy of a split (made once per ImageSet), for lib/analysis. */
  resident(data: ImageSet, where: string): NativeDataset {
    return this.core.resident(where, data, 'data');
  }

  /** Validates a phase's options (merged with a resume's saved ones) and runs it, holding the trainer throughout. */
  private runPhase(name: 'fit' | 'postTrain', train: ImageSet, given: CommonOptions): Promise<TrainingResult> {
    return this.core.lock.afterJoin(() => {
      const options = ownOptions(name, given);
      const { tensorboard } = checkPhaseOptions(name, options);
      return this.core.lock.holdPhase(name, () => preparePhase(this.core, name, train, options, tensorboard)
        .then((phase) => runPhase(this.core, phase)));
    });
  }
}
