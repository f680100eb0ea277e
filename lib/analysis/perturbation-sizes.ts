// Fig. 6: sizes of the parameter moves each method makes in classifier space, per mini-batch:
//   PoF  ‖γ ξ*_B ĝ‖ = γ ξ*_B (PoF's line search; rejected batches make no move and are counted apart),
//   SAM  the classifier part of ε = ρ g/‖g‖ (g over all parameters): ρ ‖g_θ‖/‖g‖ ≤ ρ,
//   SGD  ‖η g_θ‖.
// All three on the same mini-batches, in evaluation mode.
import { ImageSet } from '../data/types';
import { ANALYSIS_DEFAULTS as A, checkNumber, RULES } from '../defaults';
import { checkKeys, OptionError, show } from '../options';
import { PoFTrainer } from '../trainer';
import { checkValues, histogramOptions } from './histogram-options';
import { MiniBatchOptions, miniBatchStatistics } from './mini-batches';
import { xiStarDistribution } from './xi-star';

export interface PerturbationOptions extends MiniBatchOptions {
  /** PoF's expansion factor (default 2). */
  gamma?: number;
  /** SAM's radius (default 0.05). */
  rho?: number;
  /** SGD learning rate η (default 1.6e-4, the paper's final rate 0.1·0.2⁴). */
  lr?: number;
  initialStep?: number;
  maxStep?: number;
  partitions?: number;
}

export async function perturbationSizes(trainer: PoFTrainer, data: ImageSet, options: PerturbationOptions = {}) {
  const where = 'perturbationSizes';
  checkKeys(where, options, ['batches', 'batchSize', 'seed', 'gamma', 'rho', 'lr', 'initialStep', 'maxStep', 'partitions']);
  const { gamma: g, rho: r, lr: l, initialStep, maxStep, partitions, ...batches } = options;
  const gamma = checkNumber(where, 'gamma', g ?? A.gamma, RULES.gamma);
  const rho = checkNumber(where, 'rho', r ?? A.rho, RULES.rho);
  const lr = checkNumber(where, 'lr', l ?? A.lr, RULES.lr);
  const classifier = await miniBatchStatistics(where, trainer, data, batches, { subset: 'classifier' });
  const all = await miniBatchStatistics(where, trainer, data, batches, { subset: 'all' });
  const xi = await xiStarDistribution(trainer, data, { ...batches, initialStep, maxStep, partitions });
  return {
    pof: xi.xi.map((x) => gamma * x),
    pofRejected: xi.rejected,
    sam: classifier.gradNorm.map((gn, b) => (all.gradNorm[b] > 0 ? (rho * gn) / all.gradNorm[b] : 0)),
    sgd: classifier.gradNorm.map((gn) => lr * gn),
    batchSize: classifier.batchSize,
  };
}

/** The input of plot.histogram for Fig. 6 (log x axis: the sizes span orders of magnitude). */
export function perturbationHistogram(sizes: { pof: number[]; sam: number[]; sgd: number[] }, options: { bins?: number } = {}) {
  const where = 'perturbationHistogram';
  const { bins } = histogramOptions(where, options, 40);
  if (typeof sizes !== 'object' || sizes === null) throw new OptionError(`${where}: sizes must be what perturbationSizes returns, got ${show(sizes)}`);
  for (const key of ['sgd', 'sam', 'pof'] as const) checkValues(where, `sizes.${key}`, sizes[key]);
  const series = [{ name: 'SGD ‖η g‖', values: sizes.sgd }, { name: 'SAM ‖ε‖', values: sizes.sam }, { name: 'PoF ‖γ ξ* ĝ‖', values: sizes.pof }]
    .filter((s) => s.values.some((v) => v > 0))
    .map((s) => ({ ...s, values: s.values.filter((v) => v > 0) }));
  if (series.length === 0) throw new OptionError('perturbationHistogram: every size is zero; nothing to plot on a log axis');
  return {
    title: 'Perturbation sizes in classifier space',
    subtitle: 'Per mini-batch: PoF γ·ξ* along −ĝ, SAM\u2019s ε restricted to the classifier, a plain SGD step η·g.',
    xLabel: 'distance moved in classifier parameters (L2 norm)',
    series,
    bins,
    logX: true,
    valuesAre: 'mini-batches',
  };
}
