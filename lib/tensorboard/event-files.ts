// Where event files go and how they are named: `events.out.tfevents.<unix seconds>.<hostname>`, the name
// TensorBoard looks for (it reads every file of a directory whose name holds "tfevents", in name order).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileError } from '../errors';

/** The name of a file begun at `date`; `attempt` > 0 tells apart files begun in the same second (they sort after it). */
export function eventFileName(date: Date, attempt = 0): string {
  const name = `events.out.tfevents.${Math.floor(date.getTime() / 1000)}.${os.hostname()}`;
  return attempt === 0 ? name : `${name}.${attempt}`;
}

/** The event files of `dir`, in the order TensorBoard reads them (none when `dir` does not exist). */
export function listEventFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError('list', dir, error);
  }
  return names.filter((name) => name.includes('tfevents') && !name.startsWith('.')).sort().map((name) => path.join(dir, name));
}

/** Removes the event files of `dir`, e.g. those of a run being started afresh in its place. */
export function removeEventFiles(dir: string): void {
  for (const file of listEventFiles(dir)) {
    try {
      fs.rmSync(file, { force: true });
    } catch (error) {
      throw fileError('remove', file, error);
    }
  }
}
