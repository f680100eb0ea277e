// PoF's step checked against the paper's equations, computed by hand in float64 on a one-hidden-layer
// MLP: g and ξ* on B at θ0 (Eq. 2-3), θ' = θ0 − γ ξ* ĝ (Eq. 4), and Δφ = −η ∂L_B̃(φ, θ')/∂φ (Eq. 5).
import test from 'ava';
import { lineSearch, models, PoFTrainer } from '../lib';
import { blobs, range, testDevice as device } from './helpers/synthetic';

const [D, H, C] = [5, 7, 3];

interface Net { w1: Float64Array; b1: Float64Array; w: Float64Array; b: Float64Array }

function hidden(net: Net, x: ArrayLike<number>, i: number): Float64Array {
  const h = new Float64Array(H);
  for (let k = 0; k < H; k += 1) {
    let s = net.b1[k];
    for (let j = 0; j < D; j += 1) s += net.w1[k * D + j] * x[i * D + j];
    h[k] = s;
  }
  return h;
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / total);
}

/** ∂(mean cross entropy of the batch)/∂(w1, b1) with the classifier (w, b). */
function featureGradient(net: Net, x: ArrayLike<number>, y: ArrayLike<number>, batch: Int32Array) {
  const gw1 = new Float64Array(H * D), gb1 = new Float64Array(H);
  for (const i of batch) {
    const h = hidden(net, x, i);
    const f = Array.from(h, (v) => Math.max(v, 0));
    const p = softmax(Array.from({ length: C }, (_, c) => net.b[c] + f.reduce((s, v, k) => s + net.w[c * H + k] * v, 0)));
    for (let k = 0; k < H; k += 1) {
      if (h[k] <= 0) continue;
      let df = 0;
      for (let c = 0; c < C; c += 1) df += net.w[c * H + k] * (p[c] - (c === y[i] ? 1 : 0));
      df /= batch.length;
      gb1[k] += df;
      for (let j = 0; j < D; j += 1) gw1[k * D + j] += df * x[i * D + j];
    }
  }
  return { gw1, gb1 };
}

test('a PoF step with gamma = 2 moves phi by -lr * dL_B~/dphi at theta0 - gamma xi* g/|g|, and leaves theta alone', async (t) => {
  const data = blobs(64, D, C, 11, 1.5, 1.5);
  const trainer = new PoFTrainer({ model: models.mlp({ inputDim: D, hidden: [H], numClasses: C }), device, seed: 5 });
  // A few plain steps first so that the classifier is not at its random start.
  for (let k = 0; k < 3; k += 1) await trainer.step(data, { method: 'sgd', indices: range(32, 8 * k), lr: 0.2, momentum: 0, weightDecay: 0 });
  const s0 = await trainer.stateDict();
  const f64 = (name: string) => Float64Array.from(s0[name].data as Float32Array);
  const net: Net = { w1: f64('layers.0.weight'), b1: f64('layers.0.bias'), w: f64('classifiers.0.weight'), b: f64('classifiers.0.bias') };
  const weak = range(24, 40), regular = range(32);
  const [gamma, lr] = [2, 0.3];

  // Eq. 2-3 on B: the features, the gradient g at θ0 and the line search's step s* (ξ* = s*‖g‖).
  const features = new Float32Array(weak.length * H);
  weak.forEach((i, r) => hidden(net, data.images, i).forEach((v, k) => { features[r * H + k] = Math.max(v, 0); }));
  const weakLabels = Int32Array.from(weak, (i) => data.labels[i]);
  const search = lineSearch({ features, labels: weakLabels, weight: s0['classifiers.0.weight'].data as Float32Array,
    bias: s0['classifiers.0.bias'].data as Float32Array, numClasses: C });
  t.false(search.rejected, 'this batch has a minimum along -g');
  t.true(search.step > 0);
  // g by hand agrees with the search's g.
  const gw = new Float64Array(C * H), gb = new Float64Array(C);
  weak.forEach((_, r) => {
    const f = Array.from(features.subarray(r * H, (r + 1) * H));
    const p = softmax(Array.from({ length: C }, (_, c) => net.b[c] + f.reduce((s, v, k) => s + net.w[c * H + k] * v, 0)));
    for (let c = 0; c < C; c += 1) {
      const d = (p[c] - (c === weakLabels[r] ? 1 : 0)) / weak.length;
      gb[c] += d;
      for (let k = 0; k < H; k += 1) gw[c * H + k] += d * f[k];
    }
  });
  gw.forEach((v, k) => t.true(Math.abs(v - search.gradWeight[k]) < 1e-5, `g_W[${k}]`));
  gb.forEach((v, k) => t.true(Math.abs(v - search.gradBias[k]) < 1e-5, `g_b[${k}]`));

  // Eq. 4: θ' = θ0 − γ ξ* ĝ = θ0 − γ s* g. Eq. 5: one plain step of φ on B̃ at θ'.
  const perturbed: Net = { ...net, w: net.w.map((v, k) => v - gamma * search.step * gw[k]), b: net.b.map((v, k) => v - gamma * search.step * gb[k]) };
  const { gw1, gb1 } = featureGradient(perturbed, data.images, data.labels, regular);
  const stats = await trainer.step(data, { method: 'pof', indices: regular, weakIndices: weak, gamma, lr, momentum: 0, weightDecay: 0 });
  const s1 = await trainer.stateDict();

  const close = (got: Float32Array, want: Float64Array, what: string) => {
    let worst = 0;
    want.forEach((v, k) => { worst = Math.max(worst, Math.abs(got[k] - v)); });
    t.true(worst < 2e-5, `${what}: largest difference ${worst}`);
  };
  close(s1['layers.0.weight'].data as Float32Array, net.w1.map((v, k) => v - lr * gw1[k]), 'W1');
  close(s1['layers.0.bias'].data as Float32Array, net.b1.map((v, k) => v - lr * gb1[k]), 'b1');
  // The update is not the one at θ0 (the perturbation matters).
  const atTheta0 = featureGradient(net, data.images, data.labels, regular);
  t.true(atTheta0.gw1.some((v, k) => Math.abs(v - gw1[k]) > 1e-3), 'the perturbed gradient differs from the unperturbed one');
  t.deepEqual(s1['classifiers.0.weight'].data, s0['classifiers.0.weight'].data);
  t.deepEqual(s1['classifiers.0.bias'].data, s0['classifiers.0.bias'].data);
  // Reported statistics: ξ* = s*‖g‖ and ‖θ' − θ0‖ = γ ξ*.
  t.true(Math.abs(stats.xi - search.step * search.gradNorm) < 1e-5 * Math.max(1, stats.xi));
  t.true(Math.abs(stats.perturbation - gamma * stats.xi) < 1e-5 * Math.max(1, stats.perturbation));
  t.is(stats.rejectRate, 0);
});
