import { Decoder, Encoder } from '@msgpack/msgpack';
import { DecodeError, RefuseReason } from '../errors.js';
import {
  LEAVE_REASONS,
  confirmedFrame,
  type ConfirmedFrame,
  type PlayerInfo,
  type PlayerLeft,
} from '../types.js';
import { BitReader, BitWriter } from './bits.js';
import { utf8ByteLength } from './utf8.js';
import { compressedBitCost, readInputSequence, writeInputSequence } from './inputCompression.js';
import {
  HEADER_BYTES,
  Limits,
  MAGIC,
  MessageType,
  PROTOCOL_VERSION,
  type ChatBroadcast,
  type ClientTcpMessage,
  type ClientUdpMessage,
  type CodecContext,
  type FramesPacket,
  type GoodbyeReason,
  type InputsPacket,
  type ChecksumReport,
  type Message,
  type ServerTcpMessage,
  type ServerUdpMessage,
} from './messages.js';

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
const bitWriter = new BitWriter(2048);

const REFUSE_REASONS = Object.values(RefuseReason);
const GOODBYE_REASONS: readonly GoodbyeReason[] = [...LEAVE_REASONS, 'server-closing'];

/** Header + msgpack body in one new buffer. */
function withHeader(body: unknown[]): Uint8Array {
  const ref = encoder.encodeSharedRef(body);
  const out = new Uint8Array(HEADER_BYTES + ref.length);
  out[0] = MAGIC[0]!;
  out[1] = MAGIC[1]!;
  out[2] = PROTOCOL_VERSION;
  out.set(ref, HEADER_BYTES);
  return out;
}

function checkContext(ctx: CodecContext): void {
  if (!Number.isInteger(ctx.inputSize) || ctx.inputSize < 1 || ctx.inputSize > Limits.maxInputSize)
    throw new RangeError(`inputSize must be 1..${Limits.maxInputSize}`);
  if (!Number.isInteger(ctx.maxPlayers) || ctx.maxPlayers < 1 || ctx.maxPlayers > Limits.maxPlayers)
    throw new RangeError(`maxPlayers must be 1..${Limits.maxPlayers}`);
}

// ---------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes a message that has no bit fields (every TCP message, and world state).
 * Throws `RangeError` for a message that breaks a limit: that is a bug in the caller.
 */
export function encodeMessage(msg: Exclude<Message, InputsPacket | FramesPacket>): Uint8Array {
  switch (msg.type) {
    case MessageType.Join:
      return withHeader([msg.type, msg.protocolVersion, msg.username, msg.password]);
    case MessageType.Chat:
      return withHeader([msg.type, msg.text]);
    case MessageType.Leave:
      return withHeader([msg.type]);
    case MessageType.Snapshot:
      if (msg.data.length > Limits.maxSnapshotBytes)
        throw new RangeError(`snapshot over ${Limits.maxSnapshotBytes} bytes`);
      return withHeader([msg.type, msg.tick, msg.data]);
    case MessageType.SignalToServer:
    case MessageType.SignalToClient:
      if (msg.data.length < 1 || msg.data.length > Limits.maxSignalBytes)
        throw new RangeError(`signal must be 1..${Limits.maxSignalBytes} bytes`);
      return withHeader([msg.type, msg.data]);
    case MessageType.Desync:
      return withHeader([msg.type, msg.tick, msg.checksums.map((c) => [c.playerId, c.checksum])]);
    case MessageType.JoinAccepted:
      return withHeader([
        msg.type,
        msg.playerId,
        msg.tickRate,
        msg.inputSize,
        msg.maxPlayers,
        msg.startTick,
        msg.players.map((p) => [p.playerId, p.username]),
      ]);
    case MessageType.JoinRefused:
      return withHeader([msg.type, msg.reason]);
    case MessageType.ChatBroadcast:
      return withHeader([msg.type, msg.from, msg.text]);
    case MessageType.Goodbye:
      return withHeader([msg.type, msg.reason, msg.message]);
    case MessageType.WorldState:
      if (msg.data.length > Limits.maxWorldStateBytes)
        throw new RangeError(`world state over ${Limits.maxWorldStateBytes} bytes`);
      return withHeader([msg.type, msg.seq, msg.data]);
  }
}

