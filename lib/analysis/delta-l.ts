// Fig. 1c: for each weight layer l, the top eigenvector v_l of the layer's Hessian block on the
// training loss, and ΔL_l = L_test(w) − min over |t| ≤ T of L_test(w + t·v_l): how much test loss a
// move along the layer's sharpest training direction could still gain. The grid includes t = 0, so
// ΔL_l ≥ 0.
import { ImageSet } from '../data/types';
import { native } from '../addon';
import { checkKeys, integer, OptionError } from '../options';
import { PoFTrainer } from '../trainer';
import { hessianTopK } from './hessian';
import { lossAlongDirection } from './loss-along';
import { symmetricGrid } from './target';

/** Modules that own a weight matrix or kernel (≥ 2-D 'weight'), in state-dict order: the weight layers. */
export function weightLayers(trainer: PoFTrainer): string[] {
  if (!(trainer instanceof PoFTrainer)) throw new OptionError('weightLayers: expected a PoFTrainer');
  const all = native.analysis.parameterLayout(trainer.nativeModelForAnalysis, { subset: ['all'] });
  return all.names.flatMap((n, i) => (n.endsWith('.weight') && all.shapes[i].length >= 2 ? [n.slice(0, -'.weight'.length)] : []));
}

export interface DeltaLOptions {
  /** Layers (module prefixes; each with its bias). Default: every weight layer, input side first. */
  layers?: string[];
  /** T: the search runs over t in [−T, T] (default 1). */
  extent?: number;
  /** Grid points (default 41, odd so that t = 0 is on it). */
  points?: number;
  maxIterations?: number;
  seed?: number;
  chunkSize?: number;
}

export interface DeltaLResult {
  /** 1-based layer numbers (the x axis of plot.deltaLPerLayer). */
  layers: number[];
  names: string[];
  deltaL: number[];
  /** Top eigenvalue of each layer's Hessian block (training loss). */
  topEigenvalues: number[];
  /** The minimising t of each layer. */
  bestT: number[];
  testLoss: number;
}

export async function deltaLPerLayer(trainer: PoFTrainer, train: ImageSet, test: ImageSet, options: DeltaLOptions = {}): Promise<DeltaLResult> {
  const where = 'deltaLPerLayer';
  checkKeys(where, options, ['layers', 'extent', 'points', 'maxIterations', 'seed', 'chunkSize']);
  const names = options.layers ?? weightLayers(trainer);
  if (!Array.isArray(names) || names.length === 0) throw new OptionError(`${where}: layers must be a non-empty array of layer names`);
  const points = integer(where, 'points', options.points ?? 41, 3);
  const t = symmetricGrid(where, options.extent ?? 1, points % 2 === 1 ? points : points + 1);
  const out: DeltaLResult = { layers: [], names, deltaL: [], topEigenvalues: [], bestT: [], testLoss: NaN };
  for (const [i, layer] of names.entries()) {
    const top = await hessianTopK(trainer, train, {
      subset: layer, k: 1, maxIterations: options.maxIterations, seed: options.seed, chunkSize: options.chunkSize,
    });
    const [losses] = await lossAlongDirection(trainer, test, top.vectors, t, { subset: layer, chunkSize: options.chunkSize });
    const atZero = losses[(t.length - 1) / 2];
    let best = 0;
    losses.forEach((l, j) => { if (l < losses[best]) best = j; });
    out.layers.push(i + 1);
    out.deltaL.push(atZero - losses[best]);
    out.topEigenvalues.push(top.values[0]);
    out.bestT.push(t[best]);
    out.testLoss = atZero;
  }
  return out;
}
