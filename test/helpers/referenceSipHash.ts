// SipHash-2-4 written plainly on BigInt from the paper, to check the library's 32-bit version against.

const MASK = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

/** The 8-byte SipHash-2-4 tag (little-endian) of `message` under the 16-byte `key`. */
export function referenceSipHash(key: Uint8Array, message: Uint8Array): Uint8Array {
  const u64 = (b: Uint8Array, at: number): bigint => {
    let x = 0n;
    for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[at + i] ?? 0);
    return x;
  };
  const k0 = u64(key, 0);
  const k1 = u64(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  // The message padded with zeros to a multiple of 8 bytes less one, then its length mod 256.
  const blocks = Math.floor(message.length / 8) + 1;
  const padded = new Uint8Array(blocks * 8);
  padded.set(message);
  padded[padded.length - 1] = message.length & 0xff;
  for (let b = 0; b < blocks; b++) {
    const m = u64(padded, b * 8);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let r = 0; r < 4; r++) round();
  const h = v0 ^ v1 ^ v2 ^ v3;
  const tag = new Uint8Array(8);
  for (let i = 0; i < 8; i++) tag[i] = Number((h >> BigInt(8 * i)) & 0xffn);
  return tag;
}
