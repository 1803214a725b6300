// A replay file's framing: the preamble, then chunks (kind, length, payload, CRC-32), written and parsed incrementally.
import { crc32 } from './crc32.js';
import {
  CHUNK_HEAD_BYTES,
  CHUNK_TAIL_BYTES,
  PREAMBLE_BYTES,
  REPLAY_FORMAT_VERSION,
  REPLAY_MAGIC,
  ReplayLimits,
} from './format.js';
import { ReplayError } from './ReplayError.js';

/** The 10 bytes a replay file starts with: magic, then the format version (u16 LE). */
export function encodePreamble(): Uint8Array {
  const out = new Uint8Array(PREAMBLE_BYTES);
  out.set(REPLAY_MAGIC);
  out[8] = REPLAY_FORMAT_VERSION & 0xff;
  out[9] = REPLAY_FORMAT_VERSION >>> 8;
  return out;
}

/** One whole chunk: kind (u8), payload length (u32 LE), payload, CRC-32 (u32 LE) of all before it. */
export function encodeChunk(kind: number, payload: Uint8Array): Uint8Array {
  if (payload.length > ReplayLimits.maxChunkBytes)
    throw new RangeError(`replay chunk of ${payload.length} bytes is over the limit`);
  const out = new Uint8Array(CHUNK_HEAD_BYTES + payload.length + CHUNK_TAIL_BYTES);
  const n = payload.length;
  out[0] = kind;
  out[1] = n & 0xff;
  out[2] = (n >>> 8) & 0xff;
  out[3] = (n >>> 16) & 0xff;
  out[4] = (n >>> 24) & 0xff;
  out.set(payload, CHUNK_HEAD_BYTES);
  const crc = crc32(out, 0, CHUNK_HEAD_BYTES + n);
  const at = CHUNK_HEAD_BYTES + n;
  out[at] = crc & 0xff;
  out[at + 1] = (crc >>> 8) & 0xff;
  out[at + 2] = (crc >>> 16) & 0xff;
  out[at + 3] = (crc >>> 24) & 0xff;
  return out;
}

/** A chunk as read: its kind, its payload, and the file offsets of the chunk and of its payload. */
export interface RawChunk {
  readonly kind: number;
  readonly payload: Uint8Array;
  /** File offset of the chunk's kind byte. */
  readonly offset: number;
  /** File offset of the payload's first byte. */
  readonly payloadOffset: number;
}

/**
 * Splits bytes pushed in any pieces into checked chunks: the preamble first, then each chunk
 * once it is whole and its CRC matches. Holds at most one chunk's bytes (bounded by
 * `ReplayLimits.maxChunkBytes`). Throws ReplayError for a bad preamble, length or CRC.
 */
export class ChunkParser {
  private pending: Uint8Array = new Uint8Array(0);
  /** File offset of `pending[0]`. */
  private base = 0;
  private preambleRead = false;

  /** The file offset just after the last byte pushed. */
  get offset(): number {
    return this.base + this.pending.length;
  }

  /** True when no byte of an unfinished chunk is held. */
  get idle(): boolean {
    return this.pending.length === 0;
  }

  /** Adds bytes; returns the chunks they complete, in order. */
  push(bytes: Uint8Array): RawChunk[] {
    if (bytes.length > 0) {
      if (this.pending.length === 0) this.pending = bytes;
      else {
        const joined = new Uint8Array(this.pending.length + bytes.length);
        joined.set(this.pending);
        joined.set(bytes, this.pending.length);
        this.pending = joined;
      }
    }
    const out: RawChunk[] = [];
    let at = 0;
    const buf = this.pending;
    if (!this.preambleRead) {
      const seen = Math.min(buf.length, REPLAY_MAGIC.length);
      for (let i = 0; i < seen; i++)
        if (buf[i] !== REPLAY_MAGIC[i]) throw new ReplayError('bad-magic', 'not a replay file', i);
      if (buf.length < PREAMBLE_BYTES) return out;
      const version = buf[8] | (buf[9] << 8);
      if (version !== REPLAY_FORMAT_VERSION)
        throw new ReplayError(
          'bad-version',
          `replay format version ${version}, this library reads ${REPLAY_FORMAT_VERSION}`,
          8,
        );
      this.preambleRead = true;
      at = PREAMBLE_BYTES;
    }
    while (buf.length - at >= CHUNK_HEAD_BYTES) {
      const length =
        (buf[at + 1] | (buf[at + 2] << 8) | (buf[at + 3] << 16) | (buf[at + 4] << 24)) >>> 0;
      if (length > ReplayLimits.maxChunkBytes)
        throw new ReplayError(
          'bad-field',
          `chunk length ${length} is over ${ReplayLimits.maxChunkBytes}`,
          this.base + at + 1,
        );
      const whole = CHUNK_HEAD_BYTES + length + CHUNK_TAIL_BYTES;
      if (buf.length - at < whole) break;
      const crcAt = at + CHUNK_HEAD_BYTES + length;
      const stored =
        (buf[crcAt] | (buf[crcAt + 1] << 8) | (buf[crcAt + 2] << 16) | (buf[crcAt + 3] << 24)) >>>
        0;
      if (crc32(buf, at, crcAt) !== stored)
        throw new ReplayError('bad-checksum', 'chunk CRC-32 does not match', this.base + at);
      out.push({
        kind: buf[at],
        payload: buf.subarray(at + CHUNK_HEAD_BYTES, crcAt),
        offset: this.base + at,
        payloadOffset: this.base + at + CHUNK_HEAD_BYTES,
      });
      at += whole;
    }
    // Keep only the unfinished chunk; copy so the chunks handed out are not overwritten.
    this.pending = at === buf.length ? new Uint8Array(0) : buf.slice(at);
    this.base += at;
    return out;
  }
}
