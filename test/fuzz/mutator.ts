// A seeded, bounded byte mutator: each input is a few edits of a valid seed (bit flips, byte and
// header-field rewrites to extreme values, truncations, insertions, deletions, splices from other
// seeds), the same for the same (seed, iteration), so any failure can be replayed from its number.

/** mulberry32: small, fast and good enough to pick edits. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator for one iteration of a run: independent of the iterations before it. */
  static forIteration(seed: number, iteration: number): Rng {
    return new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(iteration + 1, 0xc2b2ae35));
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

// Values a length, count or offset field is rewritten to: the edges where parsers go wrong.
const EXTREMES: readonly bigint[] = [0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

/** Where edits land: header fields sit near the start, ZIP directories near the end. */
function position(rng: Rng, length: number): number {
  if (length === 0) return 0;
  switch (rng.int(3)) {
    case 0: return rng.int(Math.min(length, 160));
    case 1: return Math.max(0, length - 1 - rng.int(Math.min(length, 600)));
    default: return rng.int(length);
  }
}

/** `bytes` with `value` written over `width` bytes at `at` (little- or big-endian), clipped to the end. */
function writeField(bytes: Uint8Array, at: number, width: number, value: bigint, littleEndian: boolean): void {
  const masked = BigInt.asUintN(8 * width, value);
  for (let i = 0; i < width && at + i < bytes.length; i += 1) {
    const shift = BigInt(8 * (littleEndian ? i : width - 1 - i));
    bytes[at + i] = Number((masked >> shift) & 0xffn);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const MAX_INSERT = 256;

/** One to four edits of `input`; `pool` holds other valid inputs to splice from. */
export function mutate(input: Uint8Array, rng: Rng, pool: readonly Uint8Array[]): Uint8Array {
  let out: Uint8Array = new Uint8Array(input);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e += 1) {
    const at = position(rng, out.length);
    switch (rng.int(9)) {
      case 0: { // bit flips
        const flips = 1 + rng.int(8);
        for (let i = 0; i < flips && out.length > 0; i += 1) out[position(rng, out.length)] ^= 1 << rng.int(8);
        break;
      }
      case 1: // one byte to an extreme
        if (out.length > 0) out[at] = rng.pick([0, 1, 0x7f, 0x80, 0xfe, 0xff, rng.int(256)]);
        break;
      case 2: // truncation
        out = out.slice(0, rng.int(out.length + 1));
        break;
      case 3: { // insertion: random bytes or a repeat of what is there
        const n = 1 + rng.int(MAX_INSERT);
        const insert = rng.int(2) === 0 ? Uint8Array.from({ length: n }, () => rng.int(256)) : out.slice(at, at + n);
        out = concat(out.subarray(0, at), insert, out.subarray(at));
        break;
      }
      case 4: // deletion
        out = concat(out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + rng.int(MAX_INSERT))));
        break;
      case 5: case 6: // a header field (2, 4 or 8 bytes) rewritten to an extreme, possibly negated
        if (out.length > 0) {
          let value = rng.pick(EXTREMES);
          if (rng.int(4) === 0) value = -value;
          if (rng.int(4) === 0) value = BigInt(out.length + rng.int(3) - 1);
          writeField(out, at, rng.pick([2, 4, 4, 8]), value, rng.int(3) !== 0);
        }
        break;
      case 7: { // splice: a piece of another input over or into this one
        const other = rng.pick(pool);
        if (other.length === 0) break;
        const from = rng.int(other.length);
        const piece = other.subarray(from, from + 1 + rng.int(4096));
        out = rng.int(2) === 0 ? concat(out.subarray(0, at), piece, out.subarray(at + piece.length))
          : concat(out.subarray(0, at), piece, out.subarray(at));
        break;
      }
      default: { // a chunk duplicated elsewhere
        const n = 1 + rng.int(MAX_INSERT);
        const chunk = out.slice(at, at + n);
        const to = position(rng, out.length);
        out = concat(out.subarray(0, to), chunk, out.subarray(to));
      }
    }
  }
  return out;
}
