// Fig. 2a: which of the top-k classifier-Hessian eigenvectors (training loss) each mini-batch
// gradient is most aligned with: argmax_i |v_iᵀ ∂L_B/∂θ|, counted over many mini-batches.
import { ImageSet } from '../data/types';
import { checkKeys, integer } from '../options';
import { PoFTrainer } from '../trainer';
import { hessianTopK } from './hessian';
import { MiniBatchOptions, miniBatchStatistics } from './mini-batches';

export interface CorrelationOptions extends MiniBatchOptions {
  /** Eigenvectors to compare against (default 10, as in the paper). */
  k?: number;
  /** Series name in the figure (omit for a single model). */
  name?: string;
  maxIterations?: number;
  chunkSize?: number;
}

/**
 * Eigenvectors from the Hessian of the loss over all of `train`; mini-batches drawn from `train`.
 * `counts` is the input of plot.eigenvectorCorrelationCounts (indices 1..k, 1 = largest eigenvalue).
 */
export async function eigenvectorCorrelationCounts(trainer: PoFTrainer, train: ImageSet, options: CorrelationOptions = {}) {
  const where = 'eigenvectorCorrelationCounts';
  checkKeys(where, options, ['batches', 'batchSize', 'seed', 'k', 'name', 'maxIterations', 'chunkSize']);
  const { k: kOption, name, maxIterations, chunkSize, ...batches } = options;
  const k = integer(where, 'k', kOption ?? 10, 1);
  const eigen = await hessianTopK(trainer, train, { subset: 'classifier', k, maxIterations, chunkSize, seed: batches.seed });
  const s = await miniBatchStatistics(where, trainer, train, batches, { subset: 'classifier', directions: eigen.vectors });
  const winners = s.projections!.map((p) => {
    let best = 0;
    p.forEach((v, i) => { if (Math.abs(v) > Math.abs(p[best])) best = i; });
    return best + 1;
  });
  const counts = Array.from({ length: k }, (_, i) => ({
    ...(name === undefined ? {} : { name }), index: i + 1, count: winners.filter((w) => w === i + 1).length,
  }));
  return { counts, winners, eigenvalues: eigen.values, converged: eigen.converged, batchSize: s.batchSize };
}
