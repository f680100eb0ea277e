// The study: its statistics against hand-computed values, and its arms against what they must share (the base
// weights, the seeds' draws) and what they report (per-example outcomes that add up to the errors).
import test from 'ava';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { models, PoFTrainer, studyPoF } from '../lib';
import { disagreements, exactMcNemar, meanInterval, pairedBootstrap } from '../lib/study/statistics';
import { tempDir } from './helpers/fixtures';
import { pof } from './helpers/pof-cli';
import { differingTensors } from './helpers/state-compare';
import { blobs, testDevice as device } from './helpers/synthetic';

test('meanInterval: the mean and its t interval (n − 1 degrees of freedom)', (t) => {
  const m = meanInterval([1, 2, 3]);  // sd 1, se 1/√3, t(2) = 4.303
  t.is(m.mean, 2);
  t.true(Math.abs(m.low - (2 - 4.303 / Math.sqrt(3))) < 1e-12 && Math.abs(m.high - (2 + 4.303 / Math.sqrt(3))) < 1e-12);
  t.deepEqual(meanInterval([5]), { mean: 5, low: 5, high: 5, n: 1 });
  t.true(Number.isNaN(meanInterval([]).mean));
  const wide = meanInterval(Array.from({ length: 100 }, (_, i) => i % 2));  // beyond the table: the normal's 1.96
  t.true(Math.abs(wide.high - wide.mean - 1.96 * Math.sqrt(100 / 99 / 4 / 100)) < 1e-12);
});

test('exactMcNemar: two-sided binomial tails of the discordant pairs', (t) => {
  const close = (actual: number, expected: number) => t.true(Math.abs(actual - expected) <= 1e-12 * expected, `${actual} vs ${expected}`);
  close(exactMcNemar(1, 9), 22 / 1024);            // 2·(C(10,0) + C(10,1)) / 2^10
  close(exactMcNemar(9, 1), 22 / 1024);
  close(exactMcNemar(0, 6), 2 / 64);
  close(exactMcNemar(3, 17), 2 * (1 + 20 + 190 + 1140) / 2 ** 20);
  t.is(exactMcNemar(5, 5), 1);
  t.is(exactMcNemar(0, 0), 1);
  t.true(Math.abs(exactMcNemar(400, 600) - 3.0e-10) / 3.0e-10 < 0.1, String(exactMcNemar(400, 600)));  // ≈ 2·Φ(−6.3)
});

test('pairedBootstrap: the paired difference in points, its interval over seeds and examples, reproducible by seed', (t) => {
  const u = (...v: number[]) => Uint8Array.from(v);
  // Seed 0: A errs on example 0 only where B does not; seed 1 the same: Δ = 2 of 8 = 25 points.
  const a = [u(1, 1, 0, 0), u(1, 0, 0, 0)];
  const b = [u(0, 1, 0, 0), u(0, 0, 0, 0)];
  const d = pairedBootstrap(a, b, { resamples: 500, seed: 3 });
  t.is(d.difference, 25);
  t.true(d.low >= 0 && d.low < 25 && d.high > 25 && d.high <= 100, JSON.stringify(d));
  t.deepEqual(pairedBootstrap(a, b, { resamples: 500, seed: 3 }), d);
  t.deepEqual(disagreements(a, b), { onlyA: 0, onlyB: 2 });
  // A constant difference has no spread; one of two examples differing spans 0..100 (each resample: 0, 50 or 100).
  t.like(pairedBootstrap([u(1, 1)], [u(0, 0)], { resamples: 200 }), { difference: 100, low: 100, high: 100 });
  t.like(pairedBootstrap([u(1, 0)], [u(0, 0)], { resamples: 2000 }), { difference: 50, low: 0, high: 100 });
  t.like(pairedBootstrap([u(1), u(0)], [u(0), u(0)], { resamples: 2000 }), { difference: 50, low: 0, high: 100 });
  t.throws(() => pairedBootstrap([u(1)], [u(1), u(0)]), { instanceOf: RangeError });
});

const spec = () => models.mlp({ inputDim: 6, hidden: [16], numClasses: 3 });
const train = blobs(96, 6, 3, 1);
const testSet = blobs(60, 6, 3, 2);

