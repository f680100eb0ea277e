// keepBest: post-training ends with the weights of its epoch of lowest held-out error, not its last one
// (a run that drifts late, or diverges, keeps what it had at its best).
import type { NativeModel, NativeStateEntry } from '../native';
import type { EpochReport } from './types';

export class BestEpoch {
  private best?: { epoch: number; error: number; state: NativeStateEntry[] };

  constructor(private readonly model: NativeModel) {}

  /** Takes note of a complete, evaluated epoch; its weights are copied only while it is the best. */
  offer(report: EpochReport): void {
    if (report.partial || report.eval === undefined) return;
    if (this.best !== undefined && report.eval.error >= this.best.error) return;
    this.best = { epoch: report.epoch, error: report.eval.error, state: this.model.stateDict() };
  }

  /** Puts the best epoch's weights back when they are not the current ones; its epoch and error, if any was seen. */
  restore(last: EpochReport | undefined): { epoch: number; error: number; restored: boolean } | undefined {
    if (this.best === undefined) return undefined;
    const restored = last !== undefined && last.epoch !== this.best.epoch;
    if (restored) this.model.loadStateDict(this.best.state);
    return { epoch: this.best.epoch, error: this.best.error, restored };
  }
}
