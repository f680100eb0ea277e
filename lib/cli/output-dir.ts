// The directory a command writes its results to (--out): checked before any work starts, and created one
// component at a time. Node's recursive mkdir loops forever where the kernel answers ENOENT for a parent
// that exists (/proc), and its errors name neither the path given nor what is wrong with it.
import * as fs from 'fs';
import * as path from 'path';
import { FileError, fileError } from '../errors';

/**
 * `dir` as an existing, writable directory: created (with its missing parents) when it does not exist.
 * Errors name the flag that gave it (`--out` unless `flag` says otherwise).
 */
export function prepareOutputDir(dir: string, flag = 'out'): void {
  const missing: string[] = [];
  let existing = path.resolve(dir);
  for (;;) {
    const stat = statOrUndefined(existing, dir, flag);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        const what = existing === path.resolve(dir) ? 'it is a file, not a directory' : `${existing} is a file, not a directory`;
        throw new FileError(`--${flag} ${dir}: ${what}`, dir, 'ENOTDIR');
      }
      break;
    }
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (error) {
    throw described(dir, flag, existing, 'write to', error);
  }
  for (const component of missing) {
    try {
      fs.mkdirSync(component);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(component).isDirectory()) continue; // made meanwhile
      throw described(dir, flag, component, 'create', error);
    }
  }
}

function statOrUndefined(file: string, dir: string, flag: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // the walk up finds the ancestor that is a file
    throw described(dir, flag, file, 'look up', error);
  }
}

/** An errno error met on `file` while preparing `dir`: a FileError naming the flag, both paths and the cause. */
function described(dir: string, flag: string, file: string, action: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // ENOENT for a directory whose parent exists: that file system (/proc, for one) takes no new directories.
  const e = code === 'ENOENT' && action === 'create'
    ? new FileError(`cannot create ${file}: ${path.dirname(file)} does not take new directories (ENOENT)`, file, code, error)
    : fileError(action, file, error);
  return e instanceof FileError ? new FileError(`--${flag} ${dir}: ${e.message}`, dir, e.syscallCode, error) : e;
}