/** The result of encoding a multi-tick packet: the bytes and how many ticks went in. */
export interface EncodedPacket {
  readonly bytes: Uint8Array;
  /** Ticks (oldest first) that fit in the budget. */
  readonly count: number;
}

/** msgpack size of a non-negative integer (or -1). */
function intBytes(n: number): number {
  if (n >= -32 && n < 128) return 1;
  if (n < 0) return n >= -128 ? 2 : n >= -32768 ? 3 : n >= -2147483648 ? 5 : 9;
  return n < 256 ? 2 : n < 65536 ? 3 : n <= 0xffffffff ? 5 : 9;
}
function binHeaderBytes(len: number): number {
  return len < 256 ? 2 : len < 65536 ? 3 : 5;
}
function strBytes(s: string): number {
  const len = utf8ByteLength(s);
  return (len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5) + len;
}
function arrayHeaderBytes(len: number): number {
  return len < 16 ? 1 : len < 65536 ? 3 : 5;
}

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

const JOIN = 0;
const LEAVE = 1;

/**
 * A frame's joins and leaves on the wire: one event per join, `[tick, 0, playerId, name]`,
 * and at most one for all its leaves, `[tick, 1, mask, reasons]` (a bit per slot, and a
 * reason byte per player leaving, in slot order). Leaves carry no names: the receiver knows
 * who is in each slot. So a frame's leaves take at most about maxPlayers * 9 bits.
 */
function eventsOf(frame: ConfirmedFrame, maxPlayers: number): unknown[][] {
  const out: unknown[][] = [];
  if (frame.joined)
    for (const p of frame.joined) out.push([frame.tick, JOIN, p.playerId, p.username]);
  if (frame.left && frame.left.length > 0) {
    const mask = new Uint8Array((maxPlayers + 7) >>> 3);
    const bySlot = [...frame.left].sort((a, b) => a.playerId - b.playerId);
    const reasons = new Uint8Array(bySlot.length);
    bySlot.forEach((p, i) => {
      mask[p.playerId >>> 3] |= 0x80 >>> (p.playerId & 7);
      reasons[i] = LEAVE_REASONS.indexOf(p.reason);
    });
    out.push([frame.tick, LEAVE, mask, reasons]);
  }
  return out;
}

function eventBytes(frame: ConfirmedFrame, maxPlayers: number): number {
  let n = 0;
  const tick = intBytes(frame.tick);
  if (frame.joined)
    for (const p of frame.joined) n += 1 + tick + 1 + intBytes(p.playerId) + strBytes(p.username);
  if (frame.left && frame.left.length > 0) {
    const maskBytes = (maxPlayers + 7) >>> 3;
    n += 1 + tick + 1 + binHeaderBytes(maskBytes) + maskBytes;
    n += binHeaderBytes(frame.left.length) + frame.left.length;
  }
  return n;
}

/** The number of events `eventsOf` writes for a frame. */
function eventCount(frame: ConfirmedFrame): number {
  return (frame.joined?.length ?? 0) + (frame.left && frame.left.length > 0 ? 1 : 0);
}

function presenceMask(frame: ConfirmedFrame, maskBytes: number): Uint8Array {
  const mask = new Uint8Array(maskBytes);
  const inputs = frame.inputs;
  for (let slot = 0; slot < inputs.length; slot++) {
    if (inputs[slot] != null) mask[slot >>> 3] |= 0x80 >>> (slot & 7);
  }
  return mask;
}

/**
 * Remembers the body (bit field and events) of frames packets for one round of sends, so
 * that a server sending the same frames to many players encodes them once. Keyed by the
 * first frame (by identity) and the number of frames offered; `clear()` it each round.
 */
export class FramesBodyCache {
  private readonly bodies = new Map<ConfirmedFrame, Map<number, FramesBody>>();

  /** @internal */
  get(first: ConfirmedFrame, offered: number): FramesBody | undefined {
    return this.bodies.get(first)?.get(offered);
  }

  /** @internal */
  set(first: ConfirmedFrame, offered: number, body: FramesBody): void {
    let byCount = this.bodies.get(first);
    if (!byCount) this.bodies.set(first, (byCount = new Map<number, FramesBody>()));
    byCount.set(offered, body);
  }

  clear(): void {
    this.bodies.clear();
  }
}

