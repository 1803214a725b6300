// The Frames packet (server to client): frames and their joins and leaves in one bit field, both ways.
import {
  LEAVE_REASONS,
  confirmedFrame,
  type ConfirmedFrame,
  type PlayerInfo,
  type PlayerLeft,
} from '../types.js';
import { BitReader, BitWriter } from './bits.js';
import { encodeFields, messageOf, type EncodedPacket } from './envelope.js';
import { ackTick, arity, bin, fail, uint, username } from './fields.js';
import { framePresenceMask, readFramesBitsFrom, writeFramesBits } from './framesBits.js';
import { compressedBitCost } from './inputCompression.js';
import {
  HEADER_BYTES,
  Limits,
  MessageType,
  type CodecContext,
  type FramesPacket,
} from './messages.js';
import { arrayHeaderBytes, binHeaderBytes, intBytes, strBytes } from './msgpackSize.js';

const bitWriter = new BitWriter(2048);

const JOIN = 0;
const LEAVE = 1;
const SUBSTITUTED = 2;

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
  if (frame.substituted && frame.substituted.length > 0) {
    const mask = new Uint8Array((maxPlayers + 7) >>> 3);
    for (const slot of frame.substituted) mask[slot >>> 3] |= 0x80 >>> (slot & 7);
    out.push([frame.tick, SUBSTITUTED, mask, 0]);
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
  if (frame.substituted && frame.substituted.length > 0) {
    const maskBytes = (maxPlayers + 7) >>> 3;
    n += 1 + tick + 1 + binHeaderBytes(maskBytes) + maskBytes + 1;
  }
  return n;
}

/** The number of events `eventsOf` writes for a frame. */
function eventCount(frame: ConfirmedFrame): number {
  return (
    (frame.joined?.length ?? 0) +
    (frame.left && frame.left.length > 0 ? 1 : 0) +
    (frame.substituted && frame.substituted.length > 0 ? 1 : 0)
  );
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
  /** Its four fields (firstTick, count, bit field, events) as msgpack, to copy in after the header. */
  readonly fields: Uint8Array;
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
        HEADER_BYTES + 1 + 1 + 3 + 3 + 3 + 5 + 2 + 5 + intBytes(firstTick) + 1 + 2 + 1 + 3;
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
      1 + // empty events array
      (packet.inputLead === undefined ? 0 : intBytes(packet.inputLead));
    body = framesBody(frames, ctx, budgetBytes, base);
  }
  const bytes = messageOf(
    [
      MessageType.Frames,
      packet.seq,
      packet.echoSentAt,
      packet.echoDelayMs,
      packet.inputAck,
      packet.rxLoss,
      packet.checksumAck,
    ],
    body.fields,
    4,
    packet.inputLead,
  );
  return { bytes, count: body.count };
}

/**
 * Encodes a CatchUp message (reliable channel) with as many of `frames` (consecutive ticks,
 * oldest first) as fit in `budgetBytes`: the same bit field and events as a Frames packet,
 * up to 4096 frames.
 */
export function encodeCatchUp(
  frames: readonly ConfirmedFrame[],
  ctx: CodecContext,
  budgetBytes: number = Limits.tcpMessageBytes,
): EncodedPacket {
  const firstTick = frames.length > 0 ? frames[0].tick : 0;
  // header, array of 5, type, firstTick, count 0, empty bin, empty events
  const base = HEADER_BYTES + 1 + 1 + intBytes(firstTick) + 1 + 2 + 1;
  const body = framesBody(frames, ctx, budgetBytes, base);
  return { bytes: messageOf([MessageType.CatchUp], body.fields, 4), count: body.count };
}

/** Decodes the fields of a CatchUp message (`b[0]` the type). Throws `DecodeError`. */
export function decodeCatchUp(b: unknown[], ctx: CodecContext): readonly ConfirmedFrame[] {
  arity(b, 5, 'CatchUp');
  return decodeRun(b[1], b[2], b[3], b[4], ctx, Limits.tcpMessageBytes);
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
  const masks: Uint8Array[] = [];
  const lastInput: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(maxPlayers);
  let bits = 0;
  let evBytes = 0;
  let evCount = 0;
  let count = 0;
  const max = Math.min(frames.length, Limits.maxTicksPerPacket);
  while (count < max) {
    const frame = frames[count];
    const mask = framePresenceMask(frame, firstTick + count, maxPlayers, inputSize);
    let add = compressedBitCost(masks[count - 1], mask, maxPlayers);
    for (let slot = 0; slot < maxPlayers; slot++) {
      const input = frame.inputs[slot];
      if (input != null) add += compressedBitCost(lastInput[slot], input, bitLength);
    }
    const nextEvCount = evCount + eventCount(frame);
    if (nextEvCount > Limits.maxTicksPerPacket) break; // the decoder's array bound
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
  writeFramesBits(bitWriter, frames, masks, maxPlayers, inputSize);
  const events: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const f = frames[i];
    if (f.joined || f.left || f.substituted) events.push(...eventsOf(f, maxPlayers));
  }
  return { count, fields: encodeFields([firstTick, count, bitWriter.toBytes(), events]) };
}

/**
 * Decodes the fields of a Frames packet (the envelope already checked, `b[0]` the type).
 * Throws `DecodeError`.
 *
 * With `fromTick`, the packet's frames before that tick are checked as any other but left
 * out of `frames`, and their inputs are not copied out: a client passes the tick after the
 * last frame it holds, since every packet repeats the frames it has not acknowledged.
 */
