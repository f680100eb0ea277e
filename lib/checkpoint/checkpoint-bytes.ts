// Reading a checkpoint file whole, with the errors of the checkpoint readers.
import { promises as fs } from 'fs';
import { CheckpointError, fileError } from '../errors';

/**
 * A checkpoint file's bytes; a FileError naming the path and the cause when it cannot be read, a
 * CheckpointError when it is larger than one buffer can hold.
 */
export async function readCheckpointBytes(path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_FS_FILE_TOO_LARGE') {
      throw new CheckpointError(`${path}: the file is too large to read into memory (${(error as Error).message})`);
    }
    throw fileError('read', path, error);
  }
}
