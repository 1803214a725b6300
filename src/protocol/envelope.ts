// The message envelope: magic, version and one msgpack array, written and checked.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { DecodeError } from '../errors.js';
import { HEADER_BYTES, Limits, MAGIC, PROTOCOL_VERSION, type CodecContext } from './messages.js';
import { pooledBytes } from './bytePool.js';
import { writeMsgpackInt } from './msgpackInt.js';
import { intBytes } from './msgpackSize.js';

// One encoder and one decoder for the whole process: encoding is synchronous, so they are
// never used by two callers at once. A reused Encoder is several times faster than encode().
const encoder = new Encoder({ ignoreUndefined: true, initialBufferSize: 2048 });
const decoder = new Decoder({
  maxStrLength: 4096,
  maxBinLength: Limits.tcpMessageBytes,
  maxArrayLength: Limits.maxTicksPerPacket,
  maxMapLength: 0,
  maxExtLength: 0,
});

/** Header + msgpack body in one new buffer. */
export function withHeader(body: unknown[]): Uint8Array {
  const ref = encoder.encodeSharedRef(body);
  const out = new Uint8Array(HEADER_BYTES + ref.length);
  out[0] = MAGIC[0]!;
  out[1] = MAGIC[1]!;
  out[2] = PROTOCOL_VERSION;
  out.set(ref, HEADER_BYTES);
  return out;
}

/**
 * The msgpack of `values` one after the other, as inside an array but without its header: a
 * run of fields encoded once and copied into many messages (the frames body of 6.2, the same
 * for every player sent the same frames).
 */
export function encodeFields(values: unknown[]): Uint8Array {
  if (values.length >= 16) throw new RangeError('encodeFields takes at most 15 values');
  return encoder.encode(values).subarray(1); // a fixarray's header is its one first byte
}

/**
 * A message as header, fixarray, the integers `ints`, the bytes `rest` (fields already
 * encoded, {@link encodeFields}, `restCount` of them) and the integer `last` if given, in one
 * new buffer, written by hand: byte for byte what {@link withHeader} writes for the same
 * fields (at most 15 in all).
 */
export function messageOf(
  ints: readonly number[],
  rest: Uint8Array,
  restCount: number,
  last?: number,
): Uint8Array {
  const count = ints.length + restCount + (last === undefined ? 0 : 1);
  if (count >= 16) throw new RangeError('messageOf writes at most 15 fields');
  let size = HEADER_BYTES + 1 + rest.length + (last === undefined ? 0 : intBytes(last));
  for (const v of ints) size += intBytes(v);
  const out = pooledBytes(size);
  out[0] = MAGIC[0]!;
  out[1] = MAGIC[1]!;
  out[2] = PROTOCOL_VERSION;
  out[3] = 0x90 | count;
  let at = HEADER_BYTES + 1;
  for (const v of ints) at = writeMsgpackInt(out, at, v);
  out.set(rest, at);
  if (last !== undefined) writeMsgpackInt(out, at + rest.length, last);
  return out;
}

/** Throws `RangeError` for a context no match can have: a bug in the caller. */
export function checkContext(ctx: CodecContext): void {
  if (!Number.isInteger(ctx.inputSize) || ctx.inputSize < 1 || ctx.inputSize > Limits.maxInputSize)
    throw new RangeError(`inputSize must be 1..${Limits.maxInputSize}`);
  if (!Number.isInteger(ctx.maxPlayers) || ctx.maxPlayers < 1 || ctx.maxPlayers > Limits.maxPlayers)
    throw new RangeError(`maxPlayers must be 1..${Limits.maxPlayers}`);
}

/**
 * Checks the header and decodes the msgpack body into its array, with the type first.
 * Throws `DecodeError` for anything else.
 */
export function decodeEnvelope(bytes: Uint8Array, maxBytes: number): unknown[] {
  if (bytes.length > maxBytes)
    throw new DecodeError('too-large', `message of ${bytes.length} bytes is over ${maxBytes}`);
  if (bytes.length < HEADER_BYTES + 1)
    throw new DecodeError('truncated', `message of ${bytes.length} bytes is too short`);
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1])
    throw new DecodeError('bad-magic', 'not a game-network message');
  if (bytes[2] !== PROTOCOL_VERSION)
    throw new DecodeError('bad-version', `protocol version ${bytes[2]} is not ${PROTOCOL_VERSION}`);
  let body: unknown;
  try {
    body = decoder.decode(bytes.subarray(HEADER_BYTES));
  } catch (err) {
    throw new DecodeError('malformed', 'body is not one valid msgpack value', { cause: err });
  }
  if (!Array.isArray(body) || body.length === 0)
    throw new DecodeError('malformed', 'body is not a non-empty array');
  const type: unknown = body[0];
  if (typeof type !== 'number' || !Number.isInteger(type))
    throw new DecodeError('malformed', 'message type is not an integer');
  return body as unknown[];
}

/** The DecodeError for a type tag this receiver does not expect on this channel. */
export function unknownType(type: unknown): never {
  throw new DecodeError('unknown-type', `unexpected message type ${String(type)}`);
}

/** The result of encoding a multi-tick packet: the bytes and how many ticks went in. */
export interface EncodedPacket {
  readonly bytes: Uint8Array;
  /** Ticks (oldest first) that fit in the budget. */
  readonly count: number;
}
