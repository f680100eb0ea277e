// PoF going wrong: with too large a learning rate the features follow ever larger perturbations, ξ* grows
// epoch after epoch and the held-out error with it (MNIST, lr 1e-3: ξ* 0.12 → 1.83 over 10 epochs and the
// test error 5.5 → 19 %), while each epoch line alone looks ordinary. This says so, with the numbers.
import type { EpochReport } from './types';

/** What to do when post-training diverges: warn (the default), stop after the epoch, or nothing. */
export const DIVERGENCE_ACTIONS = ['warn', 'stop', 'ignore'] as const;
export type DivergenceAction = (typeof DIVERGENCE_ACTIONS)[number];

/** Epochs in a row over which ξ* must rise (each above the one before) with the held-out error up overall. */
export const DIVERGENCE_EPOCHS = 3;

const fixed = (v: number) => v.toPrecision(3);

/** Why the epochs so far look divergent, or undefined: needs ξ* and an evaluation (evalData) per epoch. */
export function divergence(history: readonly EpochReport[]): string | undefined {
  const recent = history.filter((e) => !e.partial).slice(-(DIVERGENCE_EPOCHS + 1));
  if (recent.length < DIVERGENCE_EPOCHS + 1 || recent.some((e) => e.xi === undefined || e.eval === undefined)) return undefined;
  const xi = recent.map((e) => e.xi!);
  const error = recent.map((e) => e.eval!.error);
  if (!xi.every((v, i) => i === 0 || v > xi[i - 1]) || !(error[error.length - 1] > error[0])) return undefined;
  return `ξ* rose for ${DIVERGENCE_EPOCHS} epochs in a row (${xi.map(fixed).join(' → ')}, epochs ${recent[0].epoch}–${recent[recent.length - 1].epoch}) ` +
    `while the held-out error rose from ${error[0].toFixed(2)} % to ${error[error.length - 1].toFixed(2)} %: the features are following ever ` +
    'larger perturbations; lower lr or gamma (onDivergence: \'stop\' stops here)';
}
