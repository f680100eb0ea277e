// What every Hessian analysis starts from: a trainer's native model, a split resident on its device,
// the examples to use and the parameter subset, each validated with an error that says what to pass.
import { checkIndices } from '../data-fit';
import { ImageSet } from '../data/types';
import { Random } from '../data/random';
import { NativeDataset, NativeModel } from '../native';
import { checkNumber, LIMITS, RULES } from '../defaults';
import { integer, OptionError } from '../options';
import { PoFTrainer } from '../trainer';

/**
 * Which parameters an analysis differentiates: 'classifier', 'features', 'all', a layer (a module
 * prefix such as 'layers.3' or 'classifiers.0'), a parameter name ('layers.3.weight'), or a list of
 * these (their union). Names are those of the state dict.
 */
export type ParameterSubset = string | string[];

export function subsetSelectors(where: string, subset: unknown): string[] {
  const list = typeof subset === 'string' ? [subset] : subset;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new OptionError(`${where}: subset must be 'classifier', 'features', 'all', a layer such as 'layers.3', ` +
      `a parameter name, or a non-empty list of these; got ${JSON.stringify(subset)}`);
  }
  return list as string[];
}

export interface Target {
  model: NativeModel;
  data: NativeDataset;
  /** Runs the native work as the trainer's evaluate does: refused (BusyError) while the model is in use. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function target(where: string, trainer: PoFTrainer, data: ImageSet): Target {
  if (!(trainer instanceof PoFTrainer)) throw new OptionError(`${where}: expected a PoFTrainer as the first argument`);
  return { model: trainer.nativeModelForAnalysis, data: trainer.resident(data, where), run: (work) => trainer.analyze(where, work) };
}

/** The given indices (checked) or every example of `data`. */
export function exampleIndices(where: string, data: ImageSet, indices: unknown): Int32Array {
  const n = data.shape[0];
  if (indices === undefined) return Int32Array.from({ length: n }, (_, i) => i);
  return checkIndices(where, 'indices', indices, n);
}

/**
 * `batches` mini-batches of `batchSize` distinct examples each (a fresh random subset per batch),
 * concatenated: the layout the native per-batch statistics take. Seeded.
 */
export function drawBatches(where: string, size: number, options: { batches: number; batchSize: number; seed: number }): Int32Array {
  const batches = checkNumber(where, 'batches', options.batches, RULES.batches);
  const batchSize = integer(where, 'batchSize', options.batchSize, 1);
  if (batchSize > size) throw new OptionError(`${where}: batchSize (${batchSize}) must not exceed the ${size} examples`);
  if (batches * batchSize > LIMITS.drawnExamples) {
    throw new OptionError(`${where}: batches × batchSize must be at most ${LIMITS.drawnExamples} examples drawn (the batches' indices ` +
      `are held at once), got ${batches} × ${batchSize}`);
  }
  const random = new Random(integer(where, 'seed', options.seed, 0), 7);
  const pool = Int32Array.from({ length: size }, (_, i) => i);
  const out = new Int32Array(batches * batchSize);
  for (let b = 0; b < batches; b += 1) {
    // Partial Fisher–Yates: the first batchSize entries of the pool become a uniform random subset.
    for (let i = 0; i < batchSize; i += 1) {
      const j = i + random.below(size - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      out[b * batchSize + i] = pool[i];
    }
  }
  return out;
}

/** Evenly spaced points from -extent to extent (an odd count includes 0). */
export function symmetricGrid(where: string, extent: number, points: number): number[] {
  checkNumber(where, 'extent', extent, RULES.extent);
  const n = checkNumber(where, 'points', points, RULES.points);
  // extent·(2i − (n−1))/(n−1): the middle point of an odd grid is exactly 0.
  return Array.from({ length: n }, (_, i) => (extent * (2 * i - (n - 1))) / (n - 1));
}
