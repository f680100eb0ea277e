// Reading a checkpoint file whole, with the errors of the checkpoint readers.
import { CheckpointError } from '../errors';
import { readWholeFile } from '../read-whole-file';

/** A checkpoint file's bytes (a CheckpointError when it is larger than one buffer can hold). */
export function readCheckpointBytes(path: string): Promise<Buffer> {
  return readWholeFile(path, (message) => new CheckpointError(message));
}
