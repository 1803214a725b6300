import { DecodeError } from '../errors.js';

/**
 * Writes bits most-significant first into a growing byte buffer.
 * One writer can be reused: `reset()` keeps its buffer.
 */
export class BitWriter {
  private buf: Uint8Array;
  private bitPos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.bitPos;
  }

  reset(): void {
    // Only the bytes touched need clearing: writes OR into the buffer.
    this.buf.fill(0, 0, (this.bitPos + 7) >>> 3);
    this.bitPos = 0;
  }

  private ensure(extraBits: number): void {
    const needBytes = (this.bitPos + extraBits + 7) >>> 3;
    if (needBytes <= this.buf.length) return;
    const next = new Uint8Array(Math.max(needBytes, this.buf.length * 2));
    next.set(this.buf);
    this.buf = next;
  }

  /** Writes one bit (0 or 1). */
  writeBit(bit: number): void {
    this.ensure(1);
    if (bit) this.buf[this.bitPos >>> 3] |= 0x80 >>> (this.bitPos & 7);
    this.bitPos++;
  }

  /** Writes the first `bitCount` bits of `bytes`, most significant bit of byte 0 first. */
  writeBits(bytes: Uint8Array, bitCount: number): void {
    this.ensure(bitCount);
    const shift = this.bitPos & 7;
    let dst = this.bitPos >>> 3;
    const fullBytes = bitCount >>> 3;
    const buf = this.buf;
    if (shift === 0) {
      for (let i = 0; i < fullBytes; i++) buf[dst++] = bytes[i]!;
    } else {
      for (let i = 0; i < fullBytes; i++) {
        const b = bytes[i];
        buf[dst] |= b >>> shift;
        buf[++dst] = (b << (8 - shift)) & 0xff;
      }
    }
    this.bitPos += fullBytes << 3;
    const rest = bitCount & 7;
    if (rest > 0) {
      const last = bytes[fullBytes] & (0xff << (8 - rest)) & 0xff;
      const s = this.bitPos & 7;
      const d = this.bitPos >>> 3;
      buf[d] |= last >>> s;
      if (s + rest > 8) buf[d + 1] = (last << (8 - s)) & 0xff;
      this.bitPos += rest;
    }
  }

  /** A copy of the bytes written, the last one padded with zero bits. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, (this.bitPos + 7) >>> 3);
  }
}

/**
 * Reads bits most-significant first. Reading past the end throws a `DecodeError`
 * (code `bad-field`): the bytes came from the network and are not trusted.
 */
export class BitReader {
  private bitPos = 0;
  private readonly totalBits: number;

  constructor(private readonly bytes: Uint8Array) {
    this.totalBits = bytes.length * 8;
  }

  /** Bits not read yet. */
  get remaining(): number {
    return this.totalBits - this.bitPos;
  }

  /** The position of the next bit to read, in bits from the start. */
  get position(): number {
    return this.bitPos;
  }

  /** The bytes read (the reader's own view of them: not to be written). */
  get source(): Uint8Array {
    return this.bytes;
  }

  /** Bits in all: `source.length * 8`. */
  get bitLength(): number {
    return this.totalBits;
  }

  /**
   * Moves the reading position to `position`, in 0 .. `bitLength` (a caller that read some
   * bits from `source` itself).
   */
  seek(position: number): void {
    if (!(position >= 0 && position <= this.totalBits)) throw overrun();
    this.bitPos = position;
  }

  /** Moves past `bitCount` bits without reading them (throws if fewer are left). */
  skip(bitCount: number): void {
    if (bitCount > this.remaining) throw overrun();
    this.bitPos += bitCount;
  }

  /**
   * Reads `bitCount` bits from `position` (one already passed) as `readBits` would have
   * there (into `out` at `offset` when given, else into a new array of `byteLength` bytes);
   * the reading position does not move.
   */
  readBitsAt(
    position: number,
    bitCount: number,
    byteLength: number,
    out?: Uint8Array,
    offset = 0,
  ): Uint8Array {
    const at = this.bitPos;
    this.bitPos = position;
    try {
      return this.readBits(bitCount, byteLength, out, offset);
    } finally {
      this.bitPos = at;
    }
  }

  readBit(): number {
    if (this.bitPos >= this.totalBits) throw overrun();
    const bit = (this.bytes[this.bitPos >>> 3] >>> (7 - (this.bitPos & 7))) & 1;
    this.bitPos++;
    return bit;
  }

  /**
   * Reads `bitCount` bits into a new array of `byteLength` bytes, zero-padded at the end; or,
   * with `out`, into its `ceil(bitCount / 8)` bytes from `offset` (the last one zero-padded),
   * returning `out`.
   */
  readBits(bitCount: number, byteLength: number, out?: Uint8Array, offset = 0): Uint8Array {
    if (bitCount > this.remaining) throw overrun();
    if (out === undefined) {
      out = new Uint8Array(byteLength);
      offset = 0;
    }
    const src = this.bytes;
    const shift = this.bitPos & 7;
    let pos = this.bitPos >>> 3;
    const fullBytes = bitCount >>> 3;
    if (shift === 0) {
      for (let i = 0; i < fullBytes; i++) out[offset + i] = src[pos++]!;
    } else {
      for (let i = 0; i < fullBytes; i++) {
        out[offset + i] = ((src[pos] << shift) | ((src[pos + 1] ?? 0) >>> (8 - shift))) & 0xff;
        pos++;
      }
    }
    this.bitPos += fullBytes << 3;
    const rest = bitCount & 7;
    if (rest > 0) {
      let v = 0;
      for (let i = 0; i < rest; i++) v = (v << 1) | this.readBit();
      out[offset + fullBytes] = (v << (8 - rest)) & 0xff;
    }
    return out;
  }

  /** Throws unless everything left is zero padding of less than one byte. */
  expectEnd(): void {
    if (this.remaining >= 8) {
      throw new DecodeError('bad-field', `${this.remaining} bits left over in a bit field`);
    }
    while (this.remaining > 0) {
      if (this.readBit() !== 0) throw new DecodeError('bad-field', 'non-zero padding bits');
    }
  }
}

function overrun(): DecodeError {
  return new DecodeError('bad-field', 'bit field ends early');
}
