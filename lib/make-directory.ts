// Creating a directory and its missing parents, one component at a time. Node's recursive mkdir loops
// forever where the kernel answers ENOENT for a parent that exists (/proc/self/x), and its errors name
// neither the path given nor what is wrong with it.
import * as fs from 'fs';
import * as path from 'path';
import { FileError, fileError } from './errors';

/**
 * `dir` as an existing, writable directory: created (with its missing parents) when it does not exist.
 * Errors are FileErrors that start with `where` (what the directory is for, and the path as given).
 */
export function makeDirectory(dir: string, where: string): void {
  if (dir.includes('\0')) throw new FileError(`${where}: a path cannot hold a NUL byte (EINVAL)`, dir, 'EINVAL');
  const missing: string[] = [];
  let existing = path.resolve(dir);
  for (;;) {
    const stat = statOrUndefined(existing, dir, where);
    if (stat !== undefined) {
      if (!stat.isDirectory()) {
        const what = existing === path.resolve(dir) ? 'it is a file, not a directory' : `${existing} is a file, not a directory`;
        throw new FileError(`${where}: ${what}`, dir, 'ENOTDIR');
      }
      break;
    }
    missing.unshift(existing);
    existing = path.dirname(existing);
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (error) {
    throw described(dir, where, existing, 'write to', error);
  }
  for (const component of missing) {
    try {
      fs.mkdirSync(component);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(component).isDirectory()) continue; // made meanwhile
      throw described(dir, where, component, 'create', error);
    }
  }
}

function statOrUndefined(file: string, dir: string, where: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // the walk up finds the ancestor that is a file
    throw described(dir, where, file, 'look up', error);
  }
}

/** An errno error met on `file` while making `dir`: a FileError with `where`, the path and the cause. */
function described(dir: string, where: string, file: string, action: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // ENOENT for a directory whose parent exists: that file system (/proc, for one) takes no new directories.
  const e = code === 'ENOENT' && action === 'create'
    ? new FileError(`cannot create ${file}: ${path.dirname(file)} does not take new directories (ENOENT)`, file, code, error)
    : fileError(action, file, error);
  return e instanceof FileError ? new FileError(`${where}: ${e.message}`, dir, e.syscallCode, error) : e;
}
