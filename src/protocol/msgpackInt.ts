// msgpack integers written and read by hand: the hot datagrams' fixed fields, byte for byte as the msgpack encoder writes them.

/**
 * Writes `v` (a safe integer) at `at` in the shortest msgpack form, as `@msgpack/msgpack`'s
 * encoder does (positive fixint, uint 8/16/32/64; negative fixint, int 8/16/32/64).
 *
 * @returns The offset after it.
 * @throws {RangeError} for a value that is not a safe integer (a caller's bug).
 */
export function writeMsgpackInt(out: Uint8Array, at: number, v: number): number {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not a safe integer`);
  if (v >= 0) {
    if (v < 0x80) {
      out[at] = v;
      return at + 1;
    }
    if (v < 0x100) {
      out[at] = 0xcc;
      out[at + 1] = v;
      return at + 2;
    }
    if (v < 0x10000) {
      out[at] = 0xcd;
      out[at + 1] = v >>> 8;
      out[at + 2] = v;
      return at + 3;
    }
    if (v < 0x1_0000_0000) {
      out[at] = 0xce;
      writeU32(out, at + 1, v);
      return at + 5;
    }
    out[at] = 0xcf;
    writeU32(out, at + 1, Math.floor(v / 0x1_0000_0000));
    writeU32(out, at + 5, v >>> 0);
    return at + 9;
  }
  if (v >= -0x20) {
    out[at] = 0xe0 | (v + 0x20);
    return at + 1;
  }
  if (v >= -0x80) {
    out[at] = 0xd0;
    out[at + 1] = v;
    return at + 2;
  }
  if (v >= -0x8000) {
    out[at] = 0xd1;
    out[at + 1] = v >> 8;
    out[at + 2] = v;
    return at + 3;
  }
  if (v >= -0x8000_0000) {
    out[at] = 0xd2;
    writeU32(out, at + 1, v >>> 0);
    return at + 5;
  }
  out[at] = 0xd3;
  const hi = Math.floor(v / 0x1_0000_0000);
  writeU32(out, at + 1, hi >>> 0);
  writeU32(out, at + 5, (v - hi * 0x1_0000_0000) >>> 0);
  return at + 9;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** Where {@link readMsgpackInt} leaves what it read: the value, and the offset after it. */
export interface IntRead {
  value: number;
  end: number;
}

/**
 * Reads a msgpack integer of any of its forms (fixint, uint 8 to 32, int 8 to 32) at `at`
 * into `into`.
 *
 * @returns false if the byte there starts no such integer, or the bytes run out (the caller
 * then decodes the general way, which says what is wrong).
 */
export function readMsgpackInt(b: Uint8Array, at: number, end: number, into: IntRead): boolean {
  if (at >= end) return false;
  const t = b[at];
  if (t < 0x80) {
    into.value = t;
    into.end = at + 1;
    return true;
  }
  if (t >= 0xe0) {
    into.value = t - 0x100;
    into.end = at + 1;
    return true;
  }
  switch (t) {
    case 0xcc:
      if (at + 2 > end) return false;
      into.value = b[at + 1];
      into.end = at + 2;
      return true;
    case 0xcd:
      if (at + 3 > end) return false;
      into.value = (b[at + 1] << 8) | b[at + 2];
      into.end = at + 3;
      return true;
    case 0xce:
      if (at + 5 > end) return false;
      into.value = ((b[at + 1] << 24) | (b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]) >>> 0;
      into.end = at + 5;
      return true;
    case 0xd0:
      if (at + 2 > end) return false;
      into.value = (b[at + 1] << 24) >> 24;
      into.end = at + 2;
      return true;
    case 0xd1:
      if (at + 3 > end) return false;
      into.value = (((b[at + 1] << 8) | b[at + 2]) << 16) >> 16;
      into.end = at + 3;
      return true;
    case 0xd2:
      if (at + 5 > end) return false;
      into.value = (b[at + 1] << 24) | (b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4];
      into.end = at + 5;
      return true;
    default:
      return false; // 64-bit, float, or not an integer: the general decoder's business
  }
}
