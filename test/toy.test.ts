// `pof reproduce toy`, shortened (few epochs, a small test set): the files it writes, the summary's
// shape, and the invariants that hold whatever the numbers are.
import test from 'ava';
import { assertValidSvg } from './helpers/svg';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OptionError } from '../lib';
import { reproduceToy, ToySummary } from '../lib/reproduce/toy';
import { median, medianCountingRejected } from '../lib/reproduce/xi-star';

const CLI = path.resolve(__dirname, '../lib/cli.js');
const short = { seed: 3, sgdEpochs: 12, pofEpochs: 3, xiBatches: 24, testSize: 600 };

let run: Promise<{ out: string; summary: ToySummary; lines: string[] }> | undefined;
/** One shortened study shared by the tests below. */
function study() {
  run ??= (async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pof-toy-'));
    const lines: string[] = [];
    const summary = await reproduceToy({ out, ...short, log: (l) => lines.push(l) });
    return { out, summary, lines };
  })();
  return run;
}

const MODEL_KEYS = ['trainLoss', 'trainError', 'testLoss', 'testError', 'topEigenClassifier', 'deltaL'];

test('summary.json has the issue\'s shape: sgd, pof (and the control) per model, xiStar medians', async (t) => {
  const { out, summary } = await study();
  const json = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as ToySummary;
  t.deepEqual(json.sgd, summary.sgd);
  t.false(json.featureReuse, 'PoF computes B\'s features afresh unless asked');
  for (const m of [json.sgd, json.pof, json.control]) {
    t.deepEqual(Object.keys(m).sort(), [...MODEL_KEYS].sort());
    for (const k of ['trainLoss', 'testLoss'] as const) t.true(Number.isFinite(m[k]) && m[k] > 0, `${k} ${m[k]}`);
    for (const k of ['trainError', 'testError'] as const) t.true(m[k] >= 0 && m[k] <= 100, `${k} ${m[k]}`);
    t.true(m.topEigenClassifier > 0, `top classifier eigenvalue ${m.topEigenClassifier}`);
    t.is(m.deltaL.length, 5, 'one ΔL per weight layer of the 5-layer MLP');
    t.true(m.deltaL.every((d) => d >= 0), 'ΔL >= 0: the search grid includes t = 0');
  }
  t.true(json.xiStar.trainMedian > 0 && Number.isFinite(json.xiStar.trainMedian));
  t.true(json.xiStar.testMedian > 0 && Number.isFinite(json.xiStar.testMedian));
  t.is(json.xiStar.batches, short.xiBatches);
  t.true(json.xiStar.trainRejected >= 0 && json.xiStar.trainRejected < short.xiBatches);
  t.is(json.settings.testSize, short.testSize);
  t.is(json.settings.sgd.epochs, short.sgdEpochs);
  t.is(json.seed, short.seed);
  t.true(json.bayesTestError >= 0 && json.bayesTestError < json.sgd.testError + 5, `Bayes ${json.bayesTestError}`);
});

test('the study\'s invariants: SGD learns, PoF keeps the classifier, perturbations are gamma xi*, verdicts follow the numbers', async (t) => {
  const { summary: s } = await study();
  t.true(s.sgd.trainError < 30, `SGD training error ${s.sgd.trainError} %`);
  t.is(s.pofTraining.length, short.pofEpochs);
  for (const e of s.pofTraining) {
    t.true(e.rejectRate >= 0 && e.rejectRate <= 1);
    // Both are means over the accepted batches, and each perturbation is exactly gamma * xi*.
    t.true(Math.abs(e.perturbation - s.settings.pof.gamma * e.xi) <= 1e-5 * Math.max(1, e.perturbation), `epoch ${e.epoch}`);
  }
  t.true(s.classifierNorm > 0);
  // ‖mean δ‖ ≤ mean ‖δ‖ (triangle inequality), and a cosine is a cosine.
  const spread = s.xiStar.trainPerturbations;
  t.true(spread.meanNorm > 0 && spread.normOfMean >= 0 && spread.normOfMean <= spread.meanNorm * (1 + 1e-9));
  t.true(Math.abs(spread.cosineWithClassifier) <= 1 + 1e-9);
  t.is(s.claims.length, 4);
  const atInfinity = (v: number | null) => v ?? Infinity;
  t.is(s.claims[0].reproduced, s.xiStar.testMedian > s.xiStar.trainMedian &&
    atInfinity(s.xiStar.testMedianCountingRejected) > atInfinity(s.xiStar.trainMedianCountingRejected));
  // Counting rejected batches as ξ* = ∞ can only raise a median.
  t.true(atInfinity(s.xiStar.trainMedianCountingRejected) >= s.xiStar.trainMedian);
  t.is(s.claims[1].reproduced, s.pof.testError <= s.sgd.testError);
  t.is(s.claims[2].reproduced, s.pof.topEigenClassifier < s.sgd.topEigenClassifier);
  t.is(s.claims[3].reproduced, s.pof.deltaL[4] < s.sgd.deltaL[4]);
  t.true(s.notes.some((n) => n.includes('Bayes-optimal')));
});

