// A resumed phase logs its epochs after the checkpoint again: the epochs logged after it by the run that
// stopped (and a record a kill cut short) are first dropped from the directory's event files, as the
// CLI drops them from metrics.jsonl, so that every step of the phase's tags appears once.
import { writeFileAtomic } from '../checkpoint/atomic';
import { readRegularFile } from '../file-access';
import { decodeEvent, tagsOf } from './event';
import { listEventFiles } from './event-files';
import { frameRecord, readRecords } from './tfrecord';

/** Whether an event record belongs to `phase` after `epoch`; records pof-torch cannot decode are not its own. */
function loggedAfter(record: Buffer, prefix: string, epoch: number): boolean {
  try {
    const event = decodeEvent(record);
    return event.step > epoch && tagsOf(event).some((tag) => tag.startsWith(prefix));
  } catch {
    return false;
  }
}

/** Drops the events of `phase` (tags `<phase>/...`) with a step after `epoch` from the event files in `dir`; rewritten atomically. */
export async function dropEventsAfter(dir: string, phase: string, epoch: number): Promise<void> {
  for (const file of listEventFiles(dir)) {
    const bytes = await readRegularFile(file);
    const scan = readRecords(bytes);
    const kept = scan.records.filter((record) => !loggedAfter(record, `${phase}/`, epoch));
    if (kept.length < scan.records.length || scan.problem !== undefined) await writeFileAtomic(file, kept.map(frameRecord));
  }
}
