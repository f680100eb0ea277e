// The state a trainer's parts share: the native model and engine, who may use them now, the job's
// ranks, the resident data, and whether the state sits at a phase's epoch boundary.
import type { PhaseProgress } from '../checkpoint/training-checkpoint';
import type { InputPipeline } from '../data/input-pipeline';
import type { ImageSet } from '../data/types';
import type { ModelSpec } from '../models';
import type { NativeDataset, NativeEngine, NativeModel } from '../native';
import { TrainerLock } from './lock';
import { Ranks, singleProcess } from './ranks';
import { ResidentData } from './resident-data';

export class TrainerCore {
  readonly lock = new TrainerLock();
  /** The job's ranks once joined; a single process is a job of one. */
  ranks: Ranks = singleProcess;
  /** The running or last phase at its last completed epoch; undefined once the state left an epoch boundary. */
  progress?: PhaseProgress;
  /**
   * How the inputs the weights were trained on were prepared: the last phase's training data, or what a loaded
   * checkpoint recorded. Checkpoints record it; an import from PyTorch or a step on other data leaves it as it was.
   */
  pipeline?: InputPipeline;
  private readonly residents: ResidentData;

  constructor(readonly spec: ModelSpec, readonly device: string, readonly model: NativeModel, readonly engine: NativeEngine) {
    this.residents = new ResidentData(model, device);
  }

  /** The resident copy of a split after checking it fits the model (`role` names it in errors). */
  resident(where: string, data: ImageSet, role: string): NativeDataset {
    this.lock.usable(where);
    return this.residents.of(where, data, role);
  }

  /** Claims the trainer for a change of weights or optimizer state made outside a phase's epochs. */
  changing(where: string): void {
    this.lock.checkFree(where, true);
    this.progress = undefined;
  }

  dispose(): void {
    this.lock.dispose(() => {
      this.engine.dispose();
      this.model.dispose();
      this.residents.dispose();
    });
  }
}