export function decodeFrames(b: unknown[], ctx: CodecContext, fromTick = 0): FramesPacket {
  if (b.length !== 12) arity(b, 11, 'Frames');
  const frames = decodeRun(b[7], b[8], b[9], b[10], ctx, Limits.maxDatagramBytes, fromTick);
  const packet: FramesPacket = {
    type: MessageType.Frames,
    seq: uint(b[1], 127, 'seq'),
    echoSentAt: uint(b[2], 0xffff, 'echoSentAt'),
    echoDelayMs: uint(b[3], 0xffff, 'echoDelayMs'),
    inputAck: ackTick(b[4], 'inputAck'),
    rxLoss: uint(b[5], 255, 'rxLoss'),
    checksumAck: ackTick(b[6], 'checksumAck'),
    frames,
  };
  if (b.length === 12) (packet as { inputLead?: number }).inputLead = lead(b[11]);
  return packet;
}

/** The optional `inputLead`: an integer in -32768..32767 (eighths of a tick). */
function lead(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -32768 || v > 32767)
    fail('inputLead must be an integer in -32768..32767');
  return v;
}

/**
 * A run of frames: first tick, count, bit field (at most `maxBits` bytes) and events. All of
 * it is checked; the frames from `fromTick` on are returned.
 */
function decodeRun(
  rawFirst: unknown,
  rawCount: unknown,
  rawBits: unknown,
  rawEvents: unknown,
  ctx: CodecContext,
  maxBits: number,
  fromTick = 0,
): ConfirmedFrame[] {
  const { maxPlayers, inputSize } = ctx;
  const firstTick = uint(rawFirst, Limits.maxTick, 'firstTick');
  const count = uint(rawCount, Limits.maxTicksPerPacket, 'count');
  if (firstTick + count - 1 > Limits.maxTick) fail('ticks run past the largest tick');
  const reader = new BitReader(bin(rawBits, maxBits, 'inputs'));
  const skip = Math.min(Math.max(fromTick - firstTick, 0), count);
  const { masks, inputs } = readFramesBitsFrom(reader, count, maxPlayers, inputSize, skip);
  if (!Array.isArray(rawEvents)) fail('events must be an array');
  const events =
    rawEvents.length === 0
      ? undefined
      : readEvents(rawEvents as unknown[], firstTick, count, firstTick + skip, masks, ctx);
  const frames: ConfirmedFrame[] = new Array<ConfirmedFrame>(count - skip);
  for (let i = skip; i < count; i++) {
    const tick = firstTick + i;
    frames[i - skip] =
      events === undefined
        ? confirmedFrame(tick, inputs[i - skip])
        : confirmedFrame(
            tick,
            inputs[i - skip],
            events.joined.get(tick),
            events.left.get(tick),
            events.substituted.get(tick),
          );
  }
  return frames;
}

/** The joins, leaves and substitutions of a run of frames, by tick. */
interface RunEvents {
  readonly joined: Map<number, PlayerInfo[]>;
  readonly left: Map<number, PlayerLeft[]>;
  readonly substituted: Map<number, number[]>;
}

/**
 * Checks the events of the run of `count` frames from `firstTick` (whose presence masks
 * are `masks`, one after the other), and returns them by tick; the joins before `keptFrom`
 * are checked and left out.
 */
function readEvents(
  rawEvents: readonly unknown[],
  firstTick: number,
  count: number,
  keptFrom: number,
  masks: Uint8Array,
  ctx: CodecContext,
): RunEvents {
  const { maxPlayers } = ctx;
  const maskBytes = (maxPlayers + 7) >>> 3;
  const joined = new Map<number, PlayerInfo[]>();
  const left = new Map<number, PlayerLeft[]>();
  const substituted = new Map<number, number[]>();
  for (const e of rawEvents) {
    if (!Array.isArray(e) || e.length !== 4) fail('an event must have 4 fields');
    const tick = uint(e[0], Limits.maxTick, 'event tick');
    if (tick < firstTick || tick >= firstTick + count) fail('event outside the packet ticks');
    const kind: unknown = e[1];
    if (kind === JOIN) {
      const playerId = uint(e[2], maxPlayers - 1, 'event playerId');
      const name = username(e[3], 'event username');
      if (tick < keptFrom) continue;
      let list = joined.get(tick);
      if (!list) joined.set(tick, (list = []));
      list.push({ playerId, username: name });
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
    } else if (kind === SUBSTITUTED) {
      if (substituted.has(tick)) fail('two substitution events for one tick');
      const mask = bin(e[2], maskBytes, 'substitution mask');
      if (mask.length !== maskBytes) fail(`substitution mask must be ${maskBytes} bytes`);
      if (e[3] !== 0) fail('the last field of a substitution event must be 0');
      const slots: number[] = [];
      for (let slot = 0; slot < maskBytes * 8; slot++) {
        if ((mask[slot >>> 3] & (0x80 >>> (slot & 7))) === 0) continue;
        if (slot >= maxPlayers) fail('substitution mask names a slot past maxPlayers');
        if ((masks[(tick - firstTick) * maskBytes + (slot >>> 3)] & (0x80 >>> (slot & 7))) === 0)
          fail('a substituted slot has no input');
        slots.push(slot);
      }
      if (slots.length === 0) fail('a substitution event names no slot');
      substituted.set(tick, slots);
    } else {
      fail('bad event kind');
    }
  }
  return { joined, left, substituted };
}
