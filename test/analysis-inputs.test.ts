// Untrusted sizes and values given to the analyses (issue 20): each is refused with a PoFError naming the
// option or vector and what was expected, before any work; never a RangeError, an out-of-memory abort or a
// silent NaN or clamped result.
import test from 'ava';
import { analysis, models, NonFiniteError, OptionError, PoFTrainer } from '../lib';
import { xiStarWithDirections } from '../lib/analysis/xi-star';
import { blobs, testDevice as device } from './helpers/synthetic';

// 64 examples: a batch size of 65 cannot be drawn from them.
const data = blobs(64, 4, 3, 21);
const trainer = new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [5], numClasses: 3 }), device, seed: 1 });
const classifierSize = 5 * 3 + 3;

test.serial('batches beyond what can be drawn is an OptionError, not a RangeError', async (t) => {
  for (const batches of [2 ** 31, 2 ** 53 - 1]) {
    await t.throwsAsync(analysis.xiStarDistribution(trainer, data, { batches, batchSize: 4 }),
      { instanceOf: OptionError, code: 'ERR_POF_OPTION', message: new RegExp(`xiStarDistribution: batches must be at most 16777216 .*got ${batches}`) });
    await t.throwsAsync(analysis.curvatureAlongGradient(trainer, data, { batches }), { instanceOf: OptionError, message: /curvatureAlongGradient: batches must be at most/ });
  }
  // Each under its own cap, but together too many examples to draw.
  await t.throwsAsync(analysis.curvatureAlongGradient(trainer, data, { batches: 2 ** 20, batchSize: 64 }),
    { instanceOf: OptionError, message: /curvatureAlongGradient: batches × batchSize must be at most 16777216 examples drawn .*got 1048576 × 64/ });
});

test.serial('a batch size larger than the data is refused, naming batchSize and the data size', async (t) => {
  const message = /batchSize \(65\) exceeds the 64 examples of the data 'blobs-21'; expected at most 64/;
  await t.throwsAsync(analysis.xiStarDistribution(trainer, data, { batches: 2, batchSize: 65 }), { instanceOf: OptionError, code: 'ERR_POF_OPTION', message });
  await t.throwsAsync(analysis.curvatureAlongGradient(trainer, data, { batches: 2, batchSize: 65 }), { instanceOf: OptionError, message });
  await t.throwsAsync(analysis.perturbationSizes(trainer, data, { batches: 2, batchSize: 65 }), { instanceOf: OptionError, message });
  await t.throwsAsync(analysis.eigenvectorCorrelationCounts(trainer, data, { k: 2, batches: 2, batchSize: 65 }), { instanceOf: OptionError, message });
  await t.throwsAsync(xiStarWithDirections(trainer, data, { batches: 2, batchSize: 65 }), { instanceOf: OptionError, message });
  // The whole set is a valid batch; the default (256) shrinks to the set as documented.
  t.is((await analysis.xiStarDistribution(trainer, data, { batches: 2, batchSize: 64 })).batchSize, 64);
  t.is((await analysis.curvatureAlongGradient(trainer, data, { batches: 2 })).batchSize, 64);
});

test.serial('a NaN or infinite vector is a NonFiniteError naming the vector and the entry', async (t) => {
  const nan = new Float64Array(classifierSize);
  nan[7] = NaN;
  await t.throwsAsync(analysis.hessianVectorProduct(trainer, data, nan),
    { instanceOf: NonFiniteError, code: 'ERR_POF_NON_FINITE', message: /hessianVectorProduct: vector\[7\] is NaN; expected finite values/ });
  const inf = new Float32Array(classifierSize);
  inf[0] = -Infinity;
  await t.throwsAsync(analysis.hessianVectorProduct(trainer, data, inf), { instanceOf: NonFiniteError, message: /vector\[0\] is -Infinity/ });
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, [new Float64Array(classifierSize), nan], [0, 1]),
    { instanceOf: NonFiniteError, message: /lossAlongDirection: directions\[1\]\[7\] is NaN/ });
  const finite = await analysis.hessianVectorProduct(trainer, data, new Float64Array(classifierSize).fill(1));
  t.true(finite.every(Number.isFinite));
});

