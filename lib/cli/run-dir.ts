// A run directory: config.json (what was run), metrics.jsonl (a line per epoch), scalars.csv and tensorboard/
// (the epoch scalars for spreadsheets and TensorBoard), checkpoints and figures/.
import * as fs from 'fs';
import * as path from 'path';
import { removeStaleTemporaries, writeFileAtomic } from '../checkpoint/atomic';
import { fileError } from '../errors';
import { UsageError } from './args';
import { removeEventFiles } from '../tensorboard';
import type { EpochReport } from '../trainer';
import { appendMetrics } from './metrics-log';
import { prepareOutputDir } from './output-dir';
import { appendScalarRow } from './scalars-csv';

export class RunDir {
  readonly figures: string;

  /** Where the trainer writes the run's TensorBoard event files. */
  readonly tensorboard: string;

  /** False on ranks other than 0 of a data-parallel job: they name the files rank 0 writes, and write none. */
  readonly writes: boolean;

  /**
   * Creates `dir` (see prepareOutputDir); a directory that already holds a run is refused unless
   * `overwrite`. Its metrics (metrics.jsonl, scalars.csv, the event files) start afresh unless `keepMetrics`
   * (a resumed run appends to them).
   * Temporary files left by a writer that was killed are removed. With `follower`, nothing is touched.
   */
  constructor(readonly dir: string, options: { overwrite?: boolean; keepMetrics?: boolean; follower?: boolean } = {}) {
    this.figures = path.join(dir, 'figures');
    this.tensorboard = path.join(dir, 'tensorboard');
    this.writes = !options.follower;
    if (!this.writes) return;
    prepareOutputDir(dir);
    if (fs.existsSync(path.join(dir, 'config.json')) && !options.overwrite) {
      throw new UsageError(`${dir} already holds a run (config.json); choose another --out, or pass --force to overwrite it`);
    }
    prepareOutputDir(this.figures);
    removeStaleTemporaries(dir);
    if (!options.keepMetrics) {
      this.remove('metrics.jsonl');
      this.remove('scalars.csv');
      removeEventFiles(this.tensorboard);
    }
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Written atomically: a full disk or a kill leaves the previous file (or none), never a truncated one. */
  async writeJson(name: string, value: unknown): Promise<void> {
    if (!this.writes) return;
    await writeFileAtomic(this.file(name), Buffer.from(JSON.stringify(value, null, 2) + '\n'));
  }

  /** One JSON object per line, appended as each epoch ends (readable while the run goes on). */
  appendMetrics(record: object): void {
    if (this.writes) appendMetrics(this.file('metrics.jsonl'), record);
  }

  /** The epoch's row of scalars.csv (complete epochs only). */
  appendScalars(report: EpochReport): void {
    if (this.writes) appendScalarRow(this.file('scalars.csv'), report);
  }

  private remove(name: string): void {
    try {
      fs.rmSync(this.file(name), { force: true });
    } catch (error) {
      throw fileError('remove', this.file(name), error);
    }
  }
}
