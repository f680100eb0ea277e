// Fig. 5: the curvature of the mini-batch loss along its own normalised gradient, ĝᵀ H_B ĝ with
// ĝ = g_B/‖g_B‖, in classifier space: the paper's cheap estimate of the top Hessian eigenvalue
// (mini-batch gradients mostly follow the top eigenvector, Fig. 2a).
import { ImageSet } from '../data/types';
import { checkKeys } from '../options';
import { PoFTrainer } from '../trainer';
import { checkSeries, histogramOptions } from './histogram-options';
import { MiniBatchOptions, miniBatchStatistics } from './mini-batches';
import { ParameterSubset } from './target';

export interface CurvatureOptions extends MiniBatchOptions {
  /** Default 'classifier'. */
  subset?: ParameterSubset;
}

/** ĝᵀ H_B ĝ, the loss L_B and ‖g_B‖ for each of `batches` random mini-batches of `data`. */
export async function curvatureAlongGradient(trainer: PoFTrainer, data: ImageSet, options: CurvatureOptions = {}):
  Promise<{ values: number[]; losses: number[]; gradNorms: number[]; batchSize: number }> {
  const where = 'curvatureAlongGradient';
  checkKeys(where, options, ['batches', 'batchSize', 'seed', 'subset']);
  const { subset, ...batches } = options;
  const s = await miniBatchStatistics(where, trainer, data, batches, { subset, curvature: true });
  return { values: s.curvature!, losses: s.loss, gradNorms: s.gradNorm, batchSize: s.batchSize };
}

/** The input of plot.histogram for Fig. 5: series such as 'SAM, train', 'PoF, train'. */
export function curvatureHistogram(series: { name: string; values: number[] }[], options: { split?: string; bins?: number } = {}) {
  checkSeries('curvatureHistogram', series);
  const { bins, split } = histogramOptions('curvatureHistogram', options, 30, ['split']);
  return {
    title: `Curvature along the mini-batch gradient${split ? ` (${split})` : ''}`,
    subtitle: ['ĝᵀ H_B ĝ in classifier space, ĝ = ∂L_B/∂θ normalised, one value per mini-batch B:',
      'an estimate of the top eigenvalue of the classifier Hessian. Smaller: flatter.'],
    xLabel: 'curvature ĝᵀ H_B ĝ (nats per unit parameter distance²)',
    series,
    bins,
    valuesAre: 'mini-batches',
  };
}
