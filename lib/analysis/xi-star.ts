// Fig. 2b: the distribution of ξ*_B, PoF's distance to the nearest mini-batch minimum along −ĝ in
// classifier space, over many mini-batches (training vs test batches). One native call for all
// batches; features in evaluation mode.
import { ImageSet } from '../data/types';
import { NativeVector } from '../native';
import { checkKeys, OptionError } from '../options';
import { checkSeries, histogramOptions } from './histogram-options';
import { PoFTrainer } from '../trainer';
import { parameterLayout } from './hessian';
import { MiniBatchOptions, miniBatchStatistics } from './mini-batches';

/** The classifier size xiStarWithDirections takes: its axes are a size × size float64 matrix (128 MiB at this size). */
const MAX_DIRECTIONS_SIZE = 4096;

export interface XiStarOptions extends MiniBatchOptions {
  /** The line search's first step s0, bracket limit sMax and grid partitions P (defaults 1, 100, 16). */
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
}

/** Every batch's statistics with its line search; `directions` adds the classifier gradient's projections. */
async function xiStarPerBatch(where: string, trainer: PoFTrainer, data: ImageSet, options: XiStarOptions, directions?: NativeVector[]) {
  checkKeys(where, options, ['batches', 'batchSize', 'seed', 'initialStep', 'maxStep', 'partitions']);
  const { initialStep, maxStep, partitions, ...batches } = options;
  const s = await miniBatchStatistics(where, trainer, data, batches, { subset: 'classifier', directions, lineSearch: { initialStep, maxStep, partitions } });
  const accepted = s.rejected!.flatMap((r, b) => (r ? [] : [b]));
  return { ...s, accepted, xi: accepted.map((b) => s.xi![b]), rejected: s.rejected!.length - accepted.length };
}

/** ξ* of every accepted batch, in batch order, and how many batches the line search rejected. */
export async function xiStarDistribution(trainer: PoFTrainer, data: ImageSet, options: XiStarOptions = {}):
  Promise<{ xi: number[]; rejected: number; batchSize: number }> {
  const { xi, rejected, batchSize } = await xiStarPerBatch('xiStarDistribution', trainer, data, options);
  return { xi, rejected, batchSize };
}

/**
 * As xiStarDistribution (the same batches for the same options), with each accepted batch's unit
 * gradient ĝ_B, flat over the classifier in state-dict order: PoF's perturbation there is −γ ξ*_B ĝ_B.
 * Holds a classifier-size square matrix: meant for small classifiers such as the toy study's.
 */
export async function xiStarWithDirections(trainer: PoFTrainer, data: ImageSet, options: XiStarOptions = {}):
  Promise<{ xi: number[]; directions: Float64Array[]; rejected: number; batchSize: number }> {
  const where = 'xiStarWithDirections';
  const size = parameterLayout(trainer, 'classifier').size;
  if (size > MAX_DIRECTIONS_SIZE) {
    throw new OptionError(`${where}: the classifier has ${size} parameters; this analysis holds a square matrix of that size and takes ` +
      `at most ${MAX_DIRECTIONS_SIZE} (use xiStarDistribution for the ξ* values alone)`);
  }
  // Projections onto the coordinate axes are g_B itself: every batch's gradient from the same native call.
  const axes = Array.from({ length: size }, (_, i) => Float64Array.from({ length: size }, (_, k) => (k === i ? 1 : 0)));
  const s = await xiStarPerBatch(where, trainer, data, options, axes);
  const directions = s.accepted.map((b) => Float64Array.from(s.projections![b], (g) => g / s.gradNorm[b]));
  return { xi: s.xi, directions, rejected: s.rejected, batchSize: s.batchSize };
}

/** The input of plot.histogram for Fig. 2b. */
export function xiStarHistogram(series: { name: string; values: number[] }[], options: { bins?: number } = {}) {
  checkSeries('xiStarHistogram', series);
  const { bins } = histogramOptions('xiStarHistogram', options, 30);
  return {
    title: 'Distance to the mini-batch minimum along the gradient',
    subtitle: ['ξ*_B = argmin over ξ ≥ 0 of L_B(θ0 − ξ ĝ), one value per mini-batch B (classifier space).',
      'The paper finds test batches\u2019 ξ* about twice the training ones: hence γ ≈ 2.'],
    xLabel: 'ξ* (classifier parameter distance, L2)',
    series,
    bins,
    valuesAre: 'mini-batches',
  };
}
