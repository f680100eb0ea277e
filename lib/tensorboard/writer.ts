// An event file being written: a first event with the file version, then one event per call to write,
// each appended to the file before write resolves, so that a TensorBoard watching the directory sees a
// run while it goes on.
import { promises as fs } from 'fs';
import * as path from 'path';
import { fileError } from '../errors';
import { encodeEvent, FILE_VERSION, ImageSummary, ScalarSummary } from './event';
import { eventFileName } from './event-files';
import { frameRecord } from './tfrecord';
import { makeDirectory } from '../make-directory';

export class EventWriter {
  private constructor(readonly file: string) {}

  /** Begins a new event file in `dir` (created when missing); a FileError names the path that failed. */
  static async create(dir: string): Promise<EventWriter> {
    makeDirectory(dir, `cannot create the directory ${dir}`);
    const now = new Date();
    const first = frameRecord(encodeEvent({ wallTime: now.getTime() / 1000, step: 0, fileVersion: FILE_VERSION }));
    for (let attempt = 0; ; attempt += 1) {
      const file = path.join(dir, eventFileName(now, attempt));
      try {
        await fs.writeFile(file, first, { flag: 'wx' });
        return new EventWriter(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError('write', file, error);
      }
    }
  }

  /** Appends one event at `step`, stamped with the time now. */
  async write(step: number, summaries: { scalars?: ScalarSummary[]; images?: ImageSummary[] }): Promise<void> {
    const record = frameRecord(encodeEvent({ wallTime: Date.now() / 1000, step, ...summaries }));
    await fs.appendFile(this.file, record).catch((error) => { throw fileError('write', this.file, error); });
  }
}
