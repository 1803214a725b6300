// The Inputs packet (client to server): encoded to fill a byte budget, and decoded with every check.
import { BitReader, BitWriter } from './bits.js';
import {
  checkContext,
  decodeEnvelope,
  unknownType,
  withHeader,
  type EncodedPacket,
} from './envelope.js';
import { ackTick, bin, fail, uint } from './fields.js';
import { compressedBitCost, readInputSequence, writeInputSequence } from './inputCompression.js';
import {
  HEADER_BYTES,
  Limits,
  MessageType,
  type ChecksumReport,
  type ClientUdpMessage,
  type CodecContext,
  type InputsPacket,
} from './messages.js';
import { readInputsPacket } from './inputsRead.js';
import { arrayHeaderBytes, binHeaderBytes, intBytes } from './msgpackSize.js';

const bitWriter = new BitWriter(2048);

/**
 * Encodes an inputs packet with as many of `packet.inputs` (oldest first) as fit in
 * `budgetBytes`. `count` may be less than `inputs.length`; it is 0 only if not even the
 * packet without inputs fits.
 */
export function encodeInputsPacket(
  packet: InputsPacket,
  ctx: CodecContext,
  budgetBytes: number = Limits.datagramBytes,
): EncodedPacket {
  const bitLength = ctx.inputSize * 8;
  const inputs = packet.inputs;
  const checksums = packet.checksums.slice(0, Limits.maxChecksumsPerPacket);
  const frameAckDelta = packet.firstTick - packet.frameAck;
  // The optional tail: sentAt, checksums, rttMs, jitterMs; absent ones inside it are nil,
  // absent ones at its end are left out.
  const tail: unknown[] = [
    packet.sentAt ?? null,
    checksums.length > 0 ? checksums.map((c) => [c.tick, c.checksum]) : null,
    ...(packet.linkReport ? [packet.linkReport.rttMs, packet.linkReport.jitterMs] : []),
  ];
  while (tail.length > 0 && tail[tail.length - 1] === null) tail.pop();
  let tailBytes = 0;
  for (const v of tail) {
    if (v === null) tailBytes += 1;
    else if (typeof v === 'number') tailBytes += intBytes(v);
  }
  if (checksums.length > 0) {
    tailBytes += arrayHeaderBytes(checksums.length);
    for (const c of checksums) tailBytes += 1 + intBytes(c.tick) + intBytes(c.checksum);
  }
  // The packet with no inputs, exactly, then what each input adds.
  const base =
    HEADER_BYTES +
    1 + // array of 7 to 11
    1 + // type
    intBytes(packet.seq) +
    intBytes(frameAckDelta) +
    intBytes(packet.rxLoss) +
    intBytes(packet.firstTick) +
    1 + // count 0
    2 + // empty bin
    tailBytes;
  let bits = 0;
  let count = 0;
  let prev: Uint8Array | undefined;
  const max = Math.min(inputs.length, Limits.maxTicksPerPacket);
  while (count < max) {
    const input = inputs[count];
    if (input.length !== ctx.inputSize)
      throw new RangeError(
        `input for tick ${packet.firstTick + count} is not ${ctx.inputSize} bytes`,
      );
    const nextBits = bits + compressedBitCost(prev, input, bitLength);
    const len = (nextBits + 7) >>> 3;
    const size = base + len + binHeaderBytes(len) - 2 + intBytes(count + 1) - 1;
    if (size > budgetBytes) break;
    bits = nextBits;
    prev = input;
    count++;
  }
  bitWriter.reset();
  writeInputSequence(
    bitWriter,
    count === inputs.length ? inputs : inputs.slice(0, count),
    bitLength,
  );
  const bytes = withHeader([
    MessageType.Inputs,
    packet.seq,
    frameAckDelta,
    packet.rxLoss,
    packet.firstTick,
    count,
    bitWriter.toBytes(),
    ...tail,
  ]);
  return { bytes, count };
}

/** Decodes a datagram from a client (server side). Throws `DecodeError`. */
export function decodeClientUdp(bytes: Uint8Array, ctx: CodecContext): ClientUdpMessage {
  checkContext(ctx);
  return readInputsPacket(bytes, ctx) ?? decodeInputsInGeneral(bytes, ctx);
}

/**
 * Decodes an Inputs packet through the msgpack decoder, checking every field: what
 * {@link decodeClientUdp} falls back on. Throws `DecodeError`.
 * @internal
 */
export function decodeInputsInGeneral(bytes: Uint8Array, ctx: CodecContext): ClientUdpMessage {
  const b = decodeEnvelope(bytes, Limits.maxDatagramBytes);
  if (b[0] !== MessageType.Inputs) return unknownType(b[0]);
  if (b.length < 7 || b.length > 11 || b.length === 10)
    fail(`Inputs must have 7, 8, 9 or 11 fields, has ${b.length}`);
  const firstTick = uint(b[4], Limits.maxTick, 'firstTick');
  const count = uint(b[5], Limits.maxTicksPerPacket, 'count');
  if (firstTick + count - 1 > Limits.maxTick) fail('ticks run past the largest tick');
  const reader = new BitReader(bin(b[6], Limits.maxDatagramBytes, 'inputs'));
  const inputs = readInputSequence(reader, count, ctx.inputSize * 8);
  reader.expectEnd();
  const delta = b[2];
  if (typeof delta !== 'number' || !Number.isInteger(delta))
    fail('frameAckDelta must be an integer');
  const frameAck = ackTick(firstTick - delta, 'frameAck');
  const rawSentAt = b[7];
  const rawChecksums = b[8];
  let checksums: ChecksumReport[] = [];
  if (rawChecksums !== undefined && rawChecksums !== null) {
    if (
      !Array.isArray(rawChecksums) ||
      rawChecksums.length === 0 ||
      rawChecksums.length > Limits.maxChecksumsPerPacket
    )
      fail(`checksums must be an array of 1..${Limits.maxChecksumsPerPacket}`);
    checksums = (rawChecksums as unknown[]).map((c) => {
      if (!Array.isArray(c) || c.length !== 2) fail('a checksum report must be [tick, checksum]');
      return {
        tick: uint(c[0], Limits.maxTick, 'checksum tick'),
        checksum: uint(c[1], 0xffffffff, 'checksum'),
      };
    });
  }
  const packet: {
    -readonly [K in keyof InputsPacket]: InputsPacket[K];
  } = {
    type: MessageType.Inputs,
    seq: uint(b[1], 127, 'seq'),
    frameAck,
    rxLoss: uint(b[3], 255, 'rxLoss'),
    firstTick,
    inputs,
    checksums,
  };
  if (rawSentAt !== undefined && rawSentAt !== null)
    packet.sentAt = uint(rawSentAt, 0xffff, 'sentAt');
  if (b.length === 11)
    packet.linkReport = {
      rttMs: uint(b[9], 0xffff, 'rttMs'),
      jitterMs: uint(b[10], 0xffff, 'jitterMs'),
    };
  return packet;
}