test.serial('steps and grids beyond float32 or of absurd sizes are OptionErrors, not NaN losses or a heap abort', async (t) => {
  const v = [new Float64Array(classifierSize).fill(1)];
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, v, [0, 1e300]),
    { instanceOf: OptionError, message: /lossAlongDirection: t\[1\] must be at most 3\.4028234663852886e\+38 \(the largest float32/ });
  const million = Array.from({ length: 1e6 }, (_, i) => i / 1e6);
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, v, million),
    { instanceOf: OptionError, message: /^lossAlongDirection: 1 directions x 1000000 steps is 1000000 passes over the data; at most 10000 are taken$/ });
  await t.throwsAsync(analysis.lossAlongDirection(trainer, data, [v[0], v[0], v[0]], million.slice(0, 4000)), { instanceOf: OptionError, message: /3 directions x 4000 steps/ });
  await t.throwsAsync(analysis.lossAlongTopEigenvectors(trainer, data, { extent: 1e300, points: 3 }),
    { instanceOf: OptionError, message: /lossAlongTopEigenvectors: extent must be at most 3\.40\d*e\+38/ });
  await t.throwsAsync(analysis.lossAlongTopEigenvectors(trainer, data, { points: 1e9 }),
    { instanceOf: OptionError, message: /lossAlongTopEigenvectors: points must be at most 10000 .*got 1000000000/ });
  await t.throwsAsync(analysis.deltaLPerLayer(trainer, data, data, { points: 1e9 }), { instanceOf: OptionError, message: /deltaLPerLayer: points must be at most 10000/ });
  await t.throwsAsync(analysis.lossAndGradient(trainer, data, { chunkSize: 2 ** 31 }), { instanceOf: OptionError, message: /lossAndGradient: chunkSize must be at most 16777216/ });
});

test.serial('xiStarWithDirections refuses a classifier too large for its square matrix; toyAnalyses fits its default batch to small data', async (t) => {
  const wide = new PoFTrainer({ model: models.mlp({ inputDim: 4, hidden: [100], numClasses: 50 }), device, seed: 1 });
  await t.throwsAsync(xiStarWithDirections(wide, data, { batches: 2, batchSize: 4 }),
    { instanceOf: OptionError, message: /xiStarWithDirections: the classifier has 5050 parameters; .* at most 4096/ });
  const few = blobs(20, 4, 3, 22);
  const r = await analysis.toyAnalyses(trainer, few, few, { points: 3, batches: 2 });
  t.is(r.correlationCounts.reduce((s, c) => s + c.count, 0), 2);
  await t.throwsAsync(analysis.toyAnalyses(trainer, few, few, { points: 3, batches: 2, batchSize: 21 }), { instanceOf: OptionError, message: /batchSize \(21\) exceeds the 20 examples/ });
});

test('histogram inputs bound their bins and refuse unknown options', (t) => {
  const series = [{ name: 'a', values: [1, 2, 3] }];
  const builders = {
    xiStarHistogram: (o: object) => analysis.xiStarHistogram(series, o),
    curvatureHistogram: (o: object) => analysis.curvatureHistogram(series, o),
    perturbationHistogram: (o: object) => analysis.perturbationHistogram({ pof: [1], sam: [2], sgd: [3] }, o),
  };
  for (const [where, build] of Object.entries(builders)) {
    t.throws(() => build({ bins: 1e9 }), { instanceOf: OptionError, code: 'ERR_POF_OPTION', message: new RegExp(`${where}: bins must be at most 10000 .*got 1000000000`) });
    t.throws(() => build({ bins: 0 }), { instanceOf: OptionError, message: new RegExp(`${where}: bins must be >= 1, got 0`) });
    t.throws(() => build({ bins: 2.5 }), { instanceOf: OptionError, message: new RegExp(`${where}: bins must be an integer, got 2.5`) });
    t.throws(() => build({ bin: 3 }), { instanceOf: OptionError, message: new RegExp(`${where}: unknown option 'bin'`) });
    t.is(build({ bins: 10_000 }).bins, 10_000);
  }
});
