// A file named on the command line (--from, --resume, --sam, ...): checked to be a readable file before
// any work, so that a typo is one line naming the flag and the path, not an errno from deep inside.
import * as fs from 'fs';
import { FileError, fileError } from '../errors';
import { notRegularFile } from '../file-access';

export function checkInputFile(flag: string, file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    const e = fileError('read', file, error);
    throw e instanceof FileError ? new FileError(`--${flag} ${file}: ${e.message}`, file, e.syscallCode, error) : e;
  }
  if (!stat.isFile()) {
    const e = notRegularFile('read', file, stat);
    throw new FileError(`--${flag} ${file}: ${e.message}`, file, e.syscallCode);
  }
}
