// ξ* of many mini-batches for the reproductions (Fig. 2b), measured by the analysis
// (lib/analysis/xi-star.ts), and the summaries taken of it: medians, PoF's perturbation spread.
import { parameterLayout } from '../analysis/hessian';
import { XiStarOptions, xiStarWithDirections } from '../analysis/xi-star';
import { ImageSet } from '../data/types';
import { PoFTrainer } from '../trainer';

/** How PoF's perturbations δ_B = −γ ξ*_B ĝ_B of the accepted batches add up: is there a common part? */
export interface PerturbationSpread {
  /** Mean of ‖δ_B‖. */
  meanNorm: number;
  /** ‖mean of δ_B‖: 0 if the perturbations cancel out, meanNorm if they all point the same way. */
  normOfMean: number;
  /** Cosine between the mean δ_B and θ0 (weight and bias): near 1, the common part rescales θ0. */
  cosineWithClassifier: number;
}

/** θ0, the classifier's parameters flat in state-dict order (the analyses' layout). */
export async function classifierVector(trainer: PoFTrainer): Promise<Float64Array> {
  const state = await trainer.stateDict();
  return Float64Array.from(parameterLayout(trainer, 'classifier').names.flatMap((name) => Array.from(state[name].data as Float32Array)));
}

/**
 * ξ* of the accepted batches among `batches` random batches of `batchSize` distinct examples of `data`
 * (the analysis' draw for `seed`), and the spread of the perturbations PoF would apply with expansion
 * factor `gamma`.
 */
export async function xiStarSamples(trainer: PoFTrainer, data: ImageSet, options: XiStarOptions & { gamma: number }):
  Promise<{ xi: number[]; rejected: number; perturbations: PerturbationSpread }> {
  const { gamma, ...search } = options;
  const theta = await classifierVector(trainer);
  const { xi, directions, rejected } = await xiStarWithDirections(trainer, data, search);
  const n = Math.max(1, xi.length);
  const mean = new Float64Array(theta.length);
  xi.forEach((x, b) => directions[b].forEach((u, k) => { mean[k] -= (gamma * x * u) / n; }));
  const normOfMean = Math.hypot(...mean);
  const cosine = mean.reduce((a, v, k) => a + v * theta[k], 0) / (normOfMean * Math.hypot(...theta) || 1);
  // ‖δ_B‖ = γ ξ*_B: ĝ_B is a unit vector.
  const meanNorm = xi.reduce((a, x) => a + gamma * x, 0) / n;
  return { xi, rejected, perturbations: { meanNorm, normOfMean, cosineWithClassifier: cosine } };
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Median of ξ* with the rejected batches counted as ξ* = +∞ (their loss was still falling at sMax, so
 * their minimum, if any, lies beyond every accepted one): an upper bound that leaving them out cannot
 * bias downward. Infinity when half or more of the batches were rejected.
 */
export function medianCountingRejected(values: number[], rejected: number): number {
  return median([...values, ...Array<number>(rejected).fill(Infinity)]);
}
