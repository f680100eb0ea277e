// Crash-safe file replacement: readers see either the old file or the complete new one, never a
// partial write, because the new bytes reach the disk under a temporary name before the rename.
import { randomBytes } from 'crypto';
import { existsSync, promises as fs, readdirSync, rmSync } from 'fs';
import * as path from 'path';
import { FileError, fileError } from '../errors';
import { writableTarget } from '../file-access';

export interface AtomicWriteOptions {
  /**
   * Called after the temporary file is written and synced, just before the rename. For tests: a
   * hook that throws simulates a crash at the riskiest moment.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * The temporary name `.<name>.tmp-<pid>-<random>`: hidden, in the target's directory (rename is only
 * atomic within a filesystem), and naming its writer, so that one left by a killed process can be told
 * from one still being written.
 */
export function temporaryPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

const TEMPORARY = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{12}$/;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/**
 * Removes the temporary files in `dir` (of `target` only, when given) whose writer is no longer running:
 * what a process killed mid-write leaves. Returns the files removed.
 */
export function removeStaleTemporaries(dir: string, target?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // nothing to clean in a directory that cannot be listed; writing there reports the cause
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (!m || (target !== undefined && m[1] !== path.basename(target))) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || isRunning(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

/**
 * Writes `data` (one buffer, or chunks written in order) to `target` atomically: temp file in the
 * same directory, fsync, rename over the target, fsync the directory. On any failure the temp
 * file is removed, the previous `target` is left as it was, and the error is thrown as a FileError
 * naming `target` and the cause. Only a regular file is replaced: through a symbolic link, the file
 * it leads to; a device, FIFO, directory or socket at `target` is a FileError.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  const destination = await writableTarget(target);
  removeStaleTemporaries(path.dirname(destination), destination);
  const temp = temporaryPathFor(destination);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await options.beforeRename?.(temp);
    await fs.rename(temp, destination);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw writeError(target, error);
  }
  try {
    await syncDirectory(path.dirname(destination));
  } catch (error) {
    throw fileError('sync the directory of', target, error);
  }
}

/**
 * ENOENT on a write means the directory is missing, not the file about to be made; or, where the
 * directory is there, that its file system takes no new files (/proc).
 */
function writeError(target: string, error: unknown): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return fileError('write', target, error);
  const dir = path.dirname(target);
  const why = existsSync(dir) ? `the directory ${dir} does not take new files` : `the directory ${dir} does not exist`;
  return new FileError(`cannot write ${target}: ${why} (ENOENT)`, target, 'ENOENT', error);
}

/** Makes a rename in `dir` durable. Filesystems that cannot fsync a directory are not an error. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    await handle?.close();
  }
}
