// Histogram binning done up front, with the same edges for every series, so that distributions
// drawn over each other (train vs test, SAM vs PoF) compare bin for bin.
import { OptionError } from '../errors';

export interface BinnedSeries {
  name: string;
  /** Left edge of each bin, then the right edge of the last bin (bins + 1 numbers). */
  edges: number[];
  /** Count of the series' values in each bin (the last bin includes its right edge). */
  counts: number[];
  /** Number of values binned. */
  total: number;
}

/** Bin edges over [min, max] of all values: evenly spaced, or evenly spaced in log10 when `log`. */
export function sharedEdges(values: number[], bins: number, log: boolean): number[] {
  if (!Number.isInteger(bins) || bins < 1) throw new OptionError(`histogram: bins must be a positive integer, got ${bins}`);
  if (values.length === 0) throw new OptionError('histogram: no values to bin');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new OptionError(`histogram: values must be finite numbers, got ${v}`);
    if (log && v <= 0) throw new OptionError(`histogram: a log-scale x axis needs positive values, got ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const [a, b] = log ? [Math.log10(lo), Math.log10(hi)] : [lo, hi];
  // All values equal: give the single spike a visible width around it.
  const [start, end] = a === b ? [a - 0.5, b + 0.5] : [a, b];
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const e = start + ((end - start) * i) / bins;
    edges.push(log ? 10 ** e : e);
  }
  // 10 ** log10(x) need not give x back: pin the outer edges so the extremes stay inside.
  if (a !== b) {
    edges[0] = lo;
    edges[bins] = hi;
  }
  return edges;
}

/** Counts `values` into the bins bounded by `edges` (ascending). */
export function countInBins(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    // Binary search for the last edge ≤ v; the top edge belongs to the last bin.
    let lo = 0;
    let hi = edges.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    if (v >= edges[0] && v <= edges[edges.length - 1]) counts[lo] += 1;
  }
  return counts;
}

/** Bins every series on the edges shared by all of them. */
export function binSeries(series: { name: string; values: number[] }[], bins: number, log: boolean): BinnedSeries[] {
  const edges = sharedEdges(series.flatMap((s) => s.values), bins, log);
  return series.map((s) => ({ name: s.name, edges, counts: countInBins(s.values, edges), total: s.values.length }));
}
