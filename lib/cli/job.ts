// The CLI in a data-parallel job: under torchrun (its RANK and WORLD_SIZE set) train, post-train and eval
// run as one rank each. Rank 0 leads: it alone prints progress and results and writes the run directory.
import { DistributedSetting, launchedByTorchrun } from '../distributed';

export interface CliJob {
  /** For the trainer: 'env' under torchrun, else nothing (one process). */
  distributed?: DistributedSetting;
  /** Whether this process prints and writes (rank 0, or the only process). */
  leader: boolean;
  /** "rank N: " in a job (to prefix its error lines), else "". */
  prefix: string;
}

export function cliJob(env: NodeJS.ProcessEnv = process.env): CliJob {
  if (!launchedByTorchrun(env)) return { leader: true, prefix: '' };
  return { distributed: 'env', leader: env.RANK?.trim() === '0', prefix: `rank ${env.RANK}: ` };
}
