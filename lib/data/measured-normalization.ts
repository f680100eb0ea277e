// The per-channel mean and std of pixels, measured as datasets.prepare measures a store's: exact integer
// sums, so that the same pixels give the same normalisation in memory, streamed from a .npy, and in a store.
import { DatasetError, fileError } from '../errors';
import { openRegularFile } from '../file-access';
import { meanStd } from './prepare-progress';
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

/** Exact per-channel sums of pixels and of their squares over whole examples [C, H, W]. */
class ChannelSums {
  private readonly channels: number;
  private readonly plane: number;
  private readonly sums: bigint[];
  private readonly squares: bigint[];
  private examples = 0n;

  constructor([, channels, h, w]: number[]) {
    this.channels = channels;
    this.plane = h * w;
    this.sums = Array<bigint>(channels).fill(0n);
    this.squares = Array<bigint>(channels).fill(0n);
  }

  /** Adds the examples `pixels` holds (uint8 [n, C, H, W]). */
  add(pixels: Uint8Array): void {
    const { channels, plane } = this;
    const n = pixels.length / (channels * plane);
    for (let i = 0; i < n; i += 1) {
      for (let c = 0; c < channels; c += 1) {
        // One plane's sums fit a double exactly (planes under 2^37 pixels); the totals are BigInts.
        let s = 0, q = 0;
        const base = (i * channels + c) * plane;
        for (let p = base; p < base + plane; p += 1) {
          const x = pixels[p];
          s += x;
          q += x * x;
        }
        this.sums[c] += BigInt(s);
        this.squares[c] += BigInt(q);
      }
    }
    this.examples += BigInt(n);
  }

  normalization(): Normalization {
    const { mean, std } = meanStd({ sums: this.sums, squares: this.squares }, this.examples * BigInt(this.plane));
    // A channel of one value has std 0: dividing by it would make every input infinite.
    return { mean, std: std.map((s) => (s > 0 ? s : 1)) };
  }
}
