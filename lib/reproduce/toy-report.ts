// The toy study's report: DIR/figures/*.svg (Fig. 1c, 1d, 2a, 2b and training curves), then
// DIR/summary.json and the readable DIR/summary.md.
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint/atomic';
import { deltaLPerLayer, eigenvectorCorrelationCounts, histogram, lossAlongDirections, trainingCurves, writeFigure } from '../plot';
import { Analyses, Claim, FEATURE_REUSE_NOTE, ModelSummary, ToyMeasurements, ToySummary } from './toy-study';

/** Every figure of the study into `dir`. */
export async function writeToyFigures(dir: string, s: ToySummary, m: ToyMeasurements) {
  await writeFigures(dir, s, m);
  await writeAnalysisFigures(dir, m.analyses, s.seed);
}

/** summary.json and summary.md into `out`. */
export async function writeToySummary(out: string, s: ToySummary) {
  await writeFileAtomic(path.join(out, 'summary.json'), Buffer.from(JSON.stringify(s, null, 2) + '\n'));
  await writeFileAtomic(path.join(out, 'summary.md'), Buffer.from(summaryMarkdown(s)));
}

async function writeFigures(dir: string, s: ToySummary, m: ToyMeasurements) {
  const { xiTrain, xiTest, curves: { sgd, pof, control } } = m;
  const series = [{ name: 'training batches', values: xiTrain }, { name: 'test batches', values: xiTest }].filter((x) => x.values.length > 0);
  if (series.length > 0) {
    await writeFigure(dir, 'xi-star', histogram({
      title: 'ξ* of mini-batches after SGD (Fig. 2b)',
      subtitle: [`Distance to the nearest mini-batch loss minimum along −ĝ in classifier space, ${s.xiStar.batches} batches of ${s.xiStar.batchSize} each;`,
        `rejected (no minimum before sMax): training ${s.xiStar.trainRejected}, test ${s.xiStar.testRejected}. The paper: the test peak is about twice the training one.`],
      xLabel: 'ξ* (Euclidean distance in classifier parameter space)', series, valuesAre: 'mini-batches', bins: 25,
    }));
  }
  // Points are evaluations of the whole split after each epoch (not the library default's per-epoch means).
  const subtitle = 'The whole training and test splits evaluated after each epoch; error is the percentage misclassified.';
  const curves = (title: string, input: Parameters<typeof trainingCurves>[0]) => ({ ...trainingCurves(input), title: { text: title, subtitle } });
  await writeFigure(dir, 'sgd-training', curves(`SGD on the toy set (seed ${s.seed})`, {
    epochs: sgd.epoch,
    series: [
      { name: 'training loss', metric: 'loss', values: sgd.trainLoss },
      { name: 'training error', metric: 'error', values: sgd.trainError },
      { name: 'test error', metric: 'error', values: sgd.testError },
    ],
  }));
  await writeFigure(dir, 'pof-training', curves(`After SGD: PoF (γ = ${s.settings.pof.gamma}) vs the same steps with γ = 0 (seed ${s.seed})`, {
    epochs: pof.epoch,
    series: [
      { name: 'PoF: training loss at θ0', metric: 'loss', values: pof.trainLoss },
      { name: 'γ = 0: training loss', metric: 'loss', values: control.trainLoss },
      { name: 'PoF: test error', metric: 'error', values: pof.testError },
      { name: 'γ = 0: test error', metric: 'error', values: control.testError },
      { name: `Bayes-optimal test error`, metric: 'error', values: pof.epoch.map(() => s.bayesTestError) },
    ],
  }));
}

/** Fig. 1c (ΔL per layer), Fig. 1d (training loss along the top classifier eigenvectors), Fig. 2a (eigenvector counts). */
async function writeAnalysisFigures(dir: string, a: Analyses, seed: number) {
  const models = Object.keys(a) as (keyof Analyses)[];
  await writeFigure(dir, 'delta-l', deltaLPerLayer({
    layers: a.SGD.deltaL.map((_, i) => i + 1), series: models.map((name) => ({ name, deltaL: a[name].deltaL })),
  }));
  await writeFigure(dir, 'loss-1d', lossAlongDirections({ t: a.SGD.lossCurves.t, series: [...a.SGD.lossCurves.series, ...a.PoF.lossCurves.series] }));
  await writeFigure(dir, 'eigenvector-correlation', {
    ...eigenvectorCorrelationCounts({ counts: [...a.SGD.correlationCounts, ...a.PoF.correlationCounts] }), description: `toy study, seed ${seed}`,
  });
}

function summaryMarkdown(s: ToySummary): string {
  const row = (name: string, m: ModelSummary) =>
    `| ${name} | ${m.trainLoss.toFixed(4)} | ${m.trainError.toFixed(2)} | ${m.testLoss.toFixed(4)} | ${m.testError.toFixed(2)} |`;
  const verdict = (c: Claim) => (c.reproduced === null ? 'not measured' : c.reproduced ? '**reproduced**' : '**not reproduced**');
  const p = s.settings.pof, g = s.settings.sgd;
  return [
    `# Toy study: 5-layer MLP, SGD then PoF (seed ${s.seed})`,
    '',
    `Data: \`datasets.toy\` (seed ${s.seed}), ${s.settings.trainSize} training and ${s.settings.testSize} test examples, ` +
      `Bayes-optimal test error ${s.bayesTestError.toFixed(2)} %. Model: MLP ${s.settings.hidden.join('-')} + Linear classifier (5 weight layers).`,
    `SGD: ${g.epochs} epochs, batch ${g.batchSize}, lr ${g.lr} (×${g.factor} at ${g.milestones.map((m) => `${m * 100} %`).join(' and ')}), ` +
      `Nesterov ${g.momentum}, weight decay ${g.weightDecay}. PoF: ${p.epochs} epochs, lr ${p.lr}, γ = ${p.gamma}, batch ${p.batchSize}, ` +
      `weight decay ${p.weightDecay}, line search s0 = ${p.initialStep}, sMax = ${p.maxStep}, ${p.partitions} partitions` +
      `${s.featureReuse ? FEATURE_REUSE_NOTE : ''}.`,
    '',
    '| model | train loss | train error % | test loss | test error % |',
    '|---|---|---|---|---|',
    row('SGD', s.sgd), row('SGD → PoF', s.pof), row('SGD → same steps, γ = 0 (control)', s.control),
    '',
    '## The paper\'s claims on this run',
    '',
    '| claim | the paper | measured here | verdict |',
    '|---|---|---|---|',
    ...s.claims.map((c) => `| ${c.claim} | ${c.paper} | ${c.measured} | ${verdict(c)} |`),
    '',
    '## Notes',
    '',
    ...s.notes.map((n) => `- ${n}`),
    '',
    'Figures: `figures/xi-star.svg` (Fig. 2b), `figures/delta-l.svg` (Fig. 1c), `figures/loss-1d.svg` (Fig. 1d), ' +
      '`figures/eigenvector-correlation.svg` (Fig. 2a), `figures/sgd-training.svg`, `figures/pof-training.svg`.',
    '',
    `Wall time: ${s.seconds.toFixed(1)} s.`,
    '',
  ].join('\n');
}