test('summary.md states each claim\'s verdict, and the figures are SVG files', async (t) => {
  const { out, summary, lines } = await study();
  const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
  t.true(md.includes(`| SGD | ${summary.sgd.trainLoss.toFixed(4)} |`));
  t.true(md.includes(`| SGD → PoF | ${summary.pof.trainLoss.toFixed(4)} |`));
  const verdicts = summary.claims.map((c) => (c.reproduced === null ? 'not measured' : c.reproduced ? '**reproduced**' : '**not reproduced**'));
  for (const [i, c] of summary.claims.entries()) t.true(md.includes(`| ${c.claim} |`) && md.includes(`| ${verdicts[i]} |`), c.claim);
  for (const name of ['xi-star', 'sgd-training', 'pof-training', 'delta-l', 'loss-1d', 'eigenvector-correlation']) {
    assertValidSvg(t, fs.readFileSync(path.join(out, 'figures', `${name}.svg`), 'utf8'));
  }
  t.true(lines[0].startsWith('SGD: 12 epochs'));
  t.true(lines.some((l) => l.startsWith('PoF: 3 epochs')));
});

test('medians of xi*: plain, and with rejected batches counted as +infinity', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
  t.is(medianCountingRejected([3, 1, 2], 0), 2);
  t.is(medianCountingRejected([3, 1, 2], 1), 2.5);
  t.is(medianCountingRejected([1], 2), Infinity);
});

test('bad options are named', async (t) => {
  await t.throwsAsync(reproduceToy({ out: '' }), { instanceOf: OptionError, message: /out must be a directory path/ });
  await t.throwsAsync(reproduceToy({ out: 'x', seeds: 2 } as never), { instanceOf: OptionError, message: /unknown option 'seeds'/ });
  await t.throwsAsync(reproduceToy({ out: 'x', pofEpochs: 0 }), { instanceOf: OptionError, message: /pofEpochs must be >= 1, got 0/ });
  await t.throwsAsync(reproduceToy({ out: 'x', featureReuse: 'yes' as never }), { instanceOf: OptionError, message: /featureReuse must be/ });
});

test('the CLI: reproduce toy --help documents the options; a bad --seed is an error', (t) => {
  const help = spawnSync(process.execPath, [CLI, 'reproduce', 'toy', '--help'], { encoding: 'utf8' });
  t.is(help.status, 0);
  t.regex(help.stdout, /usage: pof reproduce toy \[options\]/);
  t.regex(help.stdout, /--out VALUE .*\(required\)/);
  t.regex(help.stdout, /--seed VALUE .*\(default 0\)/);
  t.regex(help.stdout, /summary\.json/);
  const bad = spawnSync(process.execPath, [CLI, 'reproduce', 'toy', '--out', os.tmpdir(), '--seed', '1.5'], { encoding: 'utf8' });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--seed must be an integer, got '1.5'/);
  const noOut = spawnSync(process.execPath, [CLI, 'reproduce', 'toy'], { encoding: 'utf8' });
  t.is(noOut.status, 2);
  t.regex(noOut.stderr, /needs --out/);
});
