// ξ* of many mini-batches (Fig. 2b): the distance to the nearest mini-batch minimum along −g.
import { lineSearch } from '../analysis/line-search';
import { ImageSet } from '../data/types';
import { PoFTrainer } from '../trainer';

/** ξ* for `batches` random batches of `batchSize` distinct examples of `data` (rejected batches left out). */
export async function xiStarSamples(trainer: PoFTrainer, data: ImageSet, options: { batches: number; batchSize: number; seed: number }):
  Promise<{ xi: number[]; rejected: number }> {
  const state = await trainer.stateDict();
  const weight = state['classifiers.0.weight'].data as Float32Array;
  const bias = state['classifiers.0.bias'].data as Float32Array;
  const n = data.shape[0];
  let s = options.seed >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const xi: number[] = [];
  let rejected = 0;
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
    if (r.rejected) rejected += 1; else xi.push(r.xi);
  }
  return { xi, rejected };
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
