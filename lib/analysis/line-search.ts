// PoF's line search (ξ* of one batch) on given features and classifier: analyses and checks.
import { native, NativeLineSearch } from '../native';
import { tensor } from '../tensor';

export interface LineSearchInput {
  /** [B, D] row-major features. */
  features: Float32Array;
  labels: Int32Array;
  /** [C, D] row-major classifier weight and [C] bias. */
  weight: Float32Array;
  bias: Float32Array;
  numClasses: number;
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
}

export interface LineSearchResult {
  /** ξ* = s*·‖g‖ (0 when rejected). */
  xi: number;
  /** s*, the grid argmin along −g (the un-normalised gradient). */
  step: number;
  /** The loss never rose before maxStep: the batch gives no perturbation. */
  rejected: boolean;
  gradNorm: number;
  loss: number;
  gradWeight: Float32Array;
  gradBias: Float32Array;
}

export function lineSearch(input: LineSearchInput): LineSearchResult {
  const c = input.numClasses;
  const b = input.labels.length;
  const d = input.features.length / b;
  const r: NativeLineSearch = native.lineSearch(
    tensor(input.features, [b, d]), tensor(input.labels, [b]), tensor(input.weight, [c, d]), tensor(input.bias, [c]),
    { initialStep: input.initialStep, maxStep: input.maxStep, partitions: input.partitions });
  return {
    xi: r.xi, step: r.step, rejected: r.rejected, gradNorm: r.gradNorm, loss: r.loss,
    gradWeight: r.gradWeight.toArray() as Float32Array, gradBias: r.gradBias.toArray() as Float32Array,
  };
}
