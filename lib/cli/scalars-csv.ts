// scalars.csv: the scalars TensorBoard gets (lib/tensorboard/scalars.ts), one row per complete epoch and one
// column per name, for spreadsheets. Appended as each epoch ends; a resumed run first drops the rows after
// the checkpoint's epoch, as metrics.jsonl does.
import * as fs from 'fs';
import { fileError } from '../errors';
import { epochScalars, scalarNames } from '../tensorboard';
import type { EpochReport } from '../trainer';
import { appendText, rewriteKeeping } from './run-log-file';

/** Appends the epoch's row, after the header when the file is new; a partial epoch is left out, as in TensorBoard. */
export function appendScalarRow(file: string, e: EpochReport): void {
  if (e.partial) return;
  const names = scalarNames(e.phase);
  const values = epochScalars(e);
  // An empty cell for a scalar the epoch lacks (no test split) or that is not finite (no accepted PoF batch).
  const cells = names.map((name) => {
    const value = values.get(name);
    return value !== undefined && Number.isFinite(value) ? String(value) : '';
  });
  let fresh: boolean;
  try {
    fresh = !fs.existsSync(file) || fs.statSync(file).size === 0;
  } catch (error) {
    throw fileError('read', file, error);
  }
  appendText(file, (fresh ? ['epoch', ...names].join(',') + '\n' : '') + [e.epoch, ...cells].join(',') + '\n');
}

/** Keeps the header and the rows of epochs 1..`epoch`; a row a kill cut short goes too. Rewritten only when something is dropped. */
export async function truncateScalars(file: string, epoch: number): Promise<void> {
  await rewriteKeeping(file, (text) => text.split('\n').slice(0, -1)  // the text after the last newline is an incomplete row
    .filter((line, i) => i === 0 || Number(line.split(',')[0]) <= epoch).map((line) => `${line}\n`).join(''));
}
