// What metrics.jsonl and scalars.csv share: a text file that a run appends to as each epoch ends (readable
// while it goes on, surviving a kill), and that a resumed run rewrites once to drop what came after its checkpoint.
import * as fs from 'fs';
import { writeFileAtomic } from '../checkpoint/atomic';
import { fileError } from '../errors';
import { assertNotSpecialFile } from '../file-access';

/**
 * A run's own files are regular files: a FIFO in their place would block the synchronous read or append forever.
 * Writes may also go to a character device (a link to /dev/null discards a log), which is written to, never replaced.
 */
export function assertRunFile(file: string, action: 'read' | 'write'): void {
  assertNotSpecialFile('the run directory', file, action, { characterDevices: action === 'write' });
}

/** The text of `file`, or undefined when it does not exist. */
export function readText(file: string): string | undefined {
  assertRunFile(file, 'read');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('read', file, error);
  }
}

export function appendText(file: string, text: string): void {
  assertRunFile(file, 'write');
  try {
    fs.appendFileSync(file, text);
  } catch (error) {
    throw fileError('write', file, error);
  }
}

/** Rewrites `file` (atomically) with `keep` of its text, and only when that drops something; a missing file stays missing. */
export async function rewriteKeeping(file: string, keep: (text: string) => string): Promise<void> {
  const before = readText(file);
  if (before === undefined) return;
  const text = keep(before);
  if (text !== before) await writeFileAtomic(file, Buffer.from(text));
}
