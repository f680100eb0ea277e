// The scalars of an epoch, by name: TensorBoard's tags are `<phase>/<name>` (fit/loss, postTrain/xi, ...),
// and the CLI's scalars.csv has a column per name. Errors are in percent, the reject rate is a fraction.
import type { EpochReport } from '../trainer/types';
import type { ScalarSummary } from './event';

type Phase = EpochReport['phase'];

const SCALARS: { name: string; of: (e: EpochReport) => number | undefined; phase?: Phase }[] = [
  { name: 'loss', of: (e) => e.loss },
  { name: 'error', of: (e) => e.error },
  { name: 'test_loss', of: (e) => e.eval?.loss },
  { name: 'test_error', of: (e) => e.eval?.error },
  { name: 'lr', of: (e) => e.lr },
  { name: 'seconds_per_epoch', of: (e) => e.seconds },
  { name: 'xi', of: (e) => e.xi, phase: 'postTrain' },
  { name: 'reject_rate', of: (e) => e.rejectRate, phase: 'postTrain' },
  { name: 'perturbation', of: (e) => e.perturbation, phase: 'postTrain' },
];

/** The names a phase can report, in a fixed order (test_* only with evaluation data). */
export function scalarNames(phase: Phase): string[] {
  return SCALARS.filter((s) => s.phase === undefined || s.phase === phase).map((s) => s.name);
}

/** The scalars this epoch reported, by name. */
export function epochScalars(e: EpochReport): Map<string, number> {
  const values = new Map<string, number>();
  for (const s of SCALARS) {
    const value = s.of(e);
    if (value !== undefined) values.set(s.name, value);
  }
  return values;
}

export function tagOf(phase: Phase, name: string): string {
  return `${phase}/${name}`;
}

/** The epoch's scalars under their TensorBoard tags. */
export function scalarSummaries(e: EpochReport): ScalarSummary[] {
  return [...epochScalars(e)].map(([name, value]) => ({ tag: tagOf(e.phase, name), value }));
}
