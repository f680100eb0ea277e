// Fig. 2b: the distribution of ξ*_B, PoF's distance to the nearest mini-batch minimum along −ĝ in
// classifier space, over many mini-batches (training vs test batches). One native call for all
// batches; features in evaluation mode.
import { ImageSet } from '../data/types';
import { checkKeys, OptionError } from '../options';
import { PoFTrainer } from '../trainer';
import { MiniBatchOptions, miniBatchStatistics } from './mini-batches';

export interface XiStarOptions extends MiniBatchOptions {
  /** The line search's first step s0, bracket limit sMax and grid partitions P (defaults 1, 100, 16). */
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
}

/** ξ* of every accepted batch, in batch order, and how many batches the line search rejected. */
export async function xiStarDistribution(trainer: PoFTrainer, data: ImageSet, options: XiStarOptions = {}):
  Promise<{ xi: number[]; rejected: number; batchSize: number }> {
  const where = 'xiStarDistribution';
  checkKeys(where, options, ['batches', 'batchSize', 'seed', 'initialStep', 'maxStep', 'partitions']);
  const { initialStep, maxStep, partitions, ...batches } = options;
  const s = await miniBatchStatistics(where, trainer, data, batches, { subset: 'classifier', lineSearch: { initialStep, maxStep, partitions } });
  return { xi: s.xi!.filter((_, b) => !s.rejected![b]), rejected: s.rejected!.filter((r) => r).length, batchSize: s.batchSize };
}

/** The input of plot.histogram for Fig. 2b. */
export function xiStarHistogram(series: { name: string; values: number[] }[], options: { bins?: number } = {}) {
  if (!Array.isArray(series) || series.length === 0) throw new OptionError('xiStarHistogram: series must be a non-empty array');
  return {
    title: 'Distance to the mini-batch minimum along the gradient',
    subtitle: ['ξ*_B = argmin over ξ ≥ 0 of L_B(θ0 − ξ ĝ), one value per mini-batch B (classifier space).',
      'The paper finds test batches\u2019 ξ* about twice the training ones: hence γ ≈ 2.'],
    xLabel: 'ξ* (classifier parameter distance, L2)',
    series,
    bins: options.bins ?? 30,
    valuesAre: 'mini-batches',
  };
}
