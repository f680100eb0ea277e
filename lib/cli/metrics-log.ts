// metrics.jsonl: one JSON object per epoch, appended as each epoch ends, so that it can be read while a run
// goes on and survives a kill. A resumed run first drops what the checkpoint it continues from did not keep.
import * as fs from 'fs';
import { writeFileAtomic } from '../checkpoint/atomic';
import { fileError } from '../errors';
import type { EpochReport } from '../trainer';

/** The text of `file`, or undefined when it does not exist. */
export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('read', file, error);
  }
}

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
  try {
    fs.appendFileSync(file, JSON.stringify(record) + '\n');
  } catch (error) {
    throw fileError('write', file, error);
  }
}

/**
 * Keeps the records of epochs 1..`epoch` (the checkpoint's) and drops the rest: epochs run after it,
 * a partial one, an incomplete line; the resumed run logs them again. Rewritten atomically, and only
 * when something is dropped.
 */
export async function truncateMetrics(file: string, epoch: number): Promise<void> {
  const before = readText(file);
  if (before === undefined) return;
  const text = parse(before).filter((r) => r.epoch <= epoch && !r.partial).map((r) => JSON.stringify(r) + '\n').join('');
  if (text !== before) await writeFileAtomic(file, Buffer.from(text));
}

/** The epochs a training-curves figure shows: the complete ones. */
export function completeEpochs(records: readonly EpochReport[]): EpochReport[] {
  return records.filter((r) => !r.partial);
}
