/**
 * A seeded pseudo-random generator (xorshift32) for the fuzz tests: the same seed replays the same cases.
 * Returns numbers in [0, 1).
 */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9; // xorshift never leaves 0
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
