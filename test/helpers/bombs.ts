// Decompression bombs for the reader tests and the fuzz harness: a small prefix, then gigabytes of
// zeros, compressed cheaply. One block of zeros is deflated once and ends with a full flush (byte
// aligned, no reference to earlier data), so repeating its bytes k times is a valid stream of k
// blocks: a 2 GiB bomb costs one 16 MiB compression, not 2 GiB of work.
import * as zlib from 'zlib';

const BLOCK = 16 << 20;
const fullFlush = { finishFlush: zlib.constants.Z_FULL_FLUSH };
let zeroBlock: Buffer | undefined;

/** Raw deflate (as in ZIP entries) of `prefix` followed by `zeros` zero bytes (rounded up to 16 MiB). */
export function deflateRawBomb(prefix: Uint8Array, zeros: number): Buffer {
  zeroBlock ??= zlib.deflateRawSync(Buffer.alloc(BLOCK), fullFlush);
  const blocks = Math.ceil(zeros / BLOCK);
  const parts = [zlib.deflateRawSync(prefix, fullFlush), ...Array<Buffer>(blocks).fill(zeroBlock), zlib.deflateRawSync(Buffer.alloc(0))];
  return Buffer.concat(parts);
}

/**
 * A gzip file of `prefix` followed by `zeros` zero bytes. Its trailer's CRC-32 is not computed
 * (that would mean hashing gigabytes): a reader must refuse the bomb before it gets there.
 */
export function gzipBomb(prefix: Uint8Array, zeros: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  return Buffer.concat([header, deflateRawBomb(prefix, zeros), Buffer.alloc(8)]);
}

/**
 * A valid zlib stream (RFC 1950, as in MAT-file compressed elements) of `prefix` followed by
 * `zeros` zero bytes (rounded up to 16 MiB). Its Adler-32 is computed in closed form: zeros leave
 * the running sum `a` as it is and add `a` to `b` once per byte.
 */
export function zlibBomb(prefix: Uint8Array, zeros: number): Buffer {
  const n = Math.ceil(zeros / BLOCK) * BLOCK;
  let a = 1;
  let b = 0;
  for (const byte of prefix) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  b = Number((BigInt(b) + BigInt(n) * BigInt(a)) % 65521n);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(((b << 16) | a) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0x9c]), deflateRawBomb(prefix, n), trailer]);
}

/** How much this process's peak RSS grew while `run` ran, in bytes (0 when an earlier peak was higher). */
export async function peakRssGrowth(run: () => Promise<unknown>): Promise<{ growth: number; error?: unknown }> {
  const before = process.resourceUsage().maxRSS;
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  return { growth: (process.resourceUsage().maxRSS - before) * 1024, error };
}
