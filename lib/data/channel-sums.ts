// Exact per-channel sums of uint8 pixels and of their squares, from which mean and std follow exactly: the one
// measurement behind datasets.prepare's manifest and the normalisation measured in memory or from a streamed file.
import { meanStd } from './prepare-progress';
import type { Normalization } from './types';

/** Exact per-channel sums of pixels and of their squares over whole examples [C, H, W]. */
export class ChannelSums {
  private readonly channels: number;
  private readonly plane: number;
  readonly sums: bigint[];
  readonly squares: bigint[];
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
