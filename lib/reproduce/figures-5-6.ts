// `pof reproduce fig5` and `fig6`: from a SAM model and its PoF successor.
//   Fig. 5: histograms over mini-batches of the curvature ĝᵀ H_B ĝ along the mini-batch gradient, in
//           classifier space, on training and test batches: SAM model vs PoF model.
//   Fig. 6: histograms of the perturbation sizes in classifier space at the SAM model (the point PoF
//           starts from): PoF's γ ξ* ĝ, SAM's ε (classifier part), an SGD step η g.
import { writeFileAtomic } from '../checkpoint/atomic';
import * as path from 'path';
import { curvatureAlongGradient, curvatureHistogram, perturbationHistogram, perturbationSizes } from '../analysis';
import type { DatasetSplits } from '../data/types';
import { ANALYSIS_DEFAULTS as A } from '../defaults';
import { histogram, writeFigure } from '../plot';
import type { PoFTrainer } from '../trainer';
import { median } from './xi-star';
import { makeDirectory } from '../make-directory';

export interface FigureOptions {
  data: DatasetSplits;
  out: string;
  /** Mini-batches per histogram (the paper: 400) and their size. */
  batches?: number;
  batchSize?: number;
  seed?: number;
  log?: (line: string) => void;
}

export async function reproduceFig5(sam: PoFTrainer, pof: PoFTrainer, options: FigureOptions) {
  const batches = { batches: options.batches ?? A.batches, batchSize: options.batchSize, seed: options.seed ?? A.seed };
  const result: Record<string, Record<string, { median: number; values: number[] }>> = {};
  const batchSize: Record<string, number> = {};  // per split: the default shrinks to a split smaller than 256
  for (const [split, data] of [['train', options.data.train], ['test', options.data.test]] as const) {
    result[split] = {};
    for (const [name, trainer] of [['SAM', sam], ['PoF', pof]] as const) {
      const c = await curvatureAlongGradient(trainer, data, batches); // the same batches for both models
      batchSize[split] = c.batchSize;
      result[split][name] = { median: median(c.values), values: c.values };
      options.log?.(`fig5 ${split} ${name}: median curvature ${result[split][name].median.toPrecision(4)} over ${c.values.length} batches`);
    }
    const series = Object.entries(result[split]).map(([name, r]) => ({ name, values: r.values }));
    await writeFigure(path.join(options.out, 'figures'), `fig5-${split}`, histogram(curvatureHistogram(series, { split: `${split} batches` })));
  }
  const summary = {
    batches: batches.batches, batchSize,
    medians: Object.fromEntries(Object.entries(result).map(([split, r]) => [split, { sam: r.SAM.median, pof: r.PoF.median, pofOverSam: r.PoF.median / r.SAM.median }])),
    values: result,
  };
  makeDirectory(options.out, `cannot create the output directory ${options.out}`);
  await writeFileAtomic(path.join(options.out, 'fig5.json'), Buffer.from(JSON.stringify(summary, null, 2) + '\n'));
  return summary;
}

export async function reproduceFig6(sam: PoFTrainer, options: FigureOptions & { gamma?: number; rho?: number; lr?: number }) {
  const sizes = await perturbationSizes(sam, options.data.train, {
    batches: options.batches ?? A.batches, batchSize: options.batchSize, seed: options.seed ?? A.seed,
    gamma: options.gamma, rho: options.rho, lr: options.lr,
  });
  await writeFigure(path.join(options.out, 'figures'), 'fig6', histogram(perturbationHistogram(sizes)));
  const summary = {
    batchSize: sizes.batchSize, pofRejected: sizes.pofRejected,
    medians: { sgd: median(sizes.sgd), sam: median(sizes.sam), pof: sizes.pof.length ? median(sizes.pof) : null },
    values: { sgd: sizes.sgd, sam: sizes.sam, pof: sizes.pof },
  };
  options.log?.(`fig6 medians: SGD ${summary.medians.sgd.toPrecision(3)}, SAM ${summary.medians.sam.toPrecision(3)}, ` +
    `PoF ${summary.medians.pof?.toPrecision(3) ?? 'none (every batch rejected)'}`);
  makeDirectory(options.out, `cannot create the output directory ${options.out}`);
  await writeFileAtomic(path.join(options.out, 'fig6.json'), Buffer.from(JSON.stringify(summary, null, 2) + '\n'));
  return summary;
}
