// SipHash-2-4 (Aumasson and Bernstein, 2012) on 32-bit halves: the datagram tag, computed in JavaScript with no allocation and no native call.

/** Bytes of a SipHash key. */
export const SIPHASH_KEY_BYTES = 16;
/** Bytes of a SipHash-2-4 tag. */
export const SIPHASH_TAG_BYTES = 8;

/** The last tag computed, low then high 32 bits (one call at a time: JavaScript runs one). */
const out = new Int32Array(2);

/** A little-endian u32 of `b` at `i`, as an int32. */
function word(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/**
 * SipHash-2-4 of `m[start, end)` under the key `(k0, k1)` (each as low and high 32 bits), into
 * `out`. Each 64-bit add is two 32-bit adds and a carry, each rotation four shifts; everything
 * stays in int32, so the JIT keeps it in registers.
 */
function sipHash(
  k0l: number,
  k0h: number,
  k1l: number,
  k1h: number,
  m: Uint8Array,
  start: number,
  end: number,
): void {
  let v0l = k0l ^ 0x70736575;
  let v0h = k0h ^ 0x736f6d65;
  let v1l = k1l ^ 0x6e646f6d;
  let v1h = k1h ^ 0x646f7261;
  let v2l = k0l ^ 0x6e657261;
  let v2h = k0h ^ 0x6c796765;
  let v3l = k1l ^ 0x79746573;
  let v3h = k1h ^ 0x74656462;
  const length = end - start;
  const full = end - (length & 7);
  let i = start;
  let rounds = 2;
  for (;;) {
    let ml = 0;
    let mh = 0;
    if (i < full) {
      ml = word(m, i);
      mh = word(m, i + 4);
      i += 8;
    } else if (i === full) {
      // The last block: the bytes left (0 to 7), the length's low byte in its top byte.
      const rest = end - full;
      mh = (length & 0xff) << 24;
      if (rest > 0) ml |= m[full];
      if (rest > 1) ml |= m[full + 1] << 8;
      if (rest > 2) ml |= m[full + 2] << 16;
      if (rest > 3) ml |= m[full + 3] << 24;
      if (rest > 4) mh |= m[full + 4];
      if (rest > 5) mh |= m[full + 5] << 8;
      if (rest > 6) mh |= m[full + 6] << 16;
      i = full + 8;
    } else {
      // Finalization: 0xff into v2, four rounds (an all-zero "block" changes nothing).
      rounds = 4;
      v2l ^= 0xff;
    }
    v3l ^= ml;
    v3h ^= mh;
    for (let r = 0; r < rounds; r++) {
      let l = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~l)) >>> 31)) | 0;
      v0l = l;
      let t = (v1l << 13) | (v1h >>> 19);
      v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
      v1l = t ^ v0l;
      t = v0l;
      v0l = v0h;
      v0h = t;
      l = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~l)) >>> 31)) | 0;
      v2l = l;
      t = (v3l << 16) | (v3h >>> 16);
      v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
      v3l = t ^ v2l;
      l = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~l)) >>> 31)) | 0;
      v0l = l;
      t = (v3l << 21) | (v3h >>> 11);
      v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
      v3l = t ^ v0l;
      l = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~l)) >>> 31)) | 0;
      v2l = l;
      t = (v1l << 17) | (v1h >>> 15);
      v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
      v1l = t ^ v2l;
      t = v2l;
      v2l = v2h;
      v2h = t;
    }
    if (rounds === 4) break;
    v0l ^= ml;
    v0h ^= mh;
  }
  out[0] = v0l ^ v1l ^ v2l ^ v3l;
  out[1] = v0h ^ v1h ^ v2h ^ v3h;
}

/**
 * SipHash-2-4 under one 128-bit key: a pseudo-random function built for short inputs, used as
 * a MAC with a 64-bit tag. Its tag is the reference implementation's: the 64-bit result in
 * little-endian byte order. About 0.1 us for a 40-byte datagram and 0.6 us for 350 bytes on
 * the bench machine, where one call into node:crypto costs 0.8 us or more.
 *
 * @example
 * const mac = new SipHash24(key); // 16 bytes
 * mac.tagInto(datagram, 0, end, datagram, end); // the tag after the bytes it covers
 * mac.verify(datagram, 0, end, end); // true
 */
export class SipHash24 {
  readonly #k0l: number;
  readonly #k0h: number;
  readonly #k1l: number;
  readonly #k1h: number;

  /** @param key {@link SIPHASH_KEY_BYTES} bytes (k0 then k1, each little-endian). */
  constructor(key: Uint8Array) {
    if (key.length !== SIPHASH_KEY_BYTES)
      throw new RangeError(`a SipHash key is ${SIPHASH_KEY_BYTES} bytes`);
    this.#k0l = word(key, 0);
    this.#k0h = word(key, 4);
    this.#k1l = word(key, 8);
    this.#k1h = word(key, 12);
  }

  /** Writes the tag of `data[start, end)` into `into` at `at` ({@link SIPHASH_TAG_BYTES} bytes). */
  tagInto(data: Uint8Array, start: number, end: number, into: Uint8Array, at: number): void {
    sipHash(this.#k0l, this.#k0h, this.#k1l, this.#k1h, data, start, end);
    const lo = out[0];
    const hi = out[1];
    into[at] = lo;
    into[at + 1] = lo >>> 8;
    into[at + 2] = lo >>> 16;
    into[at + 3] = lo >>> 24;
    into[at + 4] = hi;
    into[at + 5] = hi >>> 8;
    into[at + 6] = hi >>> 16;
    into[at + 7] = hi >>> 24;
  }

  /**
   * Whether the {@link SIPHASH_TAG_BYTES} bytes of `data` at `tagAt` are the tag of
   * `data[start, end)`, compared in time that does not depend on where they differ.
   */
  verify(data: Uint8Array, start: number, end: number, tagAt: number): boolean {
    sipHash(this.#k0l, this.#k0h, this.#k1l, this.#k1h, data, start, end);
    return ((word(data, tagAt) ^ out[0]) | (word(data, tagAt + 4) ^ out[1])) === 0;
  }
}
