// The compiled addon's typed surface: importing this file loads nothing (lib/addon.ts loads the addon).
import type { BuildInfo, LinkedLibTorch } from './build-info';
import type { LineSearchSettings, NativeEpochSettings } from './defaults';
import type { DataKind, StoredInputs } from './data/types';
import type { ModelSpec } from './models';

export type Dtype = 'uint8' | 'int32' | 'int64' | 'float32';
export type TypedArrayOf<D extends Dtype> = D extends 'uint8' ? Uint8Array
  : D extends 'int32' ? Int32Array : D extends 'int64' ? BigInt64Array : Float32Array;
export type AnyTypedArray = Uint8Array | Int32Array | BigInt64Array | Float32Array;

export interface NativeTensor {
  readonly shape: number[];
  readonly dtype: Dtype;
  readonly device: string;
  toArray(): AnyTypedArray;
  to(device: string): NativeTensor;
  matmul(other: NativeTensor): Promise<NativeTensor>;
}

export interface NativeVersions {
  libtorch: string;
  builtWithCuda: boolean;
  /** Built with the CUDA runtime headers: CUDA's sync-debug check and peak-memory figures work. */
  cudaInstrumentation: boolean;
  cuda: string | null;
  cudnn: string | null;
  /** The c10d backends of this build: Gloo (CPU) when its headers were found at build time, NCCL (CUDA). */
  distributed: { gloo: boolean; nccl: boolean };
  /** The torch.export schema whose .pt2 programs models.exported reads, e.g. "8.x". */
  exportSchema: string;
}

/** How a rank joins a data-parallel job (lib/distributed.ts resolves them). */
export interface NativeProcessGroupOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  backend: 'gloo' | 'nccl';
  timeoutMs: number;
  /** torchrun's agent hosts the store: connect to it, never serve. */
  agentStore: boolean;
  restartCount: number;
}

/** One rank's membership of a job; collectives are Promises (they wait for the slowest rank). */
export interface NativeProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: string;
  barrier(): Promise<void>;
  allReduce(values: Float64Array, op?: 'sum' | 'min' | 'max'): Promise<Float64Array>;
  broadcast(values: Float64Array, root: number): Promise<Float64Array>;
}

/**
 * The native model factory (native/models/model_wrap.cc) takes the specs of lib/models.ts; an exported model's
 * also carries the operators its graphs may use (lib/exported-operators.ts).
 */
export type NativeModelConfig = ModelSpec | (Extract<ModelSpec, { kind: 'exported' }> & { operators: string[] });

export interface NativeStateEntry {
  name: string;
  shape: number[];
  dtype: Dtype;
  data: AnyTypedArray;
}

export interface NativeModel {
  info(): { featureDim: number; numClasses: number; featureParameterCount: number; classifierParameterCount: number;
    parameterCount: number; device: string };
  stateDict(): NativeStateEntry[];
  /** Names, shapes and dtypes of the state dict, without copying its data. */
  stateShapes(): Omit<NativeStateEntry, 'data'>[];
  loadStateDict(entries: { name: string; shape: number[]; data: AnyTypedArray }[]): void;
  parameterNames(): { features: string[]; classifier: string[] };
  /** Frees the weights now; every later call is a DisposedError. */
  dispose(): void;
  /** A TorchScript model's module with its current weights and buffers, as torch.jit.save writes it. */
  torchScriptBytes(): Uint8Array;
  /** An exported model's .pt2 archive with its current weights, buffers and constants. */
  programBytes(): Uint8Array;
  /**
   * Why data of this example shape and largest label cannot go through the model, in words that follow
   * the data's name ("has examples of shape [100] (100 values), but the model mlp (...) takes 784 values
   * per example"), or null when it can.
   */
  dataMismatch(exampleShape: number[], maxLabel: number, kind: DataKind): string | null;
  /** A TorchScript model runs in training mode at these batch sizes (else an OptionError); its state is left as it was. */
  probeTraining(options: { phase: string; batchSizes: number[] }): void;
}

