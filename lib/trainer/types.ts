// The trainer's public types: what its methods take and what they report.
import type { CheckpointTarget } from '../checkpoint/training-checkpoint';
import type { ImageSet } from '../data/types';
import type { DeviceName, FitMethod, GammaMode, Method, SamScope } from '../defaults';
import type { DistributedSetting } from '../distributed';
import type { ModelSpec } from '../models';
import type { AnyTypedArray, Dtype } from '../native';
import type { Schedule } from '../schedules';
import type { DivergenceAction } from './divergence';
import type { PipelineChoice } from '../data/input-pipeline';

export type { CheckpointInfo, CheckpointTarget } from '../checkpoint/training-checkpoint';

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
  /**
   * Mean training loss and error (percent) over the epoch's steps. PoF's are under the perturbed classifier
   * θ0 − γ·ξ*·g/|g| its features are trained against, so they run above the model's own.
   */
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

export interface CommonOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  schedule?: Schedule;
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  onStep?: (report: StepReport) => void;
  /**
   * Steps between `onStep` calls within an epoch (0: none). A count at or beyond an epoch's steps
   * reports nothing mid-epoch: the epoch's end is `onEpoch`'s.
   */
  reportEvery?: number;
  /** Aborting stops training at the next step; the model stays consistent. */
  signal?: AbortSignal;
  /** Evaluated after every epoch when given. */
  evalData?: ImageSet;
  /**
   * 'check' (default): training or evaluation data normalised or cropped otherwise than the weights were trained on
   * (trainer.inputPipeline, once a phase ran or a checkpoint was loaded) is an OptionError naming both; 'override'
   * takes it (fine-tuning on data prepared anew), and the weights then belong to its pipeline.
   */
  inputPipeline?: PipelineChoice;
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
  method?: FitMethod;
  /** SAM's neighbourhood radius (paper: 0.05; 0.01 for SVHN). */
  rho?: number;
  /**
   * SAM in a data-parallel job: 'global' (default) ascends along the gradient of the whole global batch,
   * exactly single-process SAM; 'local' along each rank's own shard (per-rank ε, one all-reduce less).
   */
  samScope?: SamScope;
}

export interface PostTrainOptions extends CommonOptions {
  /** Expansion factor: the fixed value, or the maximum for 'uniform' / 'linear' (paper: 2). */
  gamma?: number;
  gammaMode?: GammaMode;
  /** Size of B, the batch the line search runs on (default: batchSize). */
  weakBatchSize?: number;
  /**
   * B = the previous iteration's B̃, with the features computed for its update (one step stale):
   * saves PoF's extra forward pass. The first iteration of each epoch draws its own B. Default off.
   */
  featureReuse?: boolean;
  /**
   * Line search: first step s0, bracket limit sMax (no rise before it: reject), grid partitions P.
   * The bracket doubles s from s0 up to sMax, so any sMax up to s0·2^64 is taken and costs at most
   * log2(sMax/s0) loss evaluations. Defaults: s0 = 1, sMax = 100, P = 16 (the paper's P).
   */
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
  /**
   * When ξ* rises 3 epochs in a row while the evalData error rises too (PoF diverging): 'warn' (default; a
   * PoFDivergenceWarning with the numbers), 'stop' (after that epoch; the result says `stopped`) or 'ignore'.
   */
  onDivergence?: DivergenceAction;
  /**
   * End with the weights of the epoch of lowest evalData error rather than the last epoch's (needs evalData;
   * ties keep the earlier). The result's `best` says which; a training checkpoint is not taken after a restore.
   */
  keepBest?: boolean;
}

export interface TrainingResult {
  /** The epochs run by this call (after a resume: only the remaining ones). */
  history: EpochReport[];
  aborted: boolean;
  /** The checkpoint files written, in order. */
  checkpoints: string[];
  /** Why post-training stopped before its last epoch (onDivergence: 'stop'), when it did. */
  stopped?: string;
  /** With keepBest: the epoch whose weights the trainer holds, its evalData error, and whether they were put back. */
  best?: { epoch: number; error: number; restored: boolean };
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

/** step(): one step on exactly these examples, with a fresh optimizer (the options of fit and postTrain that apply to one step). */
export type StepOptions = { method: Method; indices: Int32Array; weakIndices?: Int32Array } &
  Omit<FitOptions & PostTrainOptions, 'method' | 'epochs' | 'batchSize' | 'schedule' | 'onEpoch' | 'onStep' | 'reportEvery' |
    'signal' | 'evalData' | 'checkpoint' | 'resume' | 'tensorboard' | 'samScope' | 'onDivergence' | 'keepBest' | 'inputPipeline'>;

export interface EvaluateOptions {
  /** Default DEFAULTS.evalBatchSize. */
  batchSize?: number;
  /** Also each label's examples and error (default false). */
  perClass?: boolean;
  /** Also each example's predicted label, in order (default false): for paired comparisons of two models. */
  predictions?: boolean;
  /**
   * 'check' (default): data normalised or cropped otherwise than the weights were trained on (trainer.inputPipeline)
   * is an OptionError naming both; 'override' takes it as it is.
   */
  inputPipeline?: PipelineChoice;
}

/** One label's share of an evaluation; `name` from the data's class names, when it has them. */
export interface ClassEvaluation {
  label: number;
  name?: string;
  examples: number;
  /** Percent of this label's examples misclassified (NaN for a label with none). */
  error: number;
}

export interface Evaluation {
  loss: number;
  /** Percent. */
  error: number;
  examples: number;
  perClass?: ClassEvaluation[];
  /** With `predictions`: each example's argmax label. */
  predictions?: Int32Array;
}
