/**
 * A small, fast, seeded pseudo-random number generator (mulberry32), for the link
 * conditioner and for tests that need reproducible randomness.
 *
 * Not for anything secret: it has 32 bits of state.
 */

/**
 * Creates a seeded pseudo-random number generator.
 *
 * The same seed always yields the same sequence, on every platform (it only uses 32-bit
 * integer arithmetic).
 *
 * @example
 * ```ts
 * const random = createRandom(42);
 * const roll = Math.floor(random() * 6) + 1; // the same "dice roll" on every run
 * ```
 *
 * @param seed Any finite number; it is truncated to an unsigned 32-bit integer
 * (`seed >>> 0`), so `1`, `1.5` and `2 ** 32 + 1` give the same sequence.
 * @returns A function returning the next number of the sequence, in `[0, 1)`.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
