// The Inputs packet read straight from its bytes: the server's one decode per player per tick, with no msgpack decoder.
import { BitReader } from './bits.js';
import { readInputSequence } from './inputCompression.js';
import {
  HEADER_BYTES,
  Limits,
  MAGIC,
  MessageType,
  PROTOCOL_VERSION,
  type ChecksumReport,
  type CodecContext,
  type InputsPacket,
} from './messages.js';
import { readMsgpackInt, type IntRead } from './msgpackInt.js';

const int: IntRead = { value: 0, end: 0 };

/** An integer in `min..max` at `at` (any of its msgpack forms), into `int`; false if it is not one. */
function intIn(b: Uint8Array, at: number, end: number, min: number, max: number): boolean {
  return readMsgpackInt(b, at, end, int) && int.value >= min && int.value <= max;
}

/**
 * The Inputs packet read straight from its bytes, with no msgpack decoder and no array of
 * fields: the server reads one per player per tick. Only a packet that is valid in every
 * field is returned; anything else (a malformed or hostile packet, a field in a msgpack form
 * this reader does not take, such as a float) gives undefined, and the packet is decoded the
 * general way, which says what is wrong: the same packets are taken and refused, with the
 * same errors (a property test holds the two to it).
 */
export function readInputsPacket(bytes: Uint8Array, ctx: CodecContext): InputsPacket | undefined {
  const end = bytes.length;
  if (end > Limits.maxDatagramBytes || end < HEADER_BYTES + 2) return undefined;
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== PROTOCOL_VERSION)
    return undefined;
  const fields = bytes[3] - 0x90;
  if (fields !== 7 && fields !== 8 && fields !== 9 && fields !== 11) return undefined;
  if (bytes[4] !== MessageType.Inputs) return undefined;
  if (!intIn(bytes, 5, end, 0, 127)) return undefined;
  const seq = int.value;
  if (!readMsgpackInt(bytes, int.end, end, int)) return undefined;
  const delta = int.value;
  if (!intIn(bytes, int.end, end, 0, 255)) return undefined;
  const rxLoss = int.value;
  if (!intIn(bytes, int.end, end, 0, Limits.maxTick)) return undefined;
  const firstTick = int.value;
  if (!intIn(bytes, int.end, end, 0, Limits.maxTicksPerPacket)) return undefined;
  const count = int.value;
  if (firstTick + count - 1 > Limits.maxTick) return undefined;
  const frameAck = firstTick - delta;
  if (frameAck < -1 || frameAck > Limits.maxTick) return undefined;
  // The inputs: bin 8, 16 or 32.
  let at = int.end;
  if (at + 2 > end) return undefined;
  let binBytes: number;
  const binType = bytes[at];
  if (binType === 0xc4) {
    binBytes = bytes[at + 1];
    at += 2;
  } else if (binType === 0xc5 && at + 3 <= end) {
    binBytes = (bytes[at + 1] << 8) | bytes[at + 2];
    at += 3;
  } else return undefined;
  if (at + binBytes > end) return undefined;
  let inputs: Uint8Array[];
  try {
    const reader = new BitReader(new Uint8Array(bytes.buffer, bytes.byteOffset + at, binBytes));
    inputs = readInputSequence(reader, count, ctx.inputSize * 8);
    reader.expectEnd();
  } catch {
    return undefined;
  }
  at += binBytes;
  const packet: { -readonly [K in keyof InputsPacket]: InputsPacket[K] } = {
    type: MessageType.Inputs,
    seq,
    frameAck,
    rxLoss,
    firstTick,
    inputs,
    checksums: [],
  };
  if (fields >= 8) {
    if (at >= end) return undefined;
    if (bytes[at] === 0xc0) at += 1;
    else if (intIn(bytes, at, end, 0, 0xffff)) {
      packet.sentAt = int.value;
      at = int.end;
    } else return undefined;
  }
  if (fields >= 9) {
    if (at >= end) return undefined;
    const t = bytes[at];
    if (t === 0xc0) at += 1;
    else {
      const n = t - 0x90;
      if (n < 1 || n > Limits.maxChecksumsPerPacket) return undefined;
      at += 1;
      const checksums: ChecksumReport[] = [];
      for (let i = 0; i < n; i++) {
        if (bytes[at] !== 0x92 || !intIn(bytes, at + 1, end, 0, Limits.maxTick)) return undefined;
        const tick = int.value;
        if (!intIn(bytes, int.end, end, 0, 0xffffffff)) return undefined;
        checksums.push({ tick, checksum: int.value });
        at = int.end;
      }
      packet.checksums = checksums;
    }
  }
  if (fields === 11) {
    if (!intIn(bytes, at, end, 0, 0xffff)) return undefined;
    const rttMs = int.value;
    if (!intIn(bytes, int.end, end, 0, 0xffff)) return undefined;
    packet.linkReport = { rttMs, jitterMs: int.value };
    at = int.end;
  }
  return at === end ? packet : undefined;
}
