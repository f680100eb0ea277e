// The statistics a study reports: a mean with its 95 % confidence interval over seeds, an exact McNemar
// test on paired per-example outcomes, and a bootstrap interval for a paired difference of error rates
// that resamples both the seeds and the test examples (both are sources of chance in a comparison).

/** Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom (beyond: the normal's 1.960). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
  2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface MeanInterval {
  mean: number;
  /** The 95 % interval of the mean (Student's t over the values); equal to the mean for one value. */
  low: number;
  high: number;
  n: number;
}

/** The mean of `values` and its 95 % confidence interval (t distribution, n − 1 degrees of freedom). */
export function meanInterval(values: number[]): MeanInterval {
  const n = values.length;
  if (n === 0) return { mean: NaN, low: NaN, high: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, low: mean, high: mean, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = (T975[n - 2] ?? 1.96) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, n };
}

/** log(n choose k), exactly enough for the binomial tails below (n up to millions). */
function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i += 1) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/**
 * The exact two-sided McNemar test: of the examples the two models disagree on, `onlyA` are right under A only
 * and `onlyB` under B only; under "no difference" each is Binomial(onlyA + onlyB, 1/2). Returns the p value.
 */
export function exactMcNemar(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  let tail = 0;
  for (let i = 0; i <= k; i += 1) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** Seeded uniform draws in [0, 1) (mulberry32): the same seed gives the same bootstrap. */
export function uniformDraws(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PairedDifference {
  /** Error of A minus error of B, in percentage points, averaged over the seeds. */
  difference: number;
  /** Its 95 % bootstrap interval (2.5th and 97.5th percentiles). */
  low: number;
  high: number;
  resamples: number;
}

/**
 * The paired difference of error rates, A − B, in percentage points: `wrongA[s][i]` says whether A errs on test
 * example i in seed s (B likewise, on the same examples). Each resample draws seeds with replacement and, for
 * all of them at once, test examples with replacement, and keeps the pairing of A and B.
 */
export function pairedBootstrap(wrongA: Uint8Array[], wrongB: Uint8Array[], options: { resamples?: number; seed?: number } = {}): PairedDifference {
  const seeds = wrongA.length;
  if (seeds === 0 || seeds !== wrongB.length) throw new RangeError('pairedBootstrap: A and B need the same, non-zero number of seeds');
  const examples = wrongA[0].length;
  if ([...wrongA, ...wrongB].some((w) => w.length !== examples) || examples === 0) {
    throw new RangeError('pairedBootstrap: every seed of A and B needs the same, non-zero number of test examples');
  }
  // Per seed and example: +1 where only A errs, -1 where only B does.
  const delta = wrongA.map((a, s) => Int8Array.from(a, (v, i) => v - wrongB[s][i]));
  const rate = (picks: number[], rows: Int32Array) => {
    let sum = 0;
    for (const s of picks) for (let r = 0; r < rows.length; r += 1) sum += delta[s][rows[r]];
    return (100 * sum) / (picks.length * rows.length);
  };
  const all = Int32Array.from({ length: examples }, (_, i) => i);
  const difference = rate(Array.from({ length: seeds }, (_, s) => s), all);
  const resamples = options.resamples ?? 2000;
  const draw = uniformDraws(options.seed ?? 0);
  const values = new Float64Array(resamples);
  const rows = new Int32Array(examples);
  for (let b = 0; b < resamples; b += 1) {
    const picks = Array.from({ length: seeds }, () => Math.floor(draw() * seeds));
    for (let r = 0; r < examples; r += 1) rows[r] = Math.floor(draw() * examples);
    values[b] = rate(picks, rows);
  }
  values.sort();
  const at = (q: number) => values[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))];
  return { difference, low: at(0.025), high: at(0.975), resamples };
}

/** Counts for McNemar pooled over seeds: examples right under A only, and under B only. */
export function disagreements(wrongA: Uint8Array[], wrongB: Uint8Array[]): { onlyA: number; onlyB: number } {
  let onlyA = 0;
  let onlyB = 0;
  wrongA.forEach((a, s) => a.forEach((v, i) => {
    if (v === 0 && wrongB[s][i] === 1) onlyA += 1;
    else if (v === 1 && wrongB[s][i] === 0) onlyB += 1;
  }));
  return { onlyA, onlyB };
}
