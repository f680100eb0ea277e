// The paper's analyses (Fig. 1c, 1d, 2a, 5, 6) on a small trained MLP: each result checked against
// the primitives it is built from and against the figure functions it feeds.
import test from 'ava';
import { analysis, datasets, lineSearch, models, PoFTrainer, schedules } from '../lib';
import { drawBatches } from '../lib/analysis/target';
import * as plot from '../lib/plot';
import { dot } from './helpers/symmetric-eigen';
import { testDevice as device } from './helpers/synthetic';

const { train, test: held } = datasets.toy({ seed: 2, trainSize: 128, testSize: 256 });

let cached: Promise<PoFTrainer> | undefined;
function trained(): Promise<PoFTrainer> {
  cached ??= (async () => {
    const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 16, hidden: [12, 10, 8], numClasses: 4 }), device, seed: 4 });
    await trainer.fit(train, { epochs: 30, batchSize: 16, lr: 0.05, schedule: schedules.constant() });
    return trainer;
  })();
  return cached;
}

// Each test awaits the shared model in turn: analyses mark it busy while they run.
test.serial('ΔL per layer: every weight layer, ΔL ≥ 0, the test loss at t = 0', async (t) => {
  const trainer = await trained();
  t.deepEqual(analysis.weightLayers(trainer), ['layers.0', 'layers.1', 'layers.2', 'classifiers.0']);
  const r = await analysis.deltaLPerLayer(trainer, train, held, { extent: 0.5, points: 21 });
  t.deepEqual(r.layers, [1, 2, 3, 4]);
  t.is(r.deltaL.length, 4);
  for (const d of r.deltaL) t.true(d >= 0 && Number.isFinite(d));
  r.topEigenvalues.forEach((v) => t.true(v > 0));
  r.bestT.forEach((b) => t.true(Math.abs(b) <= 0.5));
  const test = await trainer.evaluate(held);
  t.true(Math.abs(r.testLoss - test.loss) < 1e-6 * test.loss);
  // The classifier's ΔL is reproduced from the primitives.
  const top = await analysis.hessianTopK(trainer, train, { subset: 'classifiers.0', k: 1 });
  t.true(Math.abs(top.values[0] - r.topEigenvalues[3]) < 1e-6 * top.values[0]);
  const grid = Array.from({ length: 21 }, (_, i) => (0.5 * (2 * i - 20)) / 20);
  const [along] = await analysis.lossAlongDirection(trainer, held, top.vectors, grid, { subset: 'classifier' });
  t.true(Math.abs(along[10] - Math.min(...along) - r.deltaL[3]) < 1e-9);
  t.notThrows(() => plot.deltaLPerLayer({ layers: r.layers, series: [{ name: 'SGD', deltaL: r.deltaL }] }));
});

test.serial('loss along the top classifier eigenvectors: curvature at t = 0 is the eigenvalue', async (t) => {
  const trainer = await trained();
  const h = 0.02;
  const r = await analysis.lossAlongTopEigenvectors(trainer, train, { k: 3, extent: h, points: 3, name: 'SGD' });
  t.deepEqual(r.t, [-h, 0, h]);
  t.deepEqual(r.series.map((s) => s.direction), ['v1', 'v2', 'v3']);
  const trainLoss = (await trainer.evaluate(train)).loss;
  r.series.forEach((s, i) => {
    t.is(s.name, 'SGD');
    t.true(Math.abs(s.loss[1] - trainLoss) < 1e-6 * trainLoss);
    const secondDifference = (s.loss[0] + s.loss[2] - 2 * s.loss[1]) / (h * h);
    t.true(Math.abs(secondDifference - r.eigenvalues[i]) < 0.05 * r.eigenvalues[i],
      `v${i + 1}: second difference ${secondDifference} vs eigenvalue ${r.eigenvalues[i]}`);
  });
  const wide = await analysis.lossAlongTopEigenvectors(trainer, train, { k: 2, name: 'SGD' });
  t.is(wide.t.length, 41);
  t.notThrows(() => plot.lossAlongDirections({ t: wide.t, series: wide.series }));
});

test.serial('eigenvector correlation counts: one winner per mini-batch, the argmax of |v_iᵀ g_B|', async (t) => {
  const trainer = await trained();
  const options = { k: 5, batches: 12, batchSize: 16, seed: 3 };
  const r = await analysis.eigenvectorCorrelationCounts(trainer, train, { ...options, name: 'SGD' });
  t.deepEqual(r.counts.map((c) => c.index), [1, 2, 3, 4, 5]);
  t.is(r.counts.reduce((s, c) => s + c.count, 0), 12);
  t.true(r.counts.every((c) => c.name === 'SGD'));
  // Batch 0 from the primitives: the same eigenvectors (same seed) and the batch's gradient.
  const eigen = await analysis.hessianTopK(trainer, train, { k: 5, seed: 3 });
  const indices = drawBatches('test', train.shape[0], { batches: 12, batchSize: 16, seed: 3 });
  for (const b of [0, 5]) {
    const { gradient } = await analysis.lossAndGradient(trainer, train, { indices: indices.slice(b * 16, (b + 1) * 16) });
    const projections = eigen.vectors.map((v) => Math.abs(dot(v, gradient)));
    t.is(r.winners[b], projections.indexOf(Math.max(...projections)) + 1);
  }
  t.notThrows(() => plot.eigenvectorCorrelationCounts({ counts: r.counts }));
});

