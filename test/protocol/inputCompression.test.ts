import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { BitReader, BitWriter } from '../../src/protocol/bits.js';
import {
  compressInputs,
  decompressInputs,
  readInputSequence,
  sameBits,
  writeInputSequence,
} from '../../src/protocol/inputCompression.js';

/** Bits of `bytes` as a 0/1 array, `n` of them. */
function bitsOf(bytes: Uint8Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((bytes[i >>> 3] >>> (7 - (i & 7))) & 1);
  return out;
}

/** A 3-bit input from its bits, most significant first, as the original library wrote them. */
function input3(b0: number, b1: number, b2: number): Uint8Array {
  return Uint8Array.of((b0 << 7) | (b1 << 6) | (b2 << 5));
}

describe('input compression', () => {
  it('compresses the original library vector [1,1,0],[1,1,0] to 1,1,1,0,0', () => {
    const writer = new BitWriter(1);
    writeInputSequence(writer, [input3(1, 1, 0), input3(1, 1, 0)], 3);
    expect(writer.bitLength).toBe(5);
    expect(bitsOf(writer.toBytes(), 5)).toEqual([1, 1, 1, 0, 0]);
    const back = readInputSequence(new BitReader(writer.toBytes()), 2, 3);
    expect(back).toEqual([input3(1, 1, 0), input3(1, 1, 0)]);
  });

  it('writes a changed input as 1 + bits and a repeat as a single 0', () => {
    const a = Uint8Array.of(0xab, 0xcd);
    const b = Uint8Array.of(0x00, 0x01);
    const bytes = compressInputs([a, a, b, b, b], 16);
    // 17 + 1 + 17 + 1 + 1 = 37 bits -> 5 bytes
    expect(bytes.length).toBe(5);
    expect(decompressInputs(bytes, 5, 16)).toEqual([a, a, b, b, b]);
  });

  it('ignores bits past bitLength when comparing', () => {
    expect(sameBits(Uint8Array.of(0b10100000), Uint8Array.of(0b10111111), 3)).toBe(true);
    expect(sameBits(Uint8Array.of(0b10100000), Uint8Array.of(0b10011111), 3)).toBe(false);
  });

  it('rejects a sequence that starts with a repeat, runs short, or has extra bits', () => {
    expect(() => decompressInputs(Uint8Array.of(0), 1, 8)).toThrow(DecodeError);
    expect(() => decompressInputs(Uint8Array.of(0x80), 1, 8)).toThrow(DecodeError);
    expect(() => decompressInputs(Uint8Array.of(0x80, 0x40, 0), 1, 8)).toThrow(DecodeError);
    // non-zero padding
    expect(() => decompressInputs(Uint8Array.of(0xff, 0xff), 1, 8)).toThrow(DecodeError);
  });

  it('round-trips any sequence of inputs of any bit length (property)', () => {
    const arb = fc.integer({ min: 1, max: 40 }).chain((bitLength) => {
      const bytes = (bitLength + 7) >>> 3;
      const mask = bitLength % 8 === 0 ? 0xff : (0xff << (8 - (bitLength % 8))) & 0xff;
      const one = fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((a) => {
        const c = a.slice();
        c[bytes - 1] &= mask; // inputs carry no bits past bitLength
        return c;
      });
      // Few distinct values so repeats are common.
      return fc.tuple(
        fc.constant(bitLength),
        fc
          .array(one, { minLength: 1, maxLength: 4 })
          .chain((pool) => fc.array(fc.constantFrom(...pool), { maxLength: 60 })),
      );
    });
    fc.assert(
      fc.property(arb, ([bitLength, inputs]) => {
        const bytes = compressInputs(inputs, bitLength);
        expect(decompressInputs(bytes, inputs.length, bitLength)).toEqual(inputs);
      }),
    );
  });

  it('never throws anything but DecodeError on random bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 24 }),
        (bytes, count, bitLength) => {
          try {
            decompressInputs(bytes, count, bitLength);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        },
      ),
    );
  });
});
