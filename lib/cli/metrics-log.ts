// metrics.jsonl: one JSON object per epoch, appended as each epoch ends, so that it can be read while a run
// goes on and survives a kill. A resumed run first drops what the checkpoint it continues from did not keep.
import type { EpochReport } from '../trainer';
import { appendText, readText, rewriteKeeping } from './run-log-file';

function parse(text: string): EpochReport[] {
  const records: EpochReport[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // a line cut short by a kill mid-append (only the last can be); truncateMetrics drops it on resume
    }
  }
  return records;
}

/** The records of `file` (none when it does not exist); an incomplete line is left out. */
export function readMetrics(file: string): EpochReport[] {
  return parse(readText(file) ?? '');
}

export function appendMetrics(file: string, record: object): void {
  appendText(file, JSON.stringify(record) + '\n');
}

/**
 * Keeps the records of epochs 1..`epoch` (the checkpoint's) and drops the rest: epochs run after it,
 * a partial one, an incomplete line; the resumed run logs them again. Rewritten atomically, and only
 * when something is dropped.
 */
export async function truncateMetrics(file: string, epoch: number): Promise<void> {
  await rewriteKeeping(file, (text) => parse(text).filter((r) => r.epoch <= epoch && !r.partial).map((r) => JSON.stringify(r) + '\n').join(''));
}

/** The epochs a training-curves figure shows: the complete ones. */
export function completeEpochs(records: readonly EpochReport[]): EpochReport[] {
  return records.filter((r) => !r.partial);
}
