// Where the sequence number sits in an encoded Inputs or Frames packet, and a copy of one with another.
import { HEADER_BYTES, MessageType } from './messages.js';

/**
 * Where `seq` is in an Inputs or Frames packet: after the header, the array's one-byte
 * header (a fixarray of 7 to 12) and the type (a positive fixint); itself a positive fixint
 * (0..127), one byte (docs/protocol.md, sections 6.1, 6.2 and 9).
 */
export const SEQ_AT = HEADER_BYTES + 2;

/**
 * Whether `bytes` has the layout {@link withSeq} rewrites: a fixarray, the type Inputs or
 * Frames (each a one-byte fixint) and a one-byte `seq`, at their places.
 */
export function hasSeqByte(bytes: Uint8Array): boolean {
  return (
    bytes.length > SEQ_AT &&
    (bytes[HEADER_BYTES] & 0xf0) === 0x90 &&
    (bytes[HEADER_BYTES + 1] === MessageType.Inputs ||
      bytes[HEADER_BYTES + 1] === MessageType.Frames) &&
    bytes[SEQ_AT] < 0x80
  );
}

/**
 * A copy of the encoded Inputs or Frames packet `bytes` with `seq` (0..127) in place of its
 * own: everything else byte for byte the same.
 * @throws {RangeError} when `bytes` is not such a packet.
 */
export function withSeq(bytes: Uint8Array, seq: number): Uint8Array {
  if (!hasSeqByte(bytes)) throw new RangeError('not an Inputs or Frames packet');
  if (!(Number.isInteger(seq) && seq >= 0 && seq <= 0x7f))
    throw new RangeError('seq must be an integer in 0..127');
  const copy = bytes.slice();
  copy[SEQ_AT] = seq;
  return copy;
}
