// A study's files: study.json (everything measured), study.md (tables a person reads, with the verdict)
// and figures/study.svg (test error per arm and seed, and ξ* per epoch).
import * as path from 'path';
import { writeFileAtomic } from '../checkpoint/atomic';
import { makeDirectory } from '../make-directory';
import { writeFigure } from '../plot';
import type { TopLevelSpec } from '../plot';
import { ARM_NAMES, type StudyResult } from './study';
import type { MeanInterval } from './statistics';

const interval = (m: MeanInterval, digits = 2) =>
  (Number.isFinite(m.mean) ? `${m.mean.toFixed(digits)} (${m.low.toFixed(digits)} to ${m.high.toFixed(digits)})` : '–');

/** study.md: settings, the arms with their 95 % intervals, the paired comparisons and the verdict. */
export function studyMarkdown(r: StudyResult, title: string): string {
  const s = r.settings;
  const lines = [
    `# ${title}`, '',
    `${s.seeds} seeds × ${s.arms.length} arms, ${s.epochs} epochs each at lr ${s.lr}, batch ${s.batchSize}, momentum ${s.momentum}, ` +
      `weight decay ${s.weightDecay}; PoF γ = ${s.gamma} (${s.gammaMode}). Every arm starts from the same trained weights and runs ` +
      `the same seeds on the same ${r.testExamples} test examples. Before post-training: test error ${r.base.error.toFixed(2)} %` +
      (r.base.perSeed ? ` (the mean of ${r.base.perSeed.length} bases, one per seed: ${r.base.perSeed.map((b) => b.error.toFixed(2)).join(', ')} %).` : '.'), '',
    '| arm | test error % (mean, 95 % CI) | top classifier eigenvalue (mean, 95 % CI) |', '|---|---|---|',
    ...r.arms.map((a) => `| ${ARM_NAMES[a.arm]} | ${interval(a.error)} | ${interval(a.eigenvalue, 3)} |`), '',
    '| PoF vs | Δ error pp (PoF − control) | 95 % CI (bootstrap over seeds and examples) | right under PoF only / control only | McNemar p |',
    '|---|---|---|---|---|',
    ...r.comparisons.map((c) => `| ${ARM_NAMES[c.control]} | ${c.difference.difference.toFixed(2)} | ${c.difference.low.toFixed(2)} to ` +
      `${c.difference.high.toFixed(2)} | ${c.onlyPoF} / ${c.onlyControl} | ${c.p.toPrecision(2)} |`), '',
    '**Verdict.**', '', ...r.verdict.split('\n').map((v) => `- ${v}`), '',
    '## Per seed', '', '| seed | arm | test error % | eigenvalue | ξ* per epoch |', '|---|---|---|---|---|',
    ...r.runs.map((run) => `| ${run.seed} | ${ARM_NAMES[run.arm]} | ${run.error.toFixed(2)} | ${Number.isFinite(run.eigenvalue) ? run.eigenvalue.toFixed(3) : '–'} | ` +
      `${run.epochs.some((e) => e.xi !== undefined) ? run.epochs.map((e) => e.xi!.toPrecision(3)).join(', ') : '–'} |`),
    '',
  ];
  return lines.join('\n');
}

/** Test error per seed and arm (points), and ξ* over the epochs of the arms that search for it (lines). */
export function studyFigure(r: StudyResult): TopLevelSpec {
  const errors = r.runs.map((run) => ({ arm: ARM_NAMES[run.arm], seed: run.seed, error: run.error }));
  const xi = r.runs.flatMap((run) => run.epochs.filter((e) => e.xi !== undefined)
    .map((e) => ({ arm: ARM_NAMES[run.arm], series: `${ARM_NAMES[run.arm]}, seed ${run.seed}`, epoch: e.epoch, xi: e.xi })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    hconcat: [
      { title: 'test error per arm and seed', data: { values: errors }, mark: { type: 'point', filled: true },
        encoding: { x: { field: 'arm', type: 'nominal', title: null }, y: { field: 'error', type: 'quantitative', title: 'test error (%)', scale: { zero: false } },
          color: { field: 'seed', type: 'nominal' } } },
      { title: 'ξ* per epoch', data: { values: xi }, mark: 'line',
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'xi', type: 'quantitative', title: 'ξ*' },
          color: { field: 'arm', type: 'nominal' }, detail: { field: 'series' } } },
    ],
  } as TopLevelSpec;
}

/** Writes study.json, study.md and figures/study.svg (+ PNG where a rasteriser is there) into `dir`. */
export async function writeStudy(dir: string, r: StudyResult, title: string): Promise<string[]> {
  makeDirectory(dir, `cannot create the study directory ${dir}`);
  const json = path.join(dir, 'study.json');
  const md = path.join(dir, 'study.md');
  await writeFileAtomic(json, Buffer.from(JSON.stringify(r, null, 2) + '\n'));
  await writeFileAtomic(md, Buffer.from(studyMarkdown(r, title)));
  const figure = await writeFigure(path.join(dir, 'figures'), 'study', studyFigure(r));
  return [json, md, figure.svg, ...(figure.png ? [figure.png] : [])];
}
