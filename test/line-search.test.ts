import test from 'ava';
import { lineSearch, NonFiniteError, OptionError } from '../lib';
import { native } from '../lib/addon';
import { rng } from './helpers/synthetic';

function meanCrossEntropy(f: Float32Array, y: Int32Array, w: Float64Array, b: Float64Array, c: number): number {
  const n = y.length, d = f.length / n;
  let total = 0;
  for (let i = 0; i < n; i += 1) {
    const z = Array.from({ length: c }, (_, k) => {
      let s = b[k];
      for (let j = 0; j < d; j += 1) s += w[k * d + j] * f[i * d + j];
      return s;
    });
    const m = Math.max(...z);
    total += m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[y[i]];
  }
  return total / n;
}

function problem(seed: number, n: number, d: number, c: number, separable: boolean) {
  const r = rng(seed);
  const features = Float32Array.from({ length: n * d }, () => r() * 2 - 1);
  const labels = Int32Array.from({ length: n }, (_, i) => {
    if (!separable) return Math.floor(r() * c);
    // Labels from a linear rule with a margin: the loss keeps falling along the gradient.
    let best = 0;
    for (let k = 1; k < c; k += 1) if (features[i * d + k] > features[i * d + best]) best = k;
    return best;
  });
  const weight = Float32Array.from({ length: c * d }, () => (r() * 2 - 1) * 0.3);
  const bias = Float32Array.from({ length: c }, () => (r() * 2 - 1) * 0.1);
  return { features, labels, weight, bias, numClasses: c };
}

test('xi* lies within one grid cell of the brute-force minimum along -g', (t) => {
  for (const seed of [1, 2, 3, 4]) {
    const p = problem(seed, 200, 3, 3, false);
    const r = lineSearch(p);
    t.false(r.rejected);
    const loss = (s: number) => meanCrossEntropy(p.features, p.labels,
      Float64Array.from(p.weight, (v, i) => v - s * r.gradWeight[i]), Float64Array.from(p.bias, (v, i) => v - s * r.gradBias[i]), 3);
    t.true(Math.abs(loss(0) - r.loss) < 1e-5);
    // The bracket's upper end: the first doubling of s0 = 1 whose loss rises above L(0).
    let upper = 1;
    while (loss(upper) <= loss(0)) upper *= 2;
    let best = 0, bestLoss = Infinity;
    for (let s = upper / 4000; s <= upper; s += upper / 4000) {
      const l = loss(s);
      if (l < bestLoss) { bestLoss = l; best = s; }
    }
    const cell = upper / 16;
    t.true(Math.abs(r.step - best) <= cell, `seed ${seed}: s* ${r.step} vs brute force ${best} (cell ${cell})`);
    t.true(Math.abs(r.xi - r.step * r.gradNorm) < 1e-5 * Math.max(1, r.xi));
    let norm = 0;
    r.gradWeight.forEach((g) => { norm += g * g; });
    r.gradBias.forEach((g) => { norm += g * g; });
    t.true(Math.abs(Math.sqrt(norm) - r.gradNorm) < 1e-6);
  }
});

test('a batch whose loss keeps falling past sMax is rejected with no perturbation', (t) => {
  const p = problem(5, 200, 3, 3, true);
  // Start from the rule's own direction: along -g the loss decreases without bound.
  const r = lineSearch({ ...p, weight: Float32Array.from({ length: 9 }, (_, i) => (i % 4 === 0 ? 1 : 0)), bias: new Float32Array(3) });
  t.true(r.rejected);
  t.is(r.step, 0);
  t.is(r.xi, 0);
});

test('line search input of the wrong shape is a clear error', (t) => {
  const p = problem(6, 8, 4, 3, false);
  t.throws(() => lineSearch({ ...p, weight: new Float32Array(3 * 5) }), { code: 'ERR_POF_OPTION', message: /expected features \[B, D\].*15 weights/ });
});

test('numThreads(0) and a line search with initialStep 0 are option errors (no abort, no hang)', (t) => {
  t.throws(() => native.numThreads(0), { instanceOf: OptionError, message: /numThreads must be an integer in 1\.\.4096, got 0/ });
  const p = { features: new Float32Array(8), labels: Int32Array.from([0, 1]), weight: new Float32Array(8), bias: new Float32Array(2), numClasses: 2 };
  t.throws(() => lineSearch({ ...p, initialStep: 0 }), { instanceOf: OptionError, message: /initialStep must be > 0, got 0/ });
  t.throws(() => lineSearch({ ...p, partitions: 1e7 }), { instanceOf: OptionError, message: /partitions must be at most 1024/ });
  t.throws(() => lineSearch({ ...p, initialStep: 1e-300, maxStep: 1e300 }), { message: /at most 2\^64/ });
  t.true(Number.isFinite(lineSearch(p).loss));
});

test('NaN or infinite features, weights or biases are a NonFiniteError naming the array, not xi: null', (t) => {
  const p = problem(7, 8, 4, 3, false);
  const poisoned = (name: 'features' | 'weight' | 'bias', at: number, value: number) => {
    const copy = Float32Array.from(p[name]);
    copy[at] = value;
    return { ...p, [name]: copy };
  };
  t.throws(() => lineSearch(poisoned('features', 5, NaN)),
    { instanceOf: NonFiniteError, code: 'ERR_POF_NON_FINITE', message: /lineSearch: features\[5\] is NaN; expected finite values/ });
  t.throws(() => lineSearch(poisoned('weight', 2, Infinity)), { instanceOf: NonFiniteError, message: /lineSearch: weight\[2\] is Infinity/ });
  t.throws(() => lineSearch(poisoned('bias', 1, -Infinity)), { instanceOf: NonFiniteError, message: /lineSearch: bias\[1\] is -Infinity/ });
  t.true(Number.isFinite(lineSearch(p).xi));
});
