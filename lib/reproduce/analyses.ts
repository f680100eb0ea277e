// `pof analyze`: the paper's analyses of one model, each written as figures and gathered as JSON.
import * as path from 'path';
import {
  curvatureAlongGradient, curvatureHistogram, deltaLPerLayer, eigenvectorCorrelationCounts, hessianTopK, lossAlongTopEigenvectors,
  perturbationHistogram, perturbationSizes, xiStarDistribution, xiStarHistogram,
} from '../analysis';
import { subset } from '../data/subset';
import type { DatasetSplits } from '../data/types';
import * as plot from '../plot';
import type { PoFTrainer } from '../trainer';
import { median } from './xi-star';

export interface AnalysesOptions {
  out: string;
  k: number;
  hessianExamples: number;
  batches: number;
  /** Default: the analyses' own (256, or the split's size when smaller). */
  batchSize?: number;
  seed: number;
  log?: (line: string) => void;
}

/** null where there is nothing to take the median of (JSON has no NaN). */
const medianOrNull = (v: number[]) => (v.length ? median(v) : null);

export async function runAnalyses(trainer: PoFTrainer, data: DatasetSplits, analyses: string[], o: AnalysesOptions) {
  const figures = path.join(o.out, 'figures');
  const log = o.log ?? (() => undefined);
  const batches = { batches: o.batches, batchSize: o.batchSize, seed: o.seed };
  // The Hessian over a seeded subset of the training set: exact for that subset, affordable for big models.
  const hessianSet = subset(data.train, Math.min(o.hessianExamples, data.train.shape[0]), o.seed);
  const full: Record<string, unknown> = {};
  const summary: Record<string, unknown> = {};
  const timed = async (name: string, work: () => Promise<void>) => {
    const started = Date.now();
    await work();
    log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  for (const analysis of analyses) {
    switch (analysis) {
      case 'hessian': await timed(analysis, async () => {
        const e = await hessianTopK(trainer, hessianSet, { k: Math.min(o.k, trainer.model.classifierParameterCount), seed: o.seed });
        full.hessian = { examples: hessianSet.shape[0], eigenvalues: e.values, residuals: e.residuals, converged: e.converged };
        summary.topEigenClassifier = e.values[0];
      }); break;
      case 'curvature': await timed(analysis, async () => {
        const train = await curvatureAlongGradient(trainer, data.train, batches);
        const test = await curvatureAlongGradient(trainer, data.test, batches);
        full.curvature = { train: train.values, test: test.values };
        summary.curvatureMedian = { train: medianOrNull(train.values), test: medianOrNull(test.values) };
        await plot.writeFigure(figures, 'curvature', plot.histogram(curvatureHistogram([{ name: 'train', values: train.values }, { name: 'test', values: test.values }])));
      }); break;
      case 'xi': await timed(analysis, async () => {
        const train = await xiStarDistribution(trainer, data.train, batches);
        const test = await xiStarDistribution(trainer, data.test, batches);
        full.xiStar = { train: train.xi, test: test.xi, rejected: { train: train.rejected, test: test.rejected } };
        summary.xiStarMedian = { train: medianOrNull(train.xi), test: medianOrNull(test.xi) };
        const series = [{ name: 'train', values: train.xi }, { name: 'test', values: test.xi }].filter((s) => s.values.length > 0);
        if (series.length) await plot.writeFigure(figures, 'xi-star', plot.histogram(xiStarHistogram(series)));
      }); break;
      case 'perturbation': await timed(analysis, async () => {
        const sizes = await perturbationSizes(trainer, data.train, batches);
        full.perturbation = sizes;
        summary.perturbationMedian = { sgd: medianOrNull(sizes.sgd), sam: medianOrNull(sizes.sam), pof: medianOrNull(sizes.pof) };
        await plot.writeFigure(figures, 'perturbation', plot.histogram(perturbationHistogram(sizes)));
      }); break;
      case 'correlation': await timed(analysis, async () => {
        const c = await eigenvectorCorrelationCounts(trainer, hessianSet, { ...batches, k: o.k });
        full.correlation = c;
        summary.correlationTop1Share = c.winners.filter((w) => w === 1).length / c.winners.length;
        await plot.writeFigure(figures, 'eigenvector-correlation', plot.eigenvectorCorrelationCounts({ counts: c.counts }));
      }); break;
      case 'loss-1d': await timed(analysis, async () => {
        const curves = await lossAlongTopEigenvectors(trainer, hessianSet, { k: 3, seed: o.seed });
        full.loss1d = curves;
        await plot.writeFigure(figures, 'loss-1d', plot.lossAlongDirections({ t: curves.t, series: curves.series }));
      }); break;
      case 'delta-l': await timed(analysis, async () => {
        const d = await deltaLPerLayer(trainer, hessianSet, data.test, { seed: o.seed });
        full.deltaL = d;
        summary.deltaL = d.deltaL;
        await plot.writeFigure(figures, 'delta-l', plot.deltaLPerLayer({ layers: d.layers, series: [{ name: 'model', deltaL: d.deltaL }] }));
      }); break;
    }
  }
  return { full, summary };
}
