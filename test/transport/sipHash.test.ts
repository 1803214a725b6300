// SipHash-2-4 on 32-bit halves: the paper's vectors, and any key and message against a plain BigInt version.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipHash24 } from '../../src/transport/node/sipHash.js';
import { referenceSipHash } from '../helpers/referenceSipHash.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The reference implementation's vectors (key 00..0f, message 00..n-1), n = 0..15. */
const VECTORS = [
  '310e0edd47db6f72',
  'fd67dc93c539f874',
  '5a4fa9d909806c0d',
  '2d7efbd796666785',
  'b7877127e09427cf',
  '8da699cd64557618',
  'cee3fe586e46c9cb',
  '37d1018bf50002ab',
  '6224939a79f5f593',
  'b0e4a90bdf82009e',
  'f3b9dd94c5bb5d7a',
  'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75',
  '903d84c02756ea14',
  'eef27a8e90ca23f7',
  'e545be4961ca29a1',
];

describe('SipHash24', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);

  it('gives the reference vectors', () => {
    const mac = new SipHash24(key);
    VECTORS.forEach((want, n) => {
      const m = Uint8Array.from({ length: n }, (_, i) => i);
      const tag = new Uint8Array(8);
      mac.tagInto(m, 0, n, tag, 0);
      expect(toHex(tag)).toBe(want);
      expect(toHex(referenceSipHash(key, m))).toBe(want);
    });
  });

  it('agrees with the BigInt reference for any key, message and offset (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(20),
        (k, message, offset) => {
          const mac = new SipHash24(k);
          const buffer = new Uint8Array(offset + message.length + 8);
          buffer.set(message, offset);
          mac.tagInto(buffer, offset, offset + message.length, buffer, offset + message.length);
          const want = referenceSipHash(k, message);
          expect(toHex(buffer.subarray(offset + message.length))).toBe(toHex(want));
          expect(mac.verify(buffer, offset, offset + message.length, offset + message.length)).toBe(
            true,
          );
          const wrong = buffer.slice();
          wrong[wrong.length - 1 - (message.length % 8)] ^= 0x40;
          expect(mac.verify(wrong, offset, offset + message.length, offset + message.length)).toBe(
            false,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a key that is not 16 bytes', () => {
    expect(() => new SipHash24(new Uint8Array(32))).toThrow(RangeError);
  });
});
