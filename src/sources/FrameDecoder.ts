import { MessageTooLargeError, TruncatedMessageError } from '../errors.js';

/** Bytes in the length prefix of a framed TCP message (a big-endian unsigned 32-bit integer). */
export const LENGTH_PREFIX_BYTES = 4;

/** The largest length a 4-byte prefix can hold. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

/** Reads a big-endian unsigned 32-bit integer at `offset`. */
function readUint32BE(bytes: Uint8Array, offset: number): number {
  return (
    bytes[offset] * 0x100_0000 +
    ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3])
  );
}

/**
 * Turns a TCP byte stream, in chunks of any size, back into whole length-prefixed messages.
 *
 * Internal to `src/sources` (used by `fromTcpSocket`, exported for its tests). Each frame is a
 * 4-byte big-endian unsigned length followed by that many payload bytes. The decoder keeps at
 * most one unfinished message: the 4-byte prefix while it is incomplete, then a buffer of
 * exactly the announced length, allocated only once the length is known to be within
 * `maxMessageBytes`. Every payload byte is copied once, from the chunk into a fresh buffer that
 * is handed out and never touched again, so emitted payloads never alias a chunk or each other.
 *
 * A length over `maxMessageBytes` fails the decoder for good: `push` throws
 * {@link MessageTooLargeError} as soon as the prefix is read, before any of the body is buffered.
 *
 * @example
 * const decoder = new FrameDecoder(65536);
 * decoder.push(Uint8Array.of(0, 0, 0, 2, 7), (m) => console.log(m)); // nothing yet
 * decoder.push(Uint8Array.of(8), (m) => console.log(m)); // Uint8Array [7, 8]
 * decoder.end(); // undefined: the stream stopped at a message boundary
 */
export class FrameDecoder {
  /** The prefix while it is coming in over several chunks. */
  readonly #prefix = new Uint8Array(LENGTH_PREFIX_BYTES);
  #prefixFilled = 0;
  /** The payload being filled, once its prefix has been read; `undefined` between messages. */
  #body: Uint8Array | undefined = undefined;
  #bodyFilled = 0;
  #failure: MessageTooLargeError | undefined = undefined;

  /**
   * @param maxMessageBytes The largest payload accepted, in bytes (an integer from 0 to
   * 0xFFFFFFFF). A longer announced length is a {@link MessageTooLargeError}.
   */
  constructor(readonly maxMessageBytes: number) {
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0) {
      throw new RangeError(
        `maxMessageBytes must be a non-negative integer, got ${maxMessageBytes}`,
      );
    }
  }

  /** Bytes of the current unfinished frame held so far (prefix included); 0 at a boundary. */
  get pendingBytes(): number {
    return this.#body === undefined ? this.#prefixFilled : LENGTH_PREFIX_BYTES + this.#bodyFilled;
  }

  /**
   * Feeds the next chunk of the stream; calls `onMessage` for each message it completes, in
   * order. The decoder's state is up to date before each call, so `onMessage` may re-enter.
   * `onMessage` must not throw: the rest of the chunk would be lost.
   *
   * @param chunk The next bytes of the stream, any length (read, never kept).
   * @param onMessage Called with each whole payload, a fresh buffer the caller may keep.
   * @throws {MessageTooLargeError} when a prefix announces more than `maxMessageBytes`; the
   * messages before it in the chunk have been passed to `onMessage`, and every later `push`
   * throws the same error.
   */
  push(chunk: Uint8Array, onMessage: (payload: Uint8Array) => void): void {
    if (this.#failure !== undefined) throw this.#failure;
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      if (this.#body === undefined) {
        let length: number;
        if (this.#prefixFilled === 0 && end - offset >= LENGTH_PREFIX_BYTES) {
          length = readUint32BE(chunk, offset);
          offset += LENGTH_PREFIX_BYTES;
        } else {
          const take = Math.min(LENGTH_PREFIX_BYTES - this.#prefixFilled, end - offset);
          this.#prefix.set(chunk.subarray(offset, offset + take), this.#prefixFilled);
          this.#prefixFilled += take;
          offset += take;
          if (this.#prefixFilled < LENGTH_PREFIX_BYTES) return;
          this.#prefixFilled = 0;
          length = readUint32BE(this.#prefix, 0);
        }
        if (length > this.maxMessageBytes) {
          this.#failure = new MessageTooLargeError(length, this.maxMessageBytes);
          throw this.#failure;
        }
        if (end - offset >= length) {
          // The whole payload is in this chunk: one copy, no intermediate state.
          const payload = new Uint8Array(length);
          payload.set(chunk.subarray(offset, offset + length));
          offset += length;
          onMessage(payload);
          continue;
        }
        this.#body = new Uint8Array(length);
        this.#bodyFilled = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFilled, end - offset);
      body.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
      this.#bodyFilled += take;
      offset += take;
      if (this.#bodyFilled === body.length) {
        this.#body = undefined;
        this.#bodyFilled = 0;
        onMessage(body);
      }
    }
  }

  /**
   * Says the stream has ended; tells whether it ended in the middle of a frame.
   *
   * @returns `undefined` at a message boundary, otherwise a {@link TruncatedMessageError} whose
   * byte counts include the 4-byte prefix (while the prefix itself is incomplete, the expected
   * count is 4, the real length being unknown).
   */
  end(): TruncatedMessageError | undefined {
    if (this.#body !== undefined) {
      return new TruncatedMessageError(
        LENGTH_PREFIX_BYTES + this.#bodyFilled,
        LENGTH_PREFIX_BYTES + this.#body.length,
      );
    }
    if (this.#prefixFilled > 0) {
      return new TruncatedMessageError(this.#prefixFilled, LENGTH_PREFIX_BYTES);
    }
    return undefined;
  }
}
