// AES-CMAC (NIST SP 800-38B, RFC 4493) on one long-lived node:crypto cipher: the seal before SipHash-2-4, kept here to measure against it.
import { createCipheriv, type Cipher } from 'node:crypto';

/** Bytes of an AES block, and of a CMAC tag. */
export const CMAC_BYTES = 16;

/** The block doubled in GF(2^128) (SP 800-38B's subkey step): shift left by one, xor 0x87 on carry. */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(CMAC_BYTES);
  for (let i = 0; i < CMAC_BYTES - 1; i++) out[i] = ((block[i] << 1) | (block[i + 1] >>> 7)) & 0xff;
  out[CMAC_BYTES - 1] = (block[CMAC_BYTES - 1] << 1) & 0xff;
  if (block[0] & 0x80) out[CMAC_BYTES - 1] ^= 0x87;
  return out;
}

/**
 * Computes AES-CMAC tags under one key. CMAC is CBC-MAC with the last block masked by a
 * subkey; this keeps one AES-CBC cipher open for the whole life of the key and feeds it each
 * message in turn. A CBC stream chains each message's first block to the last ciphertext
 * block of the message before, so that block is xored into the next message's first block
 * again: each message is then enciphered as from a zero IV, and its last ciphertext block is
 * its CMAC. One native call per message (node:crypto has no re-keyable cipher, and building
 * one per message is what costs: the key schedule).
 *
 * Not safe for concurrent use (there is none: JavaScript runs one call at a time).
 *
 * @example
 * const cmac = new Cmac(key); // 16, 24 or 32 bytes: AES-128, -192 or -256
 * const tag = cmac.tag([header, message]);
 */
export class Cmac {
  readonly #cbc: Cipher;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;
  /** The last ciphertext block the CBC stream gave out (its IV at first: zero). */
  readonly #chain = new Uint8Array(CMAC_BYTES);
  #scratch = new Uint8Array(2048);

  /** @param key An AES key: 16, 24 or 32 bytes. */
  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32)
      throw new RangeError('an AES key is 16, 24 or 32 bytes');
    const bits = key.length * 8;
    const ecb = createCipheriv(`aes-${bits}-ecb`, key, null);
    ecb.setAutoPadding(false);
    const l = ecb.update(new Uint8Array(CMAC_BYTES));
    this.#k1 = double(l);
    this.#k2 = double(this.#k1);
    this.#cbc = createCipheriv(`aes-${bits}-cbc`, key, new Uint8Array(CMAC_BYTES));
    this.#cbc.setAutoPadding(false);
  }

  /**
   * The CMAC of the concatenation of `parts`. The parts are copied, not changed.
   *
   * @returns A fresh 16-byte tag.
   */
  tag(parts: readonly Uint8Array[]): Uint8Array {
    let length = 0;
    for (const p of parts) length += p.length;
    const blocks = Math.max(1, Math.ceil(length / CMAC_BYTES));
    const padded = blocks * CMAC_BYTES;
    if (this.#scratch.length < padded) this.#scratch = new Uint8Array(padded * 2);
    const s = this.#scratch;
    let at = 0;
    for (const p of parts) {
      s.set(p, at);
      at += p.length;
    }
    // The last block: whole, masked by K1; or padded with 10..0, masked by K2.
    const whole = length > 0 && length % CMAC_BYTES === 0;
    if (!whole) {
      s[length] = 0x80;
      s.fill(0, length + 1, padded);
    }
    const k = whole ? this.#k1 : this.#k2;
    const last = padded - CMAC_BYTES;
    for (let i = 0; i < CMAC_BYTES; i++) s[last + i] ^= k[i];
    // Undo the stream's chaining into this message's first block: enciphered as from IV 0.
    const chain = this.#chain;
    for (let i = 0; i < CMAC_BYTES; i++) s[i] ^= chain[i];
    const out = this.#cbc.update(s.subarray(0, padded));
    if (out.length !== padded) throw new Error('AES-CBC held back part of a block-aligned input');
    const tag = out.subarray(padded - CMAC_BYTES);
    chain.set(tag);
    return tag;
  }
}

/** True when the 16 bytes of `a` from `aAt` equal `tag`, in time that does not depend on where they differ. */
export function sameTag(a: Uint8Array, aAt: number, tag: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < CMAC_BYTES; i++) diff |= a[aAt + i] ^ tag[i];
  return diff === 0;
}
