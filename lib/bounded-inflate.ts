// Inflating untrusted compressed bytes (gzip dataset files, deflated ZIP entries) without letting a
// decompression bomb decide how much memory or time it takes: the output size is known before the
// bulk is inflated (declared by a directory, or read from the first inflated bytes), the result
// buffer is allocated once at that size, and inflation stops as soon as the stream gives more.
// zlib's stream runs on the thread pool, so the event loop stays free meanwhile.
import * as zlib from 'zlib';

/** Deflate cannot expand data more than 1032:1; a larger claim cannot be what the stream holds. */
export const MAX_INFLATE_RATIO = 1032;
// Headers and trailers of gzip members and zlib's final blocks, on top of the ratio.
const RATIO_SLACK = 1024;
// Output pieces: small enough to stop soon after the declared size, large enough for few round trips.
const CHUNK_BYTES = 256 << 10;
// The size must be known from this much output; a format's header is far shorter.
const MAX_HEAD_BYTES = 64 << 10;

export interface InflateLimits {
  /** 'gzip': RFC 1952 members (as in .gz files); 'raw': an RFC 1951 stream (as in ZIP entries). */
  format: 'gzip' | 'raw';
  /**
   * The exact output size, or a reader of it from the first output bytes: it returns undefined
   * while it needs more of them (`complete` is true once the stream has ended: then it must decide),
   * and throws for a header it refuses.
   */
  size: number | ((head: Buffer, complete: boolean) => number | undefined);
  /** The largest size accepted. */
  maxBytes: number;
  /** What the declared size is called in messages, e.g. 'its IDX header declares'. */
  declared: string;
  /** Makes the error for a problem, e.g. (what) => new DatasetError(`${file}: ${what}`). */
  error: (what: string) => Error;
  /** What the stream is called in messages; default 'the stream'. */
  stream?: string;
}

/** The inflated bytes of `input`, exactly the size the limits declare; an error from `limits.error` otherwise. */
export function inflateBounded(input: Uint8Array, limits: InflateLimits): Promise<Buffer> {
  const stream = limits.stream ?? 'the stream';
  return new Promise<Buffer>((resolve, reject) => {
    const options = { chunkSize: CHUNK_BYTES };
    const inflater = limits.format === 'gzip' ? zlib.createGunzip(options) : zlib.createInflateRaw(options);
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      reject(error);
    };
    let head: Buffer = Buffer.alloc(0);
    let target: Buffer | undefined;
    let filled = 0;
    const allocate = (size: number): Buffer => {
      if (!Number.isSafeInteger(size) || size < 0) throw limits.error(`${limits.declared} an invalid size (${size}) for ${stream}`);
      if (size > limits.maxBytes) throw limits.error(`${limits.declared} ${size} bytes for ${stream}, more than the limit of ${limits.maxBytes}`);
      if (size > input.byteLength * MAX_INFLATE_RATIO + RATIO_SLACK) {
        throw limits.error(`${limits.declared} ${size} bytes for ${stream}, more than its ${input.byteLength} compressed bytes can hold`);
      }
      return Buffer.allocUnsafeSlow(size);
    };
    const store = (chunk: Buffer) => {
      if (!target) {
        head = Buffer.concat([head, chunk]);
        const size = typeof limits.size === 'number' ? limits.size : limits.size(head, false);
        if (size === undefined) {
          if (head.length > MAX_HEAD_BYTES) throw limits.error(`${stream} does not start with a header this reader knows`);
          return;
        }
        target = allocate(size);
        chunk = head;
      }
      if (filled + chunk.length > target.length) throw limits.error(`${stream} holds more than the ${target.length} bytes ${limits.declared}`);
      chunk.copy(target, filled);
      filled += chunk.length;
    };
    try {
      if (typeof limits.size === 'number') target = allocate(limits.size);
    } catch (error) {
      fail(error);
      return;
    }
    inflater.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        store(chunk);
      } catch (error) {
        fail(error);
      }
    });
    inflater.on('error', (error) => fail(limits.error(`${stream} is corrupt or truncated (${error.message})`)));
    inflater.on('end', () => {
      if (settled) return;
      try {
        // A header shorter than the reader needs, at the very end: it decides (and throws) now.
        if (!target && typeof limits.size === 'function') {
          const size = limits.size(head, true);
          if (size === undefined) throw limits.error(`${stream} ends after ${head.length} bytes, inside the header`);
          target = allocate(size);
          head.copy(target);
          filled = Math.min(head.length, target.length);
          if (head.length > target.length) throw limits.error(`${stream} holds more than the ${target.length} bytes ${limits.declared}`);
        }
        if (filled < target!.length) throw limits.error(`${stream} ends after ${filled} bytes, but ${limits.declared} ${target!.length} (truncated)`);
      } catch (error) {
        fail(error);
        return;
      }
      settled = true;
      resolve(target!);
    });
    inflater.end(input);
  });
}
