// Per-mini-batch statistics over many random batches in one native call: loss, gradient norm,
// curvature along the gradient, projections onto directions, PoF's ξ*. Evaluation mode, no augmentation.
import { ImageSet } from '../data/types';
import { checkBatchFits } from '../data-fit';
import { ANALYSIS_DEFAULTS, checkNumber, resolveBatchSize, resolveLineSearch, RULES } from '../defaults';
import { native } from '../addon';
import { NativeVector } from '../native';
import { checkKeys } from '../options';
import { PoFTrainer } from '../trainer';
import { HESSIAN_DEFAULTS } from './hessian';
import { drawBatches, ParameterSubset, subsetSelectors, target } from './target';

export interface MiniBatchOptions {
  /** Number of mini-batches (default 400, as in the paper's Fig. 5). */
  batches?: number;
  /** Examples per batch (default 256, or the split's size when smaller; a larger one given is refused). */
  batchSize?: number;
  /** Seeds the batch draw: the same seed gives the same batches for every model (default 0). */
  seed?: number;
}

export interface MiniBatchRequest {
  subset?: ParameterSubset;
  curvature?: boolean;
  directions?: NativeVector[];
  lineSearch?: { initialStep?: number; maxStep?: number; partitions?: number };
}

export function batchLayout(where: string, data: ImageSet, options: MiniBatchOptions) {
  const size = data.shape[0];
  const d = ANALYSIS_DEFAULTS;
  const batchSize = Math.min(resolveBatchSize(where, options.batchSize, d.batchSize), size);
  // Only the default shrinks to the split: a batch size given must be drawable as given.
  if (options.batchSize !== undefined) checkBatchFits(where, data, 'the data', { batchSize: options.batchSize });
  const batches = checkNumber(where, 'batches', options.batches ?? d.batches, RULES.batches);
  return { batchSize, batches, indices: drawBatches(where, size, { batches, batchSize, seed: options.seed ?? d.seed }) };
}

export async function miniBatchStatistics(where: string, trainer: PoFTrainer, data: ImageSet, options: MiniBatchOptions,
  request: MiniBatchRequest) {
  checkKeys(where, options, ['batches', 'batchSize', 'seed']);
  const t = target(where, trainer, data);
  const layout = batchLayout(where, data, options);
  const lineSearch = request.lineSearch && resolveLineSearch(where, request.lineSearch);
  const stats = await t.run(() => native.analysis.miniBatchStats(t.model, t.data, layout.indices, layout.batchSize, {
    subset: subsetSelectors(where, request.subset ?? HESSIAN_DEFAULTS.subset),
    curvature: request.curvature ?? false, directions: request.directions, lineSearch,
  }));
  return { ...stats, batchSize: layout.batchSize };
}
