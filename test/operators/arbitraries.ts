import fc from 'fast-check';

/**
 * Every item of `items` at least once (some twice or more), in any order: what an
 * unreliable link that duplicates and reorders (but does not lose) makes of a sequence.
 */
export function permutedWithDuplicates<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  if (items.length === 0) return fc.constant([]);
  return fc
    .array(fc.nat({ max: items.length - 1 }), { maxLength: items.length * 2 })
    .chain((extra) => {
      const all = [...items, ...extra.map((index) => items[index])];
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
    });
}
