// ξ* of many mini-batches (Fig. 2b): the distance to the nearest mini-batch minimum along −g.
import { lineSearch } from '../analysis/line-search';
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

/**
 * ξ* for `batches` random batches of `batchSize` distinct examples of `data` (rejected batches left
 * out), and the spread of the perturbations PoF would apply with expansion factor `gamma`.
 */
export async function xiStarSamples(trainer: PoFTrainer, data: ImageSet, options: { batches: number; batchSize: number; seed: number; gamma: number }):
  Promise<{ xi: number[]; rejected: number; perturbations: PerturbationSpread }> {
  const state = await trainer.stateDict();
  const weight = state['classifiers.0.weight'].data as Float32Array;
  const bias = state['classifiers.0.bias'].data as Float32Array;
  const n = data.shape[0];
  let s = options.seed >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const xi: number[] = [];
  let rejected = 0;
  const sum = new Float64Array(weight.length + bias.length);
  let normSum = 0;
  // Each batch: distinct examples (a partial Fisher-Yates shuffle), like a training mini-batch.
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  const size = Math.min(options.batchSize, n);
  for (let b = 0; b < options.batches; b += 1) {
    for (let k = 0; k < size; k += 1) {
      const j = k + Math.floor(next() * (n - k));
      [pool[k], pool[j]] = [pool[j], pool[k]];
    }
    const indices = pool.slice(0, size);
    const features = await trainer.features(data, indices);
    const labels = Int32Array.from(indices, (i) => data.labels[i]);
    const r = lineSearch({ features, labels, weight, bias, numClasses: data.numClasses });
    if (r.rejected) {
      rejected += 1;
      continue;
    }
    xi.push(r.xi);
    // δ_B = −γ s* g (= −γ ξ* ĝ), in the order weight then bias.
    let squared = 0;
    [r.gradWeight, r.gradBias].forEach((g, part) => g.forEach((v, k) => {
      const d = -options.gamma * r.step * v;
      sum[part === 0 ? k : weight.length + k] += d;
      squared += d * d;
    }));
    normSum += Math.sqrt(squared);
  }
  const accepted = xi.length;
  const mean = Array.from(sum, (v) => v / Math.max(1, accepted));
  const theta = [...weight, ...bias];
  const normOfMean = Math.hypot(...mean);
  const cosine = mean.reduce((a, v, k) => a + v * theta[k], 0) / (normOfMean * Math.hypot(...theta) || 1);
  return { xi, rejected, perturbations: { meanNorm: normSum / Math.max(1, accepted), normOfMean, cosineWithClassifier: cosine } };
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