export interface NativeDatasetOptions {
  /** Held as uint8 (pixels), float32 (values) or int64 (tokens, each >= 0); see DataKind. */
  kind: DataKind;
  /** Held on the device; or a C-order array in a file, read a batch at a time (a prepared store). */
  inputs: Uint8Array | Float32Array | Int32Array | StoredInputs;
  shape: number[];
  labels: Uint8Array | Int32Array;
  numClasses: number;
  /** Per channel, or one value for all (images only; a flat set ignores them). */
  mean: number[];
  std: number[];
  cropPadding: number;
  flip: boolean;
  cutout: number;
  /** [size, scaleLo, scaleHi, ratioLo, ratioHi]: torchvision's RandomResizedCrop for training (absent: none). */
  resizedCrop?: number[];
  /** Evaluation batches centre-cropped to this side (absent or 0: the resizedCrop size, or none). */
  centerCrop?: number;
  device: string;
}

export interface NativeDataset {
  readonly size: number;
  readonly device: string;
  batch(indices: Int32Array, options: { train: boolean; seed: number }): { inputs: NativeTensor; labels: NativeTensor };
  /** Frees the device copy now (running work keeps its own reference). */
  dispose(): void;
}

/** Every field resolved (lib/defaults.ts): the native side fills nothing in. */
export type NativeEpochOptions = NativeEpochSettings;

export interface NativePerformanceOptions {
  channelsLast: boolean;
  cudnnBenchmark: boolean;
  autocast: 'none' | 'bf16';
}

export interface OpProfileRow {
  name: string;
  calls: number;
  /** Time in the op itself, and including the ops it called (ms). */
  selfMs: number;
  totalMs: number;
}

export interface NativeEpochStats {
  steps: number;
  examples: number;
  loss: number;
  error: number;
  xi: number;
  perturbation: number;
  rejectRate: number;
  seconds: number;
  cancelled: boolean;
}

export interface NativeProgress extends NativeEpochStats {
  step: number;
  stepsPerEpoch: number;
}

export interface NativeEngine {
  configureOptimizer(options: { featuresOnly: boolean; lr: number; momentum: number; weightDecay: number; nesterov: boolean }): void;
  setLearningRate(lr: number): void;
  configurePerformance(options: NativePerformanceOptions): void;
  trainEpoch(data: NativeDataset, options: NativeEpochOptions, onProgress?: (p: NativeProgress) => void): Promise<NativeEpochStats>;
  trainStep(data: NativeDataset, indices: Int32Array, weakIndices: Int32Array | null, options: NativeEpochOptions): Promise<NativeEpochStats>;
  /** classExamples / classErrors: per label, the examples and the misclassified ones. */
  evaluate(data: NativeDataset, batchSize: number, predictions?: boolean): Promise<{ examples: number; loss: number; error: number;
    classExamples: number[]; classErrors: number[]; predictions?: Int32Array }>;
  samAscend(data: NativeDataset, indices: Int32Array, rho: number): void;
  features(data: NativeDataset, indices: Int32Array): Promise<NativeTensor>;
  cancel(): void;
  /** The momentum buffer of each parameter the configured optimizer updates, by name (model order). */
  optimizerState(): NativeStateEntry[];
  /** Exactly the names and shapes optimizerState() returns. */
  setOptimizerState(entries: { name: string; shape: number[]; data: AnyTypedArray }[]): void;
  /** The engine generator's state: with the weights and momentum buffers it fixes the rest of a run. */
  rngState(): Uint8Array;
  setRngState(state: Uint8Array): void;
  /** Throws a CheckpointError unless setRngState would take `state`; changes nothing. */
  checkRngState(state: Uint8Array): void;
  /** Makes this engine a rank of the job: every rank takes rank 0's weights, buffers and generator state. */
  joinProcessGroup(group: NativeProcessGroup): Promise<void>;
  /** Frees the optimizer state now (refused while busy). */
  dispose(): void;
}

export interface NativeLineSearch {
  xi: number;
  step: number;
  rejected: boolean;
  gradNorm: number;
  loss: number;
  gradWeight: NativeTensor;
  gradBias: NativeTensor;
}

/** Options every Hessian analysis takes: the parameter subset (selectors) and examples per forward pass. */
export interface NativeSubsetOptions {
  subset: string[];
  chunkSize: number;
}

export type NativeVector = Float32Array | Float64Array;

