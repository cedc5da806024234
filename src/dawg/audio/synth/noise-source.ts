/**
 * Seeded white noise (xorshift32). Every noisy part of a render draws from one of these,
 * seeded per note, so the same input gives bit-identical audio and adding a note does not
 * change the noise of the others.
 */
export class NoiseSource {
  private state = 1;

  reseed(seed: number): void {
    // xorshift has a fixed point at 0; any other 32-bit state is fine.
    this.state = seed >>> 0 || 0x6d2b79f5;
  }

  /** Uniform in [-1, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 2_147_483_648 - 1;
  }

  /** Adds `n` samples × `level` into `a` and the same samples into `b` if given. */
  addTo(level: number, n: number, a: Float64Array, b?: Float64Array): void {
    let x = this.state;
    const scale = level / 2_147_483_648;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      const w = x * scale - level;
      a[i] = (a[i] as number) + w;
      if (b) b[i] = (b[i] as number) + w;
    }
    this.state = x;
  }
}

/** A well-mixed 32-bit hash of a few integers (murmur3 finaliser per word). */
export function hashInts(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
