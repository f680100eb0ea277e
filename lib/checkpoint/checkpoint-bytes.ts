// Reading a checkpoint file whole, with the errors of the checkpoint readers.
import { CheckpointError } from '../errors';
import { readRegularFile } from '../file-access';

/** A checkpoint file's bytes (a CheckpointError when it is larger than one buffer can hold). */
export function readCheckpointBytes(path: string): Promise<Buffer> {
  return readRegularFile(path, { tooLarge: (message) => new CheckpointError(message) });
}