test.serial('curvature histogram input: one value per batch, positive for a softmax classifier', async (t) => {
  const trainer = await trained();
  const a = await analysis.curvatureAlongGradient(trainer, train, { batches: 20, batchSize: 16, seed: 1 });
  const b = await analysis.curvatureAlongGradient(trainer, held, { batches: 20, batchSize: 16, seed: 1 });
  t.is(a.values.length, 20);
  // The classifier Hessian of softmax cross-entropy is positive semi-definite.
  for (const v of [...a.values, ...b.values]) t.true(v >= 0);
  const input = analysis.curvatureHistogram([{ name: 'SGD, train', values: a.values }, { name: 'SGD, test', values: b.values }]);
  t.notThrows(() => plot.histogram(input));
});

test.serial('perturbation sizes: PoF γξ* from the line search, SAM ≤ ρ, SGD η‖g_θ‖', async (t) => {
  const trainer = await trained();
  const options = { batches: 10, batchSize: 16, seed: 2 };
  const r = await analysis.perturbationSizes(trainer, train, { ...options, gamma: 2, rho: 0.05, lr: 0.01 });
  t.is(r.sam.length, 10);
  t.is(r.sgd.length, 10);
  t.is(r.pof.length + r.pofRejected, 10);
  for (const s of r.sam) t.true(s > 0 && s <= 0.05 + 1e-12);
  const indices = drawBatches('test', train.shape[0], options);
  const state = await trainer.stateDict();
  const weight = state['classifiers.0.weight'].data as Float32Array, bias = state['classifiers.0.bias'].data as Float32Array;
  const expectedPof: number[] = [];
  for (let b = 0; b < 10; b += 1) {
    const batch = indices.slice(b * 16, (b + 1) * 16);
    const classifier = await analysis.lossAndGradient(trainer, train, { indices: batch });
    const all = await analysis.lossAndGradient(trainer, train, { indices: batch, subset: 'all' });
    const gn = Math.sqrt(dot(classifier.gradient, classifier.gradient)), an = Math.sqrt(dot(all.gradient, all.gradient));
    t.true(Math.abs(r.sgd[b] - 0.01 * gn) < 1e-6 * r.sgd[b]);
    t.true(Math.abs(r.sam[b] - (0.05 * gn) / an) < 1e-6 * r.sam[b]);
    const search = lineSearch({
      features: await trainer.features(train, batch), labels: Int32Array.from(batch, (i) => train.labels[i]), weight, bias, numClasses: 4,
    });
    if (!search.rejected) expectedPof.push(2 * search.xi);
  }
  t.is(r.pof.length, expectedPof.length);
  r.pof.forEach((p, i) => t.true(Math.abs(p - expectedPof[i]) <= 1e-6 * expectedPof[i], `${p} vs ${expectedPof[i]}`));
  t.notThrows(() => plot.histogram(analysis.perturbationHistogram(r)));
});

test.serial('ξ* distributions: accepted batches plus rejected ones make up all batches; histogram input', async (t) => {
  const trainer = await trained();
  const options = { batches: 10, batchSize: 16, seed: 2 };
  const a = await analysis.xiStarDistribution(trainer, train, options);
  const b = await analysis.xiStarDistribution(trainer, held, options);
  t.is(a.xi.length + a.rejected, 10);
  for (const xi of [...a.xi, ...b.xi]) t.true(xi > 0);
  const sizes = await analysis.perturbationSizes(trainer, train, { ...options, gamma: 3 });
  t.deepEqual(sizes.pof, a.xi.map((x) => 3 * x));
  t.notThrows(() => plot.histogram(analysis.xiStarHistogram([{ name: 'train', values: a.xi }, { name: 'test', values: b.xi }])));
  await t.throwsAsync(analysis.xiStarDistribution(trainer, train, { ...options, maxStep: 0.5 }), { code: "ERR_POF_OPTION", message: /maxStep must be > 1, got 0.5/ });
});

test.serial('toyAnalyses returns what the toy study and its figures need', async (t) => {
  const trainer = await trained();
  const r = await analysis.toyAnalyses(trainer, train, held, { name: 'SGD', batches: 20, batchSize: 16 });
  t.deepEqual(r.deltaLLayers, ['layers.0', 'layers.1', 'layers.2', 'classifiers.0']);
  t.is(r.deltaL.length, 4);
  t.true(r.topEigenClassifier > 0);
  t.true(Math.abs(r.topEigenClassifier - r.layerTopEigenvalues[3]) < 1e-6 * r.topEigenClassifier);
  t.is(r.lossCurves.series.length, 3);
  t.is(r.correlationCounts.length, 10);
  t.is(r.correlationCounts.reduce((s, c) => s + c.count, 0), 20);
  t.notThrows(() => plot.deltaLPerLayer({ layers: r.deltaL.map((_, i) => i + 1), series: [{ name: 'SGD', deltaL: r.deltaL }] }));
  t.notThrows(() => plot.lossAlongDirections(r.lossCurves));
  t.notThrows(() => plot.eigenvectorCorrelationCounts({ counts: r.correlationCounts }));
  await t.throwsAsync(analysis.toyAnalyses(trainer, train, held, { bins: 3 } as never), { message: /unknown option 'bins'/ });
});
