// Reading a file whole, for the dataset and checkpoint readers: a FileError naming the path and the
// cause when it cannot be read, and the reader's own error kind when it is larger than one buffer.
import { promises as fs } from 'fs';
import { fileError, PoFError } from './errors';

export async function readWholeFile(file: string, tooLarge: (message: string) => PoFError): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_FS_FILE_TOO_LARGE') {
      throw tooLarge(`${file}: the file is too large to read into memory (${(error as Error).message})`);
    }
    throw fileError('read', file, error);
  }
}
