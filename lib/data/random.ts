// A small seeded PRNG for data generation: xoshiro128** seeded through splitmix32.
// Seeded generators make synthetic data reproducible across runs and machines (Math.random is not).

/** splitmix32 step: spreads nearby seeds (0, 1, 2, ...) over unrelated states. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Box–Muller yields normals in pairs; the second one is kept for the next call. */
  private spareNormal: number | null = null;

  /**
   * `seed`: any safe integer. `stream`: an independent sequence for the same seed (e.g. one for the
   * parameters of a distribution and one per split, so a split does not depend on the others' sizes).
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(stream)) {
      throw new RangeError(`Random: seed and stream must be safe integers, got ${seed} and ${stream}`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / 4294967296) >>> 0;
    let state = low;
    let out: number;
    [state, out] = splitmix32(state ^ Math.imul(high, 0x27d4eb2f));
    [state, out] = splitmix32(state ^ out ^ Math.imul(stream >>> 0, 0x165667b1));
    const words: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      [state, out] = splitmix32(state);
      words.push(out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    // xoshiro's only forbidden state is all zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.uint32() >>> 5; // 27 bits
    const low = this.uint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in 0..n-1. */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform())); // 1 - u is in (0, 1]: no log(0)
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
