// AES-CMAC on one long-lived cipher: the RFC 4493 and SP 800-38B vectors, and any sequence of messages against the reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cmac, sameTag } from '../../src/transport/node/cmac.js';
import { referenceCmac } from '../helpers/referenceCmac.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const M = hex(
  '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51' +
    '30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
);

describe('Cmac', () => {
  it('gives the RFC 4493 (AES-128) and SP 800-38B (AES-256) example tags, in any order', () => {
    const cases: [string, [number, string][]][] = [
      [
        '2b7e151628aed2a6abf7158809cf4f3c',
        [
          [0, 'bb1d6929e95937287fa37d129b756746'],
          [16, '070a16b46b4d4144f79bdd9dd04a287c'],
          [40, 'dfa66747de9ae63030ca32611497c827'],
          [64, '51f0bebf7e3b9d92fc49741779363cfe'],
        ],
      ],
      [
        '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
        [
          [0, '028962f61b7bf89efc6b551f4667d983'],
          [16, '28a7023f452e8f82bd4bf28d8c37c35c'],
          [40, 'aaf3d8f1de5640c232f5b169b9c911e6'],
          [64, 'e1992190549f6ed5696a2c056c315410'],
        ],
      ],
    ];
    for (const [key, vectors] of cases) {
      const cmac = new Cmac(hex(key));
      // Twice over, backwards the second time: each tag independent of the messages before.
      for (const [n, tag] of [...vectors, ...vectors.slice().reverse()])
        expect(toHex(cmac.tag([M.subarray(0, n)]))).toBe(tag);
    }
  });

  it('equals the step-by-step reference for any sequence of messages cut in any parts (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (key, messages) => {
          const cmac = new Cmac(key);
          for (const parts of messages) {
            const whole = Uint8Array.from(Buffer.concat(parts));
            const copies = parts.map((p) => p.slice());
            expect(toHex(cmac.tag(parts))).toBe(toHex(referenceCmac(key, whole)));
            expect(parts).toEqual(copies); // the parts are not changed
          }
        },
      ),
    );
  });

  it('grows its buffer for a long message, and refuses a key that is not an AES key', () => {
    const key = new Uint8Array(32).fill(7);
    const long = new Uint8Array(5000).map((_, i) => i & 0xff);
    expect(toHex(new Cmac(key).tag([long]))).toBe(toHex(referenceCmac(key, long)));
    expect(() => new Cmac(new Uint8Array(20))).toThrow(RangeError);
  });

  it('compares tags on all 16 bytes', () => {
    const tag = new Uint8Array(16).fill(5);
    const d = Uint8Array.of(1, 2, ...tag);
    expect(sameTag(d, 2, tag)).toBe(true);
    for (let i = 0; i < 16; i++) {
      const e = d.slice();
      e[2 + i] ^= 0x40;
      expect(sameTag(e, 2, tag)).toBe(false);
    }
  });
});
