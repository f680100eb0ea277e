// PoF's line search (ξ* of one batch) on given features and classifier: analyses and checks.
import { native } from '../addon';
import { NativeLineSearch } from '../native';
import { resolveLineSearch } from '../defaults';
import { OptionError } from '../errors';
import { checkKeys, integer } from '../options';
import { tensor } from '../tensor';
import { checkFinite } from './finite';

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
  const where = 'lineSearch';
  if (typeof input !== 'object' || input === null) throw new OptionError(`${where}: expected { features, labels, weight, bias, numClasses }`);
  checkKeys(where, input, ['features', 'labels', 'weight', 'bias', 'numClasses', 'initialStep', 'maxStep', 'partitions']);
  const c = integer(where, 'numClasses', input.numClasses, 1);
  const arrays = { features: Float32Array, labels: Int32Array, weight: Float32Array, bias: Float32Array } as const;
  for (const [name, kind] of Object.entries(arrays)) {
    if (!((input as unknown as Record<string, unknown>)[name] instanceof kind)) throw new OptionError(`${where}: ${name} must be a ${kind.name}`);
  }
  const b = input.labels.length;
  const d = b > 0 ? input.features.length / b : 0;
  if (b === 0 || !Number.isInteger(d) || d < 1 || input.weight.length !== c * d || input.bias.length !== c) {
    throw new OptionError(`${where}: expected features [B, D] (B = labels.length >= 1), weight [numClasses, D] and bias ` +
      `[numClasses]; got ${input.features.length} feature values for ${b} labels, ${input.weight.length} weights and ` +
      `${input.bias.length} biases with numClasses ${c}`);
  }
  // Non-finite inputs make every loss NaN: the search would call the batch rejected with ξ* NaN.
  for (const name of ['features', 'weight', 'bias'] as const) checkFinite(where, name, input[name]);
  const search = resolveLineSearch(where, input);
  const r: NativeLineSearch = native.lineSearch(
    tensor(input.features, [b, d]), tensor(input.labels, [b]), tensor(input.weight, [c, d]), tensor(input.bias, [c]), search);
  return {
    xi: r.xi, step: r.step, rejected: r.rejected, gradNorm: r.gradNorm, loss: r.loss,
    gradWeight: r.gradWeight.toArray() as Float32Array, gradBias: r.gradBias.toArray() as Float32Array,
  };
}
