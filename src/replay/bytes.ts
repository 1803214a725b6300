// Little-endian byte writing and bounds-checked reading for replay chunks; a reader error is a ReplayError with the offset.
import { ReplayError, type ReplayErrorCode } from './ReplayError.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends little-endian integers and bytes to a growing buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.pos + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 24) & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A u8 length then the UTF-8 bytes. */
  name(s: string): void {
    const b = encoder.encode(s);
    if (b.length > 255) throw new RangeError(`name '${s}' is over 255 UTF-8 bytes`);
    this.u8(b.length);
    this.bytes(b);
  }

  /** A copy of what was written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/**
 * Reads little-endian integers and bytes from one chunk's payload. Every read is checked: past
 * the end is a `bad-field` ReplayError naming the file offset of the byte that is missing.
 */
export class ByteReader {
  private pos = 0;

  /** @param base The file offset of `bytes[0]`, for errors. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
  ) {}

  /** The file offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(message: string, code: ReplayErrorCode = 'bad-field', at = this.offset): never {
    throw new ReplayError(code, message, at);
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) this.fail(`chunk ends inside ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.bytes;
    const v = b[this.pos] | (b[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    const v = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    this.pos += 4;
    return v;
  }

  /** An integer field in `min..max`, else a `bad-field` error at the field. */
  ranged(v: number, min: number, max: number, what: string, at: number): number {
    if (v < min || v > max) this.fail(`${what} ${v} is not in ${min}..${max}`, 'bad-field', at);
    return v;
  }

  /** `n` bytes (a view, not a copy). */
  bytesOf(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A u8 length and that many bytes of valid UTF-8, at most `maxBytes`. */
  name(maxBytes: number, what: string): string {
    const at = this.offset;
    const n = this.u8(what);
    if (n > maxBytes) this.fail(`${what} of ${n} bytes is over ${maxBytes}`, 'bad-field', at);
    const raw = this.bytesOf(n, what);
    try {
      return decoder.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`, 'bad-field', at + 1);
    }
  }

  /** Throws unless the payload is read to its last byte. */
  expectEnd(what: string): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} bytes left over in ${what}`);
  }
}
