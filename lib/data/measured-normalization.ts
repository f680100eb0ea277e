// The per-channel mean and std of pixels, measured as datasets.prepare measures a store's: exact integer
// sums, so that the same pixels give the same normalisation in memory, streamed from a .npy, and in a store.
import { DatasetError, fileError } from '../errors';
import { openRegularFile } from '../file-access';
import { ChannelSums } from './channel-sums';
import type { ArraySet, Normalization, StoredSet } from './types';

// One read of a streamed file: whole examples, about this many bytes.
const READ_BYTES = 32 << 20;

/** Mean and (population) std of each channel of `data`'s pixels (uint8 [N, C, H, W]), on the 0..1 scale. */
export function measuredNormalization(data: ArraySet): Normalization {
  const sums = new ChannelSums(data.shape);
  sums.add(data.images as Uint8Array);
  return sums.normalization();
}

/** The same for a split whose pixels stay in their file (a streamed .npy): read once, in pieces of whole examples. */
export async function measuredStoredNormalization(data: StoredSet): Promise<Normalization> {
  const { file, offset } = data.images;
  const sums = new ChannelSums(data.shape);
  const [n, c, h, w] = data.shape;
  const exampleBytes = c * h * w;
  const piece = new Uint8Array(Math.max(1, Math.floor(READ_BYTES / exampleBytes)) * exampleBytes);
  const handle = await openRegularFile(file);
  try {
    for (let first = 0; first < n;) {
      const bytes = Math.min(piece.length, (n - first) * exampleBytes);
      const { bytesRead } = await handle.read(piece, 0, bytes, offset + first * exampleBytes);
      if (bytesRead !== bytes) throw new DatasetError(`${file}: ends inside example ${first + Math.floor(bytesRead / exampleBytes)}; the file is truncated`);
      sums.add(piece.subarray(0, bytes));
      first += bytes / exampleBytes;
    }
  } catch (error) {
    throw error instanceof DatasetError ? error : fileError('read', file, error);
  } finally {
    await handle.close();
  }
  return sums.normalization();
}
