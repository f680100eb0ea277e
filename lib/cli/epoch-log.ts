// What a training command shows and records: a progress bar over each epoch's steps, a line per epoch,
// and the same epoch as a JSON line in the run's metrics.jsonl (an epoch stopped by Ctrl-C: `partial`) and,
// when complete, as a row of its scalars.csv.
import type { EpochReport, StepReport } from '../trainer';
import { progress, Progress } from './progress';
import type { RunDir } from './run-dir';

// PoF's training loss and error are measured under the perturbed classifier θ0 − γ·ξ*·g/|g| (what φ is trained
// against), so they run far above the unperturbed model's: the line says so (not where nothing was perturbed: γ = 0).
const trainingLabel = (phase: EpochReport['phase'], perturbation?: number) => (phase === 'postTrain' && perturbation !== 0 ? 'perturbed ' : '');

export function describeEpoch(e: EpochReport): string {
  const label = trainingLabel(e.phase, e.perturbation);
  const parts = [`${e.phase} epoch ${e.epoch}/${e.epochs}`, `lr ${e.lr.toPrecision(3)}`,
    `${label}loss ${e.loss.toFixed(4)}`, `${label}error ${e.error.toFixed(2)} %`];
  if (e.xi !== undefined) parts.push(`xi* ${e.xi.toPrecision(3)}`, `|perturbation| ${e.perturbation!.toPrecision(3)}`, `rejected ${(100 * e.rejectRate!).toFixed(1)} %`);
  if (e.eval) parts.push(`test loss ${e.eval.loss.toFixed(4)}`, `test error ${e.eval.error.toFixed(2)} %`);
  parts.push(`${e.seconds.toFixed(1)} s`);
  if (e.partial) parts.push(`stopped after ${e.steps} of ${e.stepsPerEpoch} steps`);
  return parts.join(', ');
}

/** Callbacks for fit / postTrain: `label` prefixes the lines (e.g. 'seed 0 SAM'); `quiet`: nothing is shown. */
export function epochLog(label: string, run?: RunDir, extra: Record<string, unknown> = {}, quiet = false) {
  let bar: Progress | undefined;
  return {
    reportEvery: quiet ? 0 : 10,
    onStep(s: StepReport) {
      bar ??= progress(label, s.stepsPerEpoch);
      bar.update(s.step, `epoch ${s.epoch}/${s.epochs} ${trainingLabel(s.phase, s.perturbation)}loss ${s.loss.toFixed(4)}`);
    },
    onEpoch(e: EpochReport) {
      run?.appendMetrics({ ...extra, ...e });
      run?.appendScalars(e);
      if (quiet) return;
      const line = `${label}: ${describeEpoch(e)}`;
      if (bar) bar.line(line); else process.stderr.write(`${line}\n`);
      bar?.finish();
      bar = undefined;
    },
  };
}
