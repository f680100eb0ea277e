// How pof-torch touches files a user names: reads open regular files only (opened non-blocking, then
// checked with fstat, so a FIFO cannot block and a device cannot stream forever) and never take more
// than a limit; writes never replace what is not a regular file (an atomic rename over /dev/null, as
// root, would replace the device for the whole system).
import { constants as bufferConstants } from 'buffer';
import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, Stats, statSync } from 'fs';
import * as os from 'os';
import { FileError, fileError, PoFError } from './errors';

/**
 * What a file that is not a regular file is, in words, and a code for it: EISDIR for a directory, else
 * EFTYPE (BSD's "inappropriate file type"; Linux has no errno for it). Both are the caller's mistake.
 */
function nonRegular(stat: Stats): { what: string; code: string } {
  if (stat.isDirectory()) return { what: 'a directory, not a file', code: 'EISDIR' };
  if (stat.isFIFO()) return { what: 'a FIFO (named pipe), not a regular file', code: 'EFTYPE' };
  if (stat.isCharacterDevice()) return { what: 'a character device, not a regular file', code: 'EFTYPE' };
  if (stat.isBlockDevice()) return { what: 'a block device, not a regular file', code: 'EFTYPE' };
  if (stat.isSocket()) return { what: 'a socket, not a regular file', code: 'EFTYPE' };
  return { what: 'not a regular file', code: 'EFTYPE' };
}

export function notRegularFile(action: string, file: string, stat: Stats): FileError {
  const { what, code } = nonRegular(stat);
  return new FileError(`cannot ${action} ${file}: it is ${what} (${code})`, file, code);
}

/**
 * Refuses, without opening it, a path that exists but is not a regular file (a FIFO would block whoever
 * opens it: LibTorch's loader on the main thread, or a synchronous append to a run's log). Returns whether
 * something is there: a missing file is left to the reader to report, or to the writer to create. With
 * `characterDevices`, a character device is taken too (written to, never replaced: a log linked to /dev/null).
 */
export function assertNotSpecialFile(where: string, file: string, action: 'read' | 'write' = 'read',
  options: { characterDevices?: boolean } = {}): boolean {
  checkPath(action, file);
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    const e = fileError(action, file, error);  // a link loop, a component that is not a directory, no permission
    throw e instanceof FileError ? new FileError(`${where}: ${e.message}`, file, e.syscallCode, error) : e;
  }
  if (stat.isFile() || (options.characterDevices && stat.isCharacterDevice())) return true;
  throw new FileError(`${where}: ${notRegularFile(action, file, stat).message}`, file, nonRegular(stat).code);
}

/** A path the system cannot take (Node throws a TypeError, not an errno, for a NUL byte). */
function checkPath(action: string, file: string): void {
  if (file.includes('\0')) throw new FileError(`cannot ${action} ${JSON.stringify(file)}: a path cannot hold a NUL byte (EINVAL)`, file, 'EINVAL');
}

/** The most one whole-file read takes: what fits one buffer, and no more than the machine's memory. */
export function readCeiling(): number {
  return Math.min(bufferConstants.MAX_LENGTH, os.totalmem());
}

/** Opens `file` for reading when it is a regular file (a FileError naming what it is otherwise); the caller closes it. */
export async function openRegularFile(file: string): Promise<fs.FileHandle> {
  checkPath('read', file);
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(async (error) => {
    // A socket cannot be opened at all (ENXIO): say what it is rather than "no such device or address".
    const stat = await fs.stat(file).catch(() => undefined);
    throw stat && !stat.isFile() ? notRegularFile('read', file, stat) : fileError('read', file, error);
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegularFile('read', file, stat);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The last `maxBytes` bytes of a regular file (all of it when smaller), read synchronously and no further, and
 * where they `start`: for a format indexed at its end (a ZIP's central directory). Opened as openRegularFile does.
 */
export function readTailSync(file: string, maxBytes: number): { bytes: Buffer; start: number } {
  checkPath('read', file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileError('read', file, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegularFile('read', file, stat);
    const start = Math.max(0, stat.size - maxBytes);
    const bytes = Buffer.allocUnsafe(stat.size - start);
    let read = 0;
    while (read < bytes.length) {
      const bytesRead = readSync(fd, bytes, read, bytes.length - read, start + read);
      if (bytesRead === 0) break;  // shrank while being read
      read += bytesRead;
    }
    return { bytes: bytes.subarray(0, read), start };
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    closeSync(fd);
  }
}

export interface ReadLimit {
  /** The largest size the format allows (default: readCeiling()). */
  maxBytes?: number;
  /** The error for a file over the limit (default: a FileError). */
  tooLarge?: (message: string) => PoFError;
}

/** Reads a regular file whole, refusing one larger than the limit before allocating anything. */
export async function readRegularFile(file: string, limit: ReadLimit = {}): Promise<Buffer> {
  const handle = await openRegularFile(file);
  try {
    const size = (await handle.stat()).size;
    const maxBytes = Math.min(limit.maxBytes ?? Infinity, readCeiling());
    if (size > maxBytes) {
      const message = `${file}: the file is too large to read into memory (${size} bytes; at most ${maxBytes} here)`;
      throw limit.tooLarge?.(message) ?? new FileError(message, file, 'EFBIG');
    }
    const bytes = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;  // shrank while being read
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } catch (error) {
    throw fileError('read', file, error);
  } finally {
    await handle.close();
  }
}

/**
 * Where a write to `target` goes: `target` itself when it does not exist (or is a dangling link), the
 * regular file a symbolic link leads to (which is then replaced, the link kept), and a FileError for
 * anything that is not a regular file (a device, a FIFO, a directory, a socket, a link loop).
 */
export async function writableTarget(target: string): Promise<string> {
  checkPath('write', target);
  const link = await fs.lstat(target).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('write', target, error);
  });
  if (!link) return target;
  if (link.isFile()) return target;
  if (!link.isSymbolicLink()) throw notRegularFile('write', target, link);
  const stat = await fs.stat(target).catch((error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError('write', target, error);
  });
  if (!stat) return target;
  if (!stat.isFile()) throw notRegularFile('write', target, stat);
  return fs.realpath(target).catch((error) => { throw fileError('write', target, error); });
}
