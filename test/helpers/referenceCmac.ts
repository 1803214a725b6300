// AES-CMAC written out from RFC 4493 with one fresh ECB cipher per block: a reference to check the transport's against.
import { createCipheriv } from 'node:crypto';

function encryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  ecb.setAutoPadding(false);
  return Uint8Array.from(ecb.update(block));
}

function shiftLeft(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 0xff;
  if (b[0] & 0x80) out[15] ^= 0x87;
  return out;
}

/** RFC 4493 section 2.4, step by step. */
export function referenceCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const l = encryptBlock(key, new Uint8Array(16));
  const k1 = shiftLeft(l);
  const k2 = shiftLeft(k1);
  const n = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  let x: Uint8Array = new Uint8Array(16);
  for (let i = 0; i < n; i++) {
    const block = new Uint8Array(16);
    const part = message.subarray(i * 16, i * 16 + 16);
    block.set(part);
    if (i === n - 1) {
      if (!complete) block[part.length] = 0x80;
      const k = complete ? k1 : k2;
      for (let j = 0; j < 16; j++) block[j] ^= k[j];
    }
    for (let j = 0; j < 16; j++) block[j] ^= x[j];
    x = encryptBlock(key, block);
  }
  return x;
}