/** The part of a frames packet that depends on the frames alone. */
interface FramesBody {
  readonly count: number;
  readonly bits: Uint8Array;
  readonly events: unknown[][];
}

/**
 * Encodes a frames packet with as many of `packet.frames` (consecutive ticks, oldest first)
 * as fit in `budgetBytes`.
 *
 * The frames' inputs go in one bit field: first each frame's presence mask (`maxPlayers`
 * bits, bit i set when slot i has an input) as a compressed sequence, then for each slot in
 * order the inputs of that slot in the frames where it is present, as a compressed sequence.
 *
 * With a `cache`, the frames that fit are counted against the largest possible header (so
 * the count depends on the frames alone, a few bytes short of the budget at most), and the
 * body is encoded once per round for every packet that carries the same frames.
 */
export function encodeFramesPacket(
  packet: FramesPacket,
  ctx: CodecContext,
  budgetBytes: number = Limits.datagramBytes,
  cache?: FramesBodyCache,
): EncodedPacket {
  const frames = packet.frames;
  const firstTick = frames.length > 0 ? frames[0].tick : 0;
  let body: FramesBody | undefined;
  if (cache && frames.length > 0) {
    body = cache.get(frames[0], frames.length);
    if (!body) {
      const worstHeader =
        HEADER_BYTES + 1 + 1 + 3 + 3 + 3 + 5 + 2 + 5 + intBytes(firstTick) + 1 + 2 + 1;
      body = framesBody(frames, ctx, budgetBytes, worstHeader);
      cache.set(frames[0], frames.length, body);
    }
  } else {
    const base =
      HEADER_BYTES +
      1 + // array of 11
      1 + // type
      intBytes(packet.seq) +
      intBytes(packet.echoSentAt) +
      intBytes(packet.echoDelayMs) +
      intBytes(packet.inputAck) +
      intBytes(packet.rxLoss) +
      intBytes(packet.checksumAck) +
      intBytes(firstTick) +
      1 + // count 0
      2 + // empty bin
      1; // empty events array
    body = framesBody(frames, ctx, budgetBytes, base);
  }
  const bytes = withHeader([
    MessageType.Frames,
    packet.seq,
    packet.echoSentAt,
    packet.echoDelayMs,
    packet.inputAck,
    packet.rxLoss,
    packet.checksumAck,
    firstTick,
    body.count,
    body.bits,
    body.events,
  ]);
  return { bytes, count: body.count };
}

/** Counts the frames that fit with a header of `base` bytes, and encodes their body. */
function framesBody(
  frames: readonly ConfirmedFrame[],
  ctx: CodecContext,
  budgetBytes: number,
  base: number,
): FramesBody {
  const { maxPlayers, inputSize } = ctx;
  const bitLength = inputSize * 8;
  const firstTick = frames.length > 0 ? frames[0].tick : 0;
  const maskBytes = (maxPlayers + 7) >>> 3;
  const masks: Uint8Array[] = [];
  const lastInput: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(maxPlayers);
  let bits = 0;
  let evBytes = 0;
  let evCount = 0;
  let count = 0;
  const max = Math.min(frames.length, Limits.maxTicksPerPacket);
  while (count < max) {
    const frame = frames[count];
    if (frame.tick !== firstTick + count) throw new RangeError('frames are not consecutive');
    if (frame.inputs.length !== maxPlayers)
      throw new RangeError(
        `frame ${frame.tick} has ${frame.inputs.length} slots, not ${maxPlayers}`,
      );
    const mask = presenceMask(frame, maskBytes);
    let add = compressedBitCost(masks[count - 1], mask, maxPlayers);
    for (let slot = 0; slot < maxPlayers; slot++) {
      const input = frame.inputs[slot];
      if (input == null) continue;
      if (input.length !== inputSize)
        throw new RangeError(
          `input of slot ${slot} at tick ${frame.tick} is not ${inputSize} bytes`,
        );
      add += compressedBitCost(lastInput[slot], input, bitLength);
    }
    const nextEvCount = evCount + eventCount(frame);
    const nextEvBytes = evBytes + eventBytes(frame, maxPlayers);
    const len = (bits + add + 7) >>> 3;
    const size =
      base +
      len +
      binHeaderBytes(len) -
      2 +
      intBytes(count + 1) -
      1 +
      nextEvBytes +
      arrayHeaderBytes(nextEvCount) -
      1;
    if (size > budgetBytes) break;
    bits += add;
    evBytes = nextEvBytes;
    evCount = nextEvCount;
    masks.push(mask);
    for (let slot = 0; slot < maxPlayers; slot++) {
      const input = frame.inputs[slot];
      if (input != null) lastInput[slot] = input;
    }
    count++;
  }

  bitWriter.reset();
  writeInputSequence(bitWriter, masks, maxPlayers);
  const events: unknown[][] = [];
  if (count > 0) {
    const slotInputs: Uint8Array[] = [];
    for (let slot = 0; slot < maxPlayers; slot++) {
      slotInputs.length = 0;
      for (let i = 0; i < count; i++) {
        const input = frames[i].inputs[slot];
        if (input != null) slotInputs.push(input);
      }
      writeInputSequence(bitWriter, slotInputs, bitLength);
    }
    for (let i = 0; i < count; i++) {
      const f = frames[i];
      if (f.joined || f.left) events.push(...eventsOf(f, maxPlayers));
    }
  }
  return { count, bits: bitWriter.toBytes(), events };
}

