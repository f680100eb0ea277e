// 1-D loss landscapes: the loss at w + t·v along directions v of a parameter subset (Fig. 1d), the
// weights restored bit for bit afterwards.
import { ImageSet } from '../data/types';
import { native } from '../addon';
import { NativeVector } from '../native';
import { checkNumber, LIMITS, RULES } from '../defaults';
import { checkKeys, integer, OptionError, show } from '../options';
import { checkFinite } from './finite';
import { checkTypedArrayOf, VECTOR_KINDS } from '../typed-array';
import { PoFTrainer } from '../trainer';
import { hessianTopK, subsetArgs, SubsetOptions } from './hessian';
import { symmetricGrid, target } from './target';

/** Loss L(w + t·v) for every direction (rows) and step t (columns). Directions are flat over the subset. */
export async function lossAlongDirection(trainer: PoFTrainer, data: ImageSet, directions: NativeVector[], t: number[],
  options: SubsetOptions = {}): Promise<number[][]> {
  const where = 'lossAlongDirection';
  checkKeys(where, options, ['subset', 'indices', 'chunkSize']);
  if (!Array.isArray(directions) || directions.length === 0) {
    throw new OptionError(`${where}: directions must be a non-empty array of Float32Array/Float64Array vectors over the subset`);
  }
  directions.forEach((d, i) => checkFinite(where, `directions[${i}]`, checkTypedArrayOf<NativeVector>(where, `directions[${i}]`, d, VECTOR_KINDS)));
  if (!Array.isArray(t) || t.length === 0) throw new OptionError(`${where}: t must be a non-empty array of steps`);
  // Each (direction, step) pair is a pass over the data: a runaway grid would run for days.
  if (directions.length * t.length > LIMITS.gridPoints) {
    throw new OptionError(`${where}: ${directions.length} directions x ${t.length} steps is ${directions.length * t.length} passes over ` +
      `the data; at most ${LIMITS.gridPoints} are taken`);
  }
  // The weights are float32: w + t·v with a larger t is infinite there, and the loss NaN.
  t.forEach((s, i) => checkNumber(where, `t[${i}]`, s, RULES.t));
  const tg = target(where, trainer, data);
  const a = subsetArgs(where, data, options);
  return tg.run(() => native.analysis.lossAlong(tg.model, tg.data, a.indices, directions, t, a.native));
}

export interface LossAlongTopEigenvectorsOptions {
  /** Eigenvectors of the classifier Hessian (training loss) to follow. Default 3. */
  k?: number;
  /** The grid runs over t in [−extent, extent] (default 1, the paper's Fig. 1d axis). */
  extent?: number;
  /** Grid points (default 41). */
  points?: number;
  /** Series name in the figure (default 'model'). */
  name?: string;
  maxIterations?: number;
  seed?: number;
  chunkSize?: number;
}

/**
 * Fig. 1d: training loss along the top-k eigenvectors of the classifier's Hessian block. Returns the
 * input of plot.lossAlongDirections (concatenate the `series` of several models for one figure).
 */
export async function lossAlongTopEigenvectors(trainer: PoFTrainer, train: ImageSet, options: LossAlongTopEigenvectorsOptions = {}) {
  const where = 'lossAlongTopEigenvectors';
  checkKeys(where, options, ['k', 'extent', 'points', 'name', 'maxIterations', 'seed', 'chunkSize']);
  const k = integer(where, 'k', options.k ?? 3, 1);
  const t = symmetricGrid(where, options.extent ?? 1, options.points ?? 41);
  const name = options.name ?? 'model';
  if (typeof name !== 'string') throw new OptionError(`${where}: name must be a string (the series' name in the figure), got ${show(name)}`);
  const eigen = await hessianTopK(trainer, train, {
    subset: 'classifier', k, maxIterations: options.maxIterations, seed: options.seed, chunkSize: options.chunkSize,
  });
  const losses = await lossAlongDirection(trainer, train, eigen.vectors, t, { subset: 'classifier', chunkSize: options.chunkSize });
  return {
    t,
    series: losses.map((loss, i) => ({ name, direction: `v${i + 1}`, loss })),
    eigenvalues: eigen.values,
  };
}
