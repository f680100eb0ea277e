// A seeded split of one in-memory set into two (training and held-out validation examples), for data that
// comes without a test split of its own.
import { Random } from './random';
import { pickExamples } from './subset';
import type { ArraySet } from './types';

/** `held` examples of `data` drawn by `seed` as one set, the rest as the other, each in the original order. */
export function holdOut(data: ArraySet, held: number, seed: number): { rest: ArraySet; held: ArraySet } {
  const total = data.shape[0];
  const order = Int32Array.from({ length: total }, (_, i) => i);
  const random = new Random(seed);
  // Partial Fisher–Yates: the first `held` slots of a seeded permutation.
  for (let i = 0; i < held; i += 1) {
    const j = i + random.below(total - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return {
    held: pickExamples(data, order.slice(0, held).sort(), `${data.name} (held out)`),
    rest: pickExamples(data, order.slice(held).sort(), data.name),
  };
}