async function trained(): Promise<PoFTrainer> {
  const trainer = new PoFTrainer({ model: spec(), device, seed: 4 });
  await trainer.fit(train, { epochs: 3, batchSize: 16, lr: 0.1 });
  return trainer;
}

test('evaluate({ predictions }) gives each example\'s label, adding up to the error', async (t) => {
  const trainer = await trained();
  const r = await trainer.evaluate(testSet, { predictions: true, batchSize: 7 });
  t.is(r.predictions!.length, testSet.labels.length);
  const wrong = r.predictions!.filter((p, i) => p !== testSet.labels[i]).length;
  t.is(r.error, (100 * wrong) / testSet.labels.length);
  t.is((await trainer.evaluate(testSet)).predictions, undefined);
});

test('the study: every arm starts from the base weights, seeds fix the draws, and its statistics add up', async (t) => {
  const trainer = await trained();
  const before = await trainer.stateDict();
  const epochs: string[] = [];
  const options = { seeds: 2, epochs: 2, lr: 0.02, batchSize: 16, hessianExamples: 32, resamples: 300 };
  const r = await studyPoF(trainer, train, testSet, { ...options, onEpoch: (arm, seed, e) => { epochs.push(`${arm} ${seed} ${e.epoch}`); } });
  t.deepEqual(differingTensors(await trainer.stateDict(), before), [], 'the trainer is left as it was');
  t.is(r.runs.length, 6);
  t.is(epochs.length, 12);
  t.deepEqual(r.arms.map((a) => a.arm), ['pof', 'gamma0', 'sgd']);
  t.is(r.base.error, (await trainer.evaluate(testSet)).error);
  for (const run of r.runs) {
    t.is(run.epochs.length, 2);
    t.true(Number.isFinite(run.eigenvalue) && run.eigenvalue > 0);
    t.is(run.epochs[1].testError, run.error, 'the last epoch\'s evaluation is the arm\'s');
    t.is(run.epochs.every((e) => e.xi !== undefined), run.arm !== 'sgd');
  }
  // The counts behind McNemar are the errors' difference: PoF's misses − the control's = onlyControl − onlyPoF.
  const n = testSet.labels.length;
  for (const c of r.comparisons) {
    const sum = (arm: string) => r.runs.filter((x) => x.arm === arm).reduce((s, x) => s + (x.error * n) / 100, 0);
    t.is(Math.round(sum('pof') - sum(c.control)), c.onlyControl - c.onlyPoF);
    t.true(Math.abs(c.difference.difference - (sum('pof') - sum(c.control)) * 100 / n / 2) < 1e-9);
    t.regex(c.verdict, /^PoF vs (γ = 0 control|continued SGD): (no detectable difference|PoF (lowers|raises) the test error) \(Δ error [+-]\d+\.\d\d pp \(95 % CI/);
  }
  t.deepEqual(await studyPoF(trainer, train, testSet, options), r, 'the same study gives the same numbers');
});

test('PoF and its γ = 0 control draw the same batches: with lr 0 their line searches see the same B every step', async (t) => {
  const trainer = await trained();
  const r = await studyPoF(trainer, train, testSet, { seeds: 2, epochs: 2, lr: 0, batchSize: 16, arms: ['pof', 'gamma0'], hessianExamples: 0, resamples: 10 });
  const xi = (arm: string, seed: number) => r.runs.find((x) => x.arm === arm && x.seed === seed)!.epochs.map((e) => e.xi);
  for (const seed of [0, 1]) t.deepEqual(xi('pof', seed), xi('gamma0', seed));
  t.notDeepEqual(xi('pof', 0), xi('pof', 1), 'another seed draws other batches');
  t.true(r.runs.every((x) => x.error === r.base.error));
  t.is(r.comparisons[0].verdict.startsWith('PoF vs γ = 0 control: no detectable difference (Δ error +0.00 pp'), true, r.verdict);
  await t.throwsAsync(studyPoF(trainer, train, testSet, { arms: ['gamma0'] }), { message: /studyPoF: arms must list some of pof, gamma0, sgd once each, 'pof' among them/ });
  await t.throwsAsync(studyPoF(trainer, train, testSet, { seeds: 0 }), { message: /studyPoF: seeds must be >= 1, got 0/ });
});

test('several trained models: seed k starts from the k-th, so the study spans the initial weights too', async (t) => {
  const bases = [await trained(), new PoFTrainer({ model: spec(), device, seed: 9 })];
  await bases[1].fit(train, { epochs: 3, batchSize: 16, lr: 0.1 });
  const r = await studyPoF(bases, train, testSet, { epochs: 1, lr: 0, batchSize: 16, arms: ['pof', 'gamma0'], hessianExamples: 0, resamples: 10 });
  t.is(r.settings.seeds, 2);
  const own = await Promise.all(bases.map(async (b) => (await b.evaluate(testSet)).error));
  t.deepEqual(r.base.perSeed!.map((b) => b.error), own);
  t.is(r.base.error, (own[0] + own[1]) / 2);
  // At lr 0 each seed's arms keep their own base's weights.
  for (const seed of [0, 1]) t.true(r.runs.filter((x) => x.seed === seed).every((x) => x.error === own[seed]));
  await t.throwsAsync(studyPoF(bases, train, testSet, { seeds: 3 }), { message: /studyPoF: seeds \(3\) must be the number of trainers given \(2\)/ });
  const other = new PoFTrainer({ model: models.mlp({ inputDim: 6, hidden: [8], numClasses: 3 }), device });
  await t.throwsAsync(studyPoF([bases[0], other], train, testSet), { message: /studyPoF: every trainer must hold the same model on the same device/ });
});

test('pof study writes study.json, study.md with the verdict, and the figure', async (t) => {
  const dir = tempDir('study-cli');
  const run = path.join(dir, 'run');
  const trainedRun = await pof(['train', '--dataset', 'toy', '--model', 'mlp-16', '--epochs', '2', '--batch-size', '64', '--train-size', '256', '--test-size', '128', '--out', run]);
  t.is(trainedRun.code, 0, trainedRun.stderr);
  const out = path.join(dir, 'study');
  const r = await pof(['study', '--from', path.join(run, 'model.safetensors'), '--dataset', 'toy', '--train-size', '256', '--test-size', '128',
    '--seeds', '2', '--epochs', '1', '--batch-size', '64', '--lr', '0.01', '--hessian-examples', '64', '--out', out]);
  t.is(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(path.join(out, 'study.json'), 'utf8'));
  t.is(result.runs.length, 6);
  t.is(result.testExamples, 128);
  const md = readFileSync(path.join(out, 'study.md'), 'utf8');
  t.regex(md, /\| PoF \| \d+\.\d\d \(/);
  t.regex(md, /- PoF vs γ = 0 control: /);
  t.true(existsSync(path.join(out, 'figures', 'study.svg')));
  t.regex(r.stderr, /^PoF vs continued SGD: /m);
  t.deepEqual(Object.keys(JSON.parse(r.stdout)), ['base', 'arms', 'comparisons']);
  // Two trained models, one per seed.
  const second = path.join(dir, 'run-2');
  const trainedSecond = await pof(['train', '--dataset', 'toy', '--model', 'mlp-16', '--epochs', '2', '--batch-size', '64', '--train-size', '256', '--test-size', '128', '--seed', '1', '--out', second]);
  t.is(trainedSecond.code, 0, trainedSecond.stderr);
  const both = await pof(['study', '--from', `${path.join(run, 'model.safetensors')},${path.join(second, 'model.safetensors')}`, '--dataset', 'toy',
    '--train-size', '256', '--test-size', '128', '--epochs', '1', '--batch-size', '64', '--arms', 'pof,gamma0', '--hessian-examples', '0', '--out', path.join(dir, 'study-2')]);
  t.is(both.code, 0, both.stderr);
  const two = JSON.parse(readFileSync(path.join(dir, 'study-2', 'study.json'), 'utf8'));
  t.is(two.settings.seeds, 2);
  t.is(two.base.perSeed.length, 2);
});
