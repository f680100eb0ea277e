// --resume: the training checkpoint a run continues from, checked against the run it belongs to before
// anything in the run directory changes.
import * as path from 'path';
import { readCheckpoint } from '../checkpoint/training-checkpoint';
import { UsageError } from './args';
import { readText } from './run-log-file';

export interface ResumePoint {
  file: string;
  /** The epochs the checkpoint has completed: the metrics of later ones are dropped. */
  epoch: number;
  /** The run's seed: --seed, else the one its config.json records. */
  seed: number;
  /** The run's config.json, where there is one. */
  config?: Record<string, unknown>;
}

/** The run's config.json: in --out, else beside the checkpoint. */
function runConfig(out: string, file: string): { file: string; seed?: unknown; [key: string]: unknown } | undefined {
  for (const candidate of new Set([path.join(out, 'config.json'), path.join(path.dirname(file), 'config.json')])) {
    const text = readText(candidate);
    if (text === undefined) continue;
    try {
      return { file: candidate, ...JSON.parse(text) };
    } catch (error) {
      throw new UsageError(`${candidate} is not valid JSON (${(error as Error).message}); is --out a pof run directory?`);
    }
  }
  return undefined;
}

/** The checkpoint of --resume `file`, for the run in `out`; a --seed other than the run's is refused. */
export async function resumePoint(file: string, out: string, seed: number | undefined): Promise<ResumePoint> {
  const { info } = await readCheckpoint(file, '--resume');
  if (info.kind !== 'training' || info.epoch === undefined) {
    throw new UsageError(`--resume ${file} holds weights only; resume from a training checkpoint (e.g. OUT/checkpoint.safetensors)`);
  }
  const config = runConfig(out, file);
  const recorded = typeof config?.seed === 'number' ? config.seed : undefined;
  // The generator state comes from the checkpoint: another seed would be recorded but have no effect.
  if (seed !== undefined && recorded !== undefined && seed !== recorded) {
    throw new UsageError(`--seed ${seed} differs from the seed of the run being resumed (${recorded}, in ${config!.file}); leave --seed out to continue it`);
  }
  return { file, epoch: info.epoch, seed: seed ?? recorded ?? 0, ...(config ? { config } : {}) };
}
