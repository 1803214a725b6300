// Pooled byte arrays: zeroed, never overlapping, large ones on their own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pooledBytes } from '../../src/protocol/bytePool.js';

describe('pooledBytes', () => {
  it('gives zeroed arrays of the length asked that never share a byte (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 60 }), (lengths) => {
        const arrays = lengths.map((n) => {
          const a = pooledBytes(n);
          expect(a).toHaveLength(n);
          expect(a.every((b) => b === 0)).toBe(true);
          a.fill(0xff); // would show in a later array if any overlapped
          return a;
        });
        for (let i = 0; i < arrays.length; i++)
          for (let j = i + 1; j < arrays.length; j++) {
            const a = arrays[i];
            const b = arrays[j];
            if (a.buffer !== b.buffer) continue;
            const overlap =
              a.byteOffset < b.byteOffset + b.length && b.byteOffset < a.byteOffset + a.length;
            expect(overlap && a.length > 0 && b.length > 0).toBe(false);
          }
      }),
    );
  });

  it('gives an array over 4 KiB a buffer of its own', () => {
    const big = pooledBytes(4097);
    expect(big.buffer.byteLength).toBe(4097);
  });
});
