// What the ranks of a data-parallel job agree on between steps: who writes files, and whether to stop.
// A single process is a job of one, where both are no-ops (as native/distributed/cross_rank.h is).
import { DistributedError } from '../errors';
import type { NativeProcessGroup } from '../native';

export interface Ranks {
  /** A file only rank 0 writes; every rank calls this and learns whether the write worked. */
  rankZeroWrites(file: string, write: () => Promise<void>): Promise<void>;
  /** Whether any rank says yes: ranks stop together. */
  any(flag: boolean): Promise<boolean>;
  /** Whether this is rank 0, the one that speaks for the job (warnings once, not once per rank). */
  readonly leader: boolean;
}

export const singleProcess: Ranks = {
  rankZeroWrites: async (_file, write) => write(),
  any: async (flag) => flag,
  leader: true,
};

export function jobRanks(group: NativeProcessGroup): Ranks {
  const anyOf = async (flag: boolean) => (await group.allReduce(Float64Array.of(flag ? 1 : 0), 'max'))[0] === 1;
  return {
    async rankZeroWrites(file, write) {
      let failure: { error: unknown } | undefined;
      if (group.rank === 0) await write().catch((error) => { failure = { error }; });
      const failed = await anyOf(failure !== undefined);
      if (failure) throw failure.error;
      if (failed) throw new DistributedError(`rank 0 of the job could not write ${file} (its own error says why)`);
    },
    any: anyOf,
    leader: group.rank === 0,
  };
}
