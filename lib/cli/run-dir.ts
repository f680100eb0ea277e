// A run directory: config.json (what was run), metrics.jsonl (a line per epoch), checkpoints and figures/.
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from './args';

export class RunDir {
  readonly figures: string;

  /**
   * Creates `dir`; a directory that already holds a run is refused unless `overwrite`. Its metrics start
   * afresh unless `keepMetrics` (a resumed run appends to them).
   */
  constructor(readonly dir: string, options: { overwrite?: boolean; keepMetrics?: boolean } = {}) {
    if (fs.existsSync(path.join(dir, 'config.json')) && !options.overwrite) {
      throw new UsageError(`${dir} already holds a run (config.json); choose another --out, or pass --force to overwrite it`);
    }
    this.figures = path.join(dir, 'figures');
    try {
      fs.mkdirSync(this.figures, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot create the run directory ${dir}: ${(e as Error).message}`);
    }
    if (!options.keepMetrics) fs.rmSync(this.file('metrics.jsonl'), { force: true });
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    fs.writeFileSync(this.file(name), JSON.stringify(value, null, 2) + '\n');
  }

  /** One JSON object per line, appended as each epoch ends (readable while the run goes on). */
  appendMetrics(record: object): void {
    fs.appendFileSync(this.file('metrics.jsonl'), JSON.stringify(record) + '\n');
  }
}
