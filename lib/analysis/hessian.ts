// The Hessian of the mean cross-entropy over a set of examples, restricted to a parameter subset:
// its gradient, Hessian-vector products (double backprop) and top-k eigenpairs (Lanczos), computed
// natively off the main thread. The model runs in evaluation mode (BatchNorm running statistics, no
// augmentation), so the loss is a fixed function of the weights; its examples are processed in
// chunks (`chunkSize`) and accumulated in float64, so whole training sets work.
// Vectors over a subset are flat: its parameters in state-dict order, each row-major.
import { ImageSet } from '../data/types';
import { native } from '../addon';
import type { NativeVector } from '../native';
import { checkKeys, integer, number, OptionError } from '../options';
import { PoFTrainer } from '../trainer';
import { checkNumber, RULES } from '../defaults';
import { checkFinite } from './finite';
import { checkTypedArrayOf, VECTOR_KINDS } from '../typed-array';
import { exampleIndices, ParameterSubset, subsetSelectors, target } from './target';

export interface SubsetOptions {
  /** Parameters to differentiate (default 'classifier'). */
  subset?: ParameterSubset;
  /** Examples to average over (default: all of `data`). */
  indices?: Int32Array;
  /**
   * Examples per forward pass (default 256); results do not depend on it beyond rounding. Double
   * backprop through a large network keeps every activation of a chunk: lower it when memory is short.
   */
  chunkSize?: number;
}

const SUBSET_KEYS = ['subset', 'indices', 'chunkSize'] as const;

/** The one home of the Hessian analyses' defaults: the native side takes every value resolved. */
export const HESSIAN_DEFAULTS = { subset: 'classifier', chunkSize: 256, k: 1, maxIterations: 100, tolerance: 1e-6, seed: 0 } as const;

export function subsetArgs(where: string, data: ImageSet, options: SubsetOptions) {
  return {
    indices: exampleIndices(where, data, options.indices),
    native: {
      subset: subsetSelectors(where, options.subset ?? HESSIAN_DEFAULTS.subset),
      chunkSize: checkNumber(where, 'chunkSize', options.chunkSize ?? HESSIAN_DEFAULTS.chunkSize, RULES.batchSize),
    },
  };
}

export interface ParameterLayout {
  /** Parameter names in the order their entries appear in a flat vector. */
  names: string[];
  shapes: number[][];
  /** Offset of each parameter's first entry in a flat vector. */
  offsets: number[];
  /** Length of a flat vector over the subset. */
  size: number;
}

/** The flat-vector layout of a parameter subset (unknown names throw, listing the valid ones). */
export function parameterLayout(trainer: PoFTrainer, subset: ParameterSubset = HESSIAN_DEFAULTS.subset): ParameterLayout {
  const where = 'parameterLayout';
  if (!(trainer instanceof PoFTrainer)) throw new OptionError(`${where}: expected a PoFTrainer as the first argument`);
  const r = native.analysis.parameterLayout(trainer.nativeModelForAnalysis, { subset: subsetSelectors(where, subset) });
  const offsets: number[] = [];
  let at = 0;
  for (const shape of r.shapes) {
    offsets.push(at);
    at += shape.reduce((a, b) => a * b, 1);
  }
  return { names: r.names, shapes: r.shapes, offsets, size: r.numel };
}

/** Mean cross-entropy L over the examples and its gradient in the subset. */
export async function lossAndGradient(trainer: PoFTrainer, data: ImageSet, options: SubsetOptions = {}):
  Promise<{ loss: number; gradient: Float64Array }> {
  const where = 'lossAndGradient';
  checkKeys(where, options, SUBSET_KEYS);
  const t = target(where, trainer, data);
  const a = subsetArgs(where, data, options);
  return t.run(() => native.analysis.lossAndGradient(t.model, t.data, a.indices, a.native));
}

/** H·v, H the Hessian block of L for the subset; `vector` is flat over the subset. */
export async function hessianVectorProduct(trainer: PoFTrainer, data: ImageSet, vector: NativeVector, options: SubsetOptions = {}):
  Promise<Float64Array> {
  const where = 'hessianVectorProduct';
  checkKeys(where, options, SUBSET_KEYS);
  checkFinite(where, 'vector', checkTypedArrayOf<NativeVector>(where, 'vector', vector, VECTOR_KINDS, 'a Float32Array or Float64Array over the parameter subset'));
  const t = target(where, trainer, data);
  const a = subsetArgs(where, data, options);
  return t.run(() => native.analysis.hessianVectorProduct(t.model, t.data, a.indices, vector, a.native));
}

export interface TopKOptions extends SubsetOptions {
  /** Number of eigenpairs (largest eigenvalues first). Default 1. */
  k?: number;
  /** Hessian-vector products at most (default 100; capped at the subset's size, where Lanczos is exact). */
  maxIterations?: number;
  /** Stop when every residual ‖Hx − λx‖ ≤ tolerance·max|λ| (default 1e-6). */
  tolerance?: number;
  /** Seed of the random start vector (default 0). */
  seed?: number;
}

export interface HessianEigenpairs {
  /** Largest eigenvalues, descending. */
  values: number[];
  /** Unit eigenvectors, flat over the subset (see parameterLayout); sign: largest |entry| positive. */
  vectors: Float64Array[];
  /** Residual estimates ‖Hx − λx‖ of each pair. */
  residuals: number[];
  iterations: number;
  converged: boolean;
  layout: ParameterLayout;
}

/** Top-k eigenpairs of the subset's Hessian block by Lanczos with full reorthogonalisation. */
export async function hessianTopK(trainer: PoFTrainer, data: ImageSet, options: TopKOptions = {}): Promise<HessianEigenpairs> {
  const where = 'hessianTopK';
  checkKeys(where, options, [...SUBSET_KEYS, 'k', 'maxIterations', 'tolerance', 'seed']);
  const t = target(where, trainer, data);
  const a = subsetArgs(where, data, options);
  const layout = parameterLayout(trainer, a.native.subset);
  const d = HESSIAN_DEFAULTS;
  const k = integer(where, 'k', options.k ?? d.k, 1);
  if (k > layout.size) throw new OptionError(`${where}: k must be <= ${layout.size}, the size of the parameter subset; got ${k}`);
  const maxIterations = integer(where, 'maxIterations', options.maxIterations ?? d.maxIterations, k);
  const tolerance = number(where, 'tolerance', options.tolerance ?? d.tolerance, { above: 0 });
  const seed = integer(where, 'seed', options.seed ?? d.seed, 0);
  const r = await t.run(() => native.analysis.hessianTopK(t.model, t.data, a.indices, { ...a.native, k, maxIterations, tolerance, seed }));
  return { ...r, layout };
}
