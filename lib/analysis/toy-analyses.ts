// The Hessian analyses of the paper's toy study (Fig. 1c, 1d, 2a) for one trained model, in one call
// whose results plug into lib/plot: ΔL per layer, the training loss along the classifier's top
// eigenvectors, and which eigenvector the mini-batch gradients follow.
import { ImageSet } from '../data/types';
import { checkKeys, integer } from '../options';
import { PoFTrainer } from '../trainer';
import { deltaLPerLayer } from './delta-l';
import { eigenvectorCorrelationCounts } from './eigenvector-correlation';
import { lossAlongTopEigenvectors } from './loss-along';

export interface ToyAnalysesOptions {
  /** The model's name in figure series (e.g. 'SGD', 'PoF'). Default 'model'. */
  name?: string;
  /** Mini-batches for the eigenvector correlation counts (default 200) and their size (default 32, or the training set's size when smaller). */
  batches?: number;
  batchSize?: number;
  /** Half-width T of the 1-D searches and plots (default 1) and grid points (default 41). */
  extent?: number;
  points?: number;
  /** Classifier eigenvectors in the 1-D loss plot (default 3). */
  curves?: number;
  seed?: number;
}

export interface ToyAnalyses {
  /** Largest eigenvalue of the classifier's Hessian block, training loss. */
  topEigenClassifier: number;
  /** ΔL per weight layer (input side first; the last is the classifier), with the layers' names. */
  deltaL: number[];
  deltaLLayers: string[];
  /** Top eigenvalue of each layer's Hessian block. */
  layerTopEigenvalues: number[];
  /** plot.lossAlongDirections input (series named `name`). */
  lossCurves: { t: number[]; series: { name: string; direction: string; loss: number[] }[] };
  /** plot.eigenvectorCorrelationCounts input (named `name`). */
  correlationCounts: { name?: string; index: number; count: number }[];
  seconds: number;
}

export async function toyAnalyses(trainer: PoFTrainer, train: ImageSet, test: ImageSet, options: ToyAnalysesOptions = {}): Promise<ToyAnalyses> {
  const where = 'toyAnalyses';
  checkKeys(where, options, ['name', 'batches', 'batchSize', 'extent', 'points', 'curves', 'seed']);
  const started = Date.now();
  const name = options.name ?? 'model';
  const seed = integer(where, 'seed', options.seed ?? 0, 0);
  const grid = { extent: options.extent ?? 1, points: options.points ?? 41 };
  const delta = await deltaLPerLayer(trainer, train, test, { ...grid, seed });
  const curves = await lossAlongTopEigenvectors(trainer, train, { ...grid, k: options.curves ?? 3, name, seed });
  const correlation = await eigenvectorCorrelationCounts(trainer, train, {
    k: 10, name, seed, batches: options.batches ?? 200, batchSize: options.batchSize ?? Math.min(32, train.shape[0]),
  });
  return {
    topEigenClassifier: curves.eigenvalues[0],
    deltaL: delta.deltaL,
    deltaLLayers: delta.names,
    layerTopEigenvalues: delta.topEigenvalues,
    lossCurves: { t: curves.t, series: curves.series },
    correlationCounts: correlation.counts,
    seconds: (Date.now() - started) / 1000,
  };
}