export interface NativeEigenPairs {
  values: number[];
  vectors: Float64Array[];
  residuals: number[];
  iterations: number;
  converged: boolean;
}

/** exports.analysis: the Hessian machinery (native/analysis/hessian_wrap.cc). */
export interface NativeAnalysis {
  parameterLayout(model: NativeModel, options: { subset: string[] }): { names: string[]; shapes: number[][]; numel: number };
  lossAndGradient(model: NativeModel, data: NativeDataset, indices: Int32Array, options: NativeSubsetOptions):
    Promise<{ loss: number; gradient: Float64Array }>;
  hessianVectorProduct(model: NativeModel, data: NativeDataset, indices: Int32Array, vector: NativeVector,
    options: NativeSubsetOptions): Promise<Float64Array>;
  hessianTopK(model: NativeModel, data: NativeDataset, indices: Int32Array,
    options: NativeSubsetOptions & { k: number; maxIterations: number; tolerance: number; seed: number }): Promise<NativeEigenPairs>;
  lossAlong(model: NativeModel, data: NativeDataset, indices: Int32Array, directions: NativeVector[], steps: number[],
    options: NativeSubsetOptions): Promise<number[][]>;
  miniBatchStats(model: NativeModel, data: NativeDataset, indices: Int32Array, batchSize: number,
    options: { subset: string[]; curvature: boolean; directions?: NativeVector[];
      lineSearch?: LineSearchSettings }):
    Promise<{ loss: number[]; gradNorm: number[]; curvature?: number[]; projections?: number[][]; xi?: number[]; rejected?: number[] }>;
}

export interface NativeAddon {
  analysis: NativeAnalysis;
  Model: new (config: NativeModelConfig, seed: number, device: string) => NativeModel;
  Dataset: new (options: NativeDatasetOptions) => NativeDataset;
  Engine: new (model: NativeModel, seed: number) => NativeEngine;
  Tensor: new (data: AnyTypedArray, shape: number[], device?: string) => NativeTensor;
  /** Made by connectProcessGroup; one made directly holds no job (its members are errors). */
  ProcessGroup: new () => NativeProcessGroup;
  lineSearch(features: NativeTensor, labels: NativeTensor, weight: NativeTensor, bias: NativeTensor,
    options: LineSearchSettings): NativeLineSearch;
  /** The classes native errors are made with, by code. */
  setErrorClasses(classes: Record<string, new (message: string) => Error>): void;
  versions(): NativeVersions;
  /** Joins a data-parallel job; waits (up to the timeout) until every rank has come. */
  connectProcessGroup(options: NativeProcessGroupOptions): Promise<NativeProcessGroup>;
  cudaAvailable(): boolean;
  /** What a device can hold in bytes (CPU: its memory or the cgroup's limit; CUDA: free memory); null when unknown. */
  deviceMemory(device: string): number | null;
  cudaDeviceCount(): number;
  manualSeed(seed: number): void;
  numThreads(set?: number): number;
  /** Counts host synchronisations (value reads, data-dependent shapes, host/device copies) while on. */
  watchHostSyncs(on: boolean): void;
  hostSyncCount(): number;
  /** Test hook of the training crop: the boxes drawn (top, left, height, width) and the resized float32 0..255 images. */
  resizedCrop(images: NativeTensor, options: { resizedCrop: number[]; flip?: boolean; seed: number; shardIndex?: number;
    shardCount?: number }): { images: NativeTensor; boxes: NativeTensor };
  centerCrop(images: NativeTensor, size: number): NativeTensor;
  startOpProfile(): void;
  stopOpProfile(): { wallMs: number; ops: OpProfileRow[] };
  /** Peak bytes allocated on a CUDA device (null elsewhere); `reset` starts a new peak. */
  cudaPeakMemory(device: string, reset?: boolean): number | null;
}

/** Which addon file was loaded, what it was built against and the LibTorch it found (`pof info` prints them). */
export interface LoadedAddon {
  file: string;
  /** null: no build-info file beside the addon. */
  build: BuildInfo | null;
  /** The LibTorch it loads, through the link beside it (null: an addon without one). */
  linked: LinkedLibTorch | null;
}