// ---------------------------------------------------------------------------------------
// Decoding: everything from the network is validated before it is trusted.

function fail(message: string): never {
  throw new DecodeError('bad-field', message);
}

function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    fail(`${what} must be an integer in 0..${max}`);
  return v;
}

function positive(n: number, what: string): number {
  if (n === 0) fail(`${what} must not be 0`);
  return n;
}

function ackTick(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v > Limits.maxTick)
    fail(`${what} must be an integer in -1..${Limits.maxTick}`);
  return v;
}

function str(v: unknown, maxLength: number, what: string, allowEmpty = true): string {
  if (typeof v !== 'string') fail(`${what} must be a string`);
  if (v.length > maxLength) fail(`${what} is over ${maxLength} characters`);
  if (!allowEmpty && v.length === 0) fail(`${what} must not be empty`);
  return v;
}

function bin(v: unknown, maxLength: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${what} must be bytes`);
  if (v.length > maxLength) fail(`${what} is over ${maxLength} bytes`);
  // A plain Uint8Array view (msgpack hands out a Buffer when it decoded one): the same type
  // whatever transport the bytes came over.
  return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.length);
}

/** A transport signal: 1 .. maxSignalBytes opaque bytes. */
function signal(v: unknown): Uint8Array {
  const data = bin(v, Limits.maxSignalBytes, 'signal');
  if (data.length === 0) fail('signal must not be empty');
  return data;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    fail(`${what} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function arity(body: unknown[], n: number, name: string): void {
  if (body.length !== n) fail(`${name} must have ${n} fields, has ${body.length}`);
}

/** Usernames: 1..32 characters, no control characters. */
export function isValidUsername(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= Limits.usernameLength &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}

function username(v: unknown, what: string): string {
  const name = str(v, Limits.usernameLength, what, false);
  if (!isValidUsername(name)) fail(`${what} has control characters`);
  return name;
}

/**
 * Checks the header and decodes the msgpack body into its array, with the type first.
 * Throws `DecodeError` for anything else.
 */
function decodeEnvelope(bytes: Uint8Array, maxBytes: number): unknown[] {
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

function unknownType(type: unknown): never {
  throw new DecodeError('unknown-type', `unexpected message type ${String(type)}`);
}

/** Decodes a TCP message from a client (server side). Throws `DecodeError`. */
export function decodeClientTcp(bytes: Uint8Array): ClientTcpMessage {
  const b = decodeEnvelope(bytes, Limits.tcpMessageBytes);
  switch (b[0]) {
    case MessageType.Join:
      arity(b, 4, 'Join');
      return {
        type: MessageType.Join,
        protocolVersion: uint(b[1], 255, 'protocolVersion'),
        username: username(b[2], 'username'),
        password: str(b[3], Limits.passwordLength, 'password'),
      };
    case MessageType.Chat:
      arity(b, 2, 'Chat');
      return { type: MessageType.Chat, text: str(b[1], Limits.chatLength, 'text') };
    case MessageType.Leave:
      arity(b, 1, 'Leave');
      return { type: MessageType.Leave };
    case MessageType.Snapshot:
      arity(b, 3, 'Snapshot');
      return {
        type: MessageType.Snapshot,
        tick: uint(b[1], Limits.maxTick, 'tick'),
        data: bin(b[2], Limits.maxSnapshotBytes, 'data'),
      };
    case MessageType.SignalToServer:
      arity(b, 2, 'SignalToServer');
      return { type: MessageType.SignalToServer, data: signal(b[1]) };
    default:
      return unknownType(b[0]);
  }
}

/** Decodes a TCP message from the server (client side). Throws `DecodeError`. */
export function decodeServerTcp(bytes: Uint8Array): ServerTcpMessage {
  const b = decodeEnvelope(bytes, Limits.tcpMessageBytes);
  switch (b[0]) {
    case MessageType.JoinAccepted: {
      arity(b, 7, 'JoinAccepted');
      const maxPlayers = uint(b[4], Limits.maxPlayers, 'maxPlayers');
      if (maxPlayers < 1) fail('maxPlayers must be at least 1');
      const inputSize = uint(b[3], Limits.maxInputSize, 'inputSize');
      if (inputSize < 1) fail('inputSize must be at least 1');
      const rawPlayers = b[6];
      if (!Array.isArray(rawPlayers) || rawPlayers.length > maxPlayers)
        fail('players must be an array of at most maxPlayers');
      const players: PlayerInfo[] = (rawPlayers as unknown[]).map((p) => {
        if (!Array.isArray(p) || p.length !== 2) fail('a player must be [id, name]');
        return {
          playerId: uint(p[0], maxPlayers - 1, 'playerId'),
          username: username(p[1], 'username'),
        };
      });
      return {
        type: MessageType.JoinAccepted,
        playerId: uint(b[1], maxPlayers - 1, 'playerId'),
        tickRate: positive(uint(b[2], 1000, 'tickRate'), 'tickRate'),
        inputSize,
        maxPlayers,
        startTick: uint(b[5], Limits.maxTick, 'startTick'),
        players,
      };
    }
    case MessageType.JoinRefused:
      arity(b, 2, 'JoinRefused');
      return { type: MessageType.JoinRefused, reason: oneOf(b[1], REFUSE_REASONS, 'reason') };
    case MessageType.ChatBroadcast: {
      arity(b, 3, 'ChatBroadcast');
      const msg: ChatBroadcast = {
        type: MessageType.ChatBroadcast,
        from: str(b[1], Limits.usernameLength, 'from'),
        text: str(b[2], Limits.chatLength, 'text'),
      };
      return msg;
    }
    case MessageType.Desync: {
      arity(b, 3, 'Desync');
      const raw = b[2];
      if (!Array.isArray(raw) || raw.length > Limits.maxPlayers) fail('checksums must be an array');
      return {
        type: MessageType.Desync,
        tick: uint(b[1], Limits.maxTick, 'tick'),
        checksums: (raw as unknown[]).map((c) => {
          if (!Array.isArray(c) || c.length !== 2) fail('a checksum must be [playerId, checksum]');
          return {
            playerId: uint(c[0], Limits.maxPlayers - 1, 'playerId'),
            checksum: uint(c[1], 0xffffffff, 'checksum'),
          };
        }),
      };
    }
    case MessageType.Goodbye:
      arity(b, 3, 'Goodbye');
      return {
        type: MessageType.Goodbye,
        reason: oneOf(b[1], GOODBYE_REASONS, 'reason'),
        message: str(b[2], Limits.reasonLength, 'message'),
      };
    case MessageType.SignalToClient:
      arity(b, 2, 'SignalToClient');
      return { type: MessageType.SignalToClient, data: signal(b[1]) };
    default:
      return unknownType(b[0]);
  }
}

/** Decodes a datagram from a client (server side). Throws `DecodeError`. */
export function decodeClientUdp(bytes: Uint8Array, ctx: CodecContext): ClientUdpMessage {
  checkContext(ctx);
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

/** Decodes a datagram from the server (client side). Throws `DecodeError`. */
export function decodeServerUdp(bytes: Uint8Array, ctx: CodecContext): ServerUdpMessage {
  checkContext(ctx);
  const b = decodeEnvelope(bytes, Limits.maxDatagramBytes);
  switch (b[0]) {
    case MessageType.Frames:
      return decodeFrames(b, ctx);
    case MessageType.WorldState:
      arity(b, 3, 'WorldState');
      return {
        type: MessageType.WorldState,
        seq: uint(b[1], 0xffffffff, 'seq'),
        data: bin(b[2], Limits.maxWorldStateBytes, 'data'),
      };
    default:
      return unknownType(b[0]);
  }
}

function decodeFrames(b: unknown[], ctx: CodecContext): FramesPacket {
  const { maxPlayers, inputSize } = ctx;
  arity(b, 11, 'Frames');
  const firstTick = uint(b[7], Limits.maxTick, 'firstTick');
  const count = uint(b[8], Limits.maxTicksPerPacket, 'count');
  if (firstTick + count - 1 > Limits.maxTick) fail('ticks run past the largest tick');
  const reader = new BitReader(bin(b[9], Limits.maxDatagramBytes, 'inputs'));
  const masks = readInputSequence(reader, count, maxPlayers);
  const inputs: (Uint8Array | null)[][] = [];
  for (let i = 0; i < count; i++) inputs.push(new Array<Uint8Array | null>(maxPlayers).fill(null));
  for (let slot = 0; slot < maxPlayers; slot++) {
    const bit = 0x80 >>> (slot & 7);
    const byte = slot >>> 3;
    let present = 0;
    for (let i = 0; i < count; i++) if (masks[i][byte] & bit) present++;
    if (present === 0) continue;
    const seq = readInputSequence(reader, present, inputSize * 8);
    let k = 0;
    for (let i = 0; i < count; i++) if (masks[i][byte] & bit) inputs[i][slot] = seq[k++]!;
  }
  reader.expectEnd();

  const rawEvents = b[10];
  if (!Array.isArray(rawEvents)) fail('events must be an array');
  const joined = new Map<number, PlayerInfo[]>();
  const left = new Map<number, PlayerLeft[]>();
  const maskBytes = (maxPlayers + 7) >>> 3;
  for (const e of rawEvents as unknown[]) {
    if (!Array.isArray(e) || e.length !== 4) fail('an event must have 4 fields');
    const tick = uint(e[0], Limits.maxTick, 'event tick');
    if (tick < firstTick || tick >= firstTick + count) fail('event outside the packet ticks');
    const kind: unknown = e[1];
    if (kind === JOIN) {
      const playerId = uint(e[2], maxPlayers - 1, 'event playerId');
      let list = joined.get(tick);
      if (!list) joined.set(tick, (list = []));
      list.push({ playerId, username: username(e[3], 'event username') });
    } else if (kind === LEAVE) {
      if (left.has(tick)) fail('two leave events for one tick');
      const mask = bin(e[2], maskBytes, 'leave mask');
      if (mask.length !== maskBytes) fail(`leave mask must be ${maskBytes} bytes`);
      const reasons = bin(e[3], maxPlayers, 'leave reasons');
      const list: PlayerLeft[] = [];
      for (let slot = 0; slot < maskBytes * 8; slot++) {
        if ((mask[slot >>> 3] & (0x80 >>> (slot & 7))) === 0) continue;
        if (slot >= maxPlayers) fail('leave mask names a slot past maxPlayers');
        if (list.length >= reasons.length) fail('fewer leave reasons than players leaving');
        const reasonIndex = uint(reasons[list.length], LEAVE_REASONS.length - 1, 'leave reason');
        // The name is not on the wire: the receiver fills it in from who is in the slot.
        list.push({ playerId: slot, username: '', reason: LEAVE_REASONS[reasonIndex] });
      }
      if (list.length !== reasons.length || list.length === 0)
        fail('leave reasons do not match the mask');
      left.set(tick, list);
    } else {
      fail('bad event kind');
    }
  }
  const frames: ConfirmedFrame[] = [];
  for (let i = 0; i < count; i++) {
    const tick = firstTick + i;
    frames.push(confirmedFrame(tick, inputs[i], joined.get(tick), left.get(tick)));
  }
  return {
    type: MessageType.Frames,
    seq: uint(b[1], 127, 'seq'),
    echoSentAt: uint(b[2], 0xffff, 'echoSentAt'),
    echoDelayMs: uint(b[3], 0xffff, 'echoDelayMs'),
    inputAck: ackTick(b[4], 'inputAck'),
    rxLoss: uint(b[5], 255, 'rxLoss'),
    checksumAck: ackTick(b[6], 'checksumAck'),
    frames,
  };
}
