// Crash-safe file replacement: readers see either the old file or the complete new one, never a
// partial write, because the new bytes reach the disk under a temporary name before the rename.
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

export interface AtomicWriteOptions {
  /**
   * Called after the temporary file is written and synced, just before the rename. For tests: a
   * hook that throws simulates a crash at the riskiest moment.
   */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** The temporary name: hidden, in the target's directory (rename is only atomic within a filesystem). */
export function temporaryPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` (one buffer, or chunks written in order) to `target` atomically: temp file in the
 * same directory, fsync, rename over the target, fsync the directory. On any failure the temp
 * file is removed, the previous `target` is left as it was, and the error is rethrown.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  const temp = temporaryPathFor(target);
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
    await fs.rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(path.dirname(target));
}

/** Makes the rename itself durable. Filesystems that cannot fsync a directory are not an error. */
async function syncDirectory(dir: string): Promise<void> {
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
