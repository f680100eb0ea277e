// Reading a checkpoint file whole, with the errors of the checkpoint readers.
import { CheckpointError } from '../errors';
import { readRegularFile } from '../file-access';
import { pt2ArchiveFile, pt2Refusal } from './pt2-archive';

/**
 * A checkpoint file's bytes. One larger than a buffer holds is a CheckpointError saying so, or, when it is a
 * torch.export archive (told from its last megabyte), saying what it is instead of `expected` and which option
 * takes it: a large network's .pt2 is the likelier story than a checkpoint too large to read.
 */
export function readCheckpointBytes(path: string, expected = 'a checkpoint', where?: string): Promise<Buffer> {
  const prefix = where === undefined ? '' : `${where}: `;
  return readRegularFile(path, {
    tooLarge: (message) => {
      const pt2 = pt2ArchiveFile(path);
      return new CheckpointError(prefix + (pt2 ? pt2Refusal(path, expected, pt2) : message));
    },
  });
}
