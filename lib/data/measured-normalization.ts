// The per-channel mean and std of in-memory pixels, measured as datasets.prepare measures a store's: exact
// integer sums, so that the same pixels give the same normalisation in memory and on disk.
import { meanStd } from './prepare-progress';
import type { ArraySet, Normalization } from './types';

/** Mean and (population) std of each channel of `data`'s pixels (uint8 [N, C, H, W]), on the 0..1 scale. */
export function measuredNormalization(data: ArraySet): Normalization {
  const [n, channels, h, w] = data.shape;
  const plane = h * w;
  const sums = Array<bigint>(channels).fill(0n), squares = Array<bigint>(channels).fill(0n);
  for (let i = 0; i < n; i += 1) {
    for (let c = 0; c < channels; c += 1) {
      // One plane's sums fit a double exactly (planes under 2^37 pixels); the totals are BigInts.
      let s = 0, q = 0;
      const base = (i * channels + c) * plane;
      for (let p = base; p < base + plane; p += 1) {
        const x = data.images[p];
        s += x;
        q += x * x;
      }
      sums[c] += BigInt(s);
      squares[c] += BigInt(q);
    }
  }
  const { mean, std } = meanStd({ sums, squares }, BigInt(n) * BigInt(plane));
  // A channel of one value has std 0: dividing by it would make every input infinite.
  return { mean, std: std.map((s) => (s > 0 ? s : 1)) };
}
