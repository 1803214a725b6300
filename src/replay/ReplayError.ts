// The one error a replay reader throws: what was wrong with the bytes, and the byte offset where.
import { GameNetworkError } from '../errors.js';

/** What was wrong with a replay file. */
export const ReplayErrorCode = {
  /** The first bytes are not the replay magic: not a replay file. */
  BadMagic: 'bad-magic',
  /** A replay format version this library does not read. */
  BadVersion: 'bad-version',
  /** The bytes end before the End chunk (a partial or cut file). */
  Truncated: 'truncated',
  /** A chunk whose CRC-32 does not match its bytes. */
  BadChecksum: 'bad-checksum',
  /** A chunk of a kind that must not be there, or in the wrong place. */
  BadChunk: 'bad-chunk',
  /** A length, count or value out of range, or a chunk's bytes that do not add up. */
  BadField: 'bad-field',
  /** A stream that was already read, read again. */
  Consumed: 'consumed',
} as const;
export type ReplayErrorCode = (typeof ReplayErrorCode)[keyof typeof ReplayErrorCode];

/**
 * A replay file that cannot be read: refused, with the reason and the offset (in bytes from the
 * start of the file) of the chunk or field that is wrong. Never a crash: readers throw only this.
 */
export class ReplayError extends GameNetworkError {
  override name = 'ReplayError';
  constructor(
    /** What is wrong with the file. */
    readonly code: ReplayErrorCode,
    message: string,
    /** Bytes from the start of the file to the chunk or field that is wrong. */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`${message} (at byte ${offset})`, options);
  }
}
