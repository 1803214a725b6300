// The Frames chunk's payload: consecutive frames, their inputs in the protocol's compressed bit field, their joins and leaves.
import { DecodeError } from '../errors.js';
import { framePresenceMask, readFramesBits, writeFramesBits } from '../protocol/framesBits.js';
import { BitReader, BitWriter } from '../protocol/index.js';
import {
  LEAVE_REASONS,
  confirmedFrame,
  type ConfirmedFrame,
  type PlayerInfo,
  type PlayerLeft,
} from '../types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { ReplayLimits } from './format.js';

const JOIN = 0;
const LEAVE = 1;
const SUBSTITUTED = 2;

/** What the bit field needs: fixed for the whole file by the header. */
export interface FramesContext {
  readonly maxPlayers: number;
  readonly inputSize: number;
}

/**
 * `firstTick u32, count u16, eventCount u16, events, bitsLength u32, bits`. An event is a join
 * `0 u8, offset u16, playerId u8, name`, a leave `1 u8, offset u16, playerId u8, reason u8` or
 * a substituted input `2 u8, offset u16, playerId u8` (`offset` from `firstTick`), in frame
 * order, each frame's joins, then its leaves, then its substitutions. The bits
 * are the Frames packet's bit field (docs/protocol.md): each frame's presence mask as one
 * compressed sequence, then each slot's inputs, where present, as one compressed sequence.
 *
 * @throws {RangeError} If the frames are not consecutive, or do not fit the context.
 */
export function encodeFramesChunk(
  frames: readonly ConfirmedFrame[],
  ctx: FramesContext,
): Uint8Array {
  const { maxPlayers, inputSize } = ctx;
  const count = frames.length;
  if (count < 1 || count > ReplayLimits.maxChunkFrames)
    throw new RangeError(`a Frames chunk holds 1..${ReplayLimits.maxChunkFrames} frames`);
  const firstTick = frames[0].tick;
  const masks: Uint8Array[] = [];
  let eventCount = 0;
  const events = new ByteWriter(64);
  for (let i = 0; i < count; i++) {
    const frame = frames[i];
    masks.push(framePresenceMask(frame, firstTick + i, maxPlayers, inputSize));
    for (const p of frame.joined ?? []) {
      events.u8(JOIN);
      events.u16(i);
      events.u8(p.playerId);
      events.name(p.username);
      eventCount++;
    }
    for (const p of frame.left ?? []) {
      events.u8(LEAVE);
      events.u16(i);
      events.u8(p.playerId);
      events.u8(LEAVE_REASONS.indexOf(p.reason));
      eventCount++;
    }
    for (const slot of frame.substituted ?? []) {
      events.u8(SUBSTITUTED);
      events.u16(i);
      events.u8(slot);
      eventCount++;
    }
  }
  if (eventCount > 0xffff) throw new RangeError('too many events in one chunk');
  const bits = new BitWriter(Math.max(16, (count * (maxPlayers + 1)) >>> 3));
  writeFramesBits(bits, frames, masks, maxPlayers, inputSize);
  const bitBytes = bits.toBytes();
  const w = new ByteWriter(12 + events.length + bitBytes.length);
  w.u32(firstTick);
  w.u16(count);
  w.u16(eventCount);
  w.bytes(events.toBytes());
  w.u32(bitBytes.length);
  w.bytes(bitBytes);
  return w.toBytes();
}

/**
 * Reads and checks a Frames payload. Leaves come with an empty `username`: the reader fills it
 * in from who is in the slot. Throws ReplayError.
 */
export function decodeFramesChunk(r: ByteReader, ctx: FramesContext): ConfirmedFrame[] {
  const { maxPlayers, inputSize } = ctx;
  const firstTick = r.u32('firstTick');
  let at = r.offset;
  const count = r.ranged(r.u16('frame count'), 1, ReplayLimits.maxChunkFrames, 'frame count', at);
  if (firstTick + count - 1 > 0xffffffff)
    r.fail('frame ticks run past the largest tick', 'bad-field', at);
  const eventCount = r.u16('event count');
  const joined = new Map<number, PlayerInfo[]>();
  const left = new Map<number, PlayerLeft[]>();
  const substituted = new Map<number, number[]>();
  for (let e = 0; e < eventCount; e++) {
    at = r.offset;
    const kind = r.u8('event kind');
    const offsetAt = r.offset;
    const offset = r.ranged(
      r.u16('event tick offset'),
      0,
      count - 1,
      'event tick offset',
      offsetAt,
    );
    const slotAt = r.offset;
    const playerId = r.ranged(r.u8('playerId'), 0, maxPlayers - 1, 'playerId', slotAt);
    if (kind === JOIN) {
      const username = r.name(ReplayLimits.maxNameBytes, 'player name');
      let list = joined.get(offset);
      if (!list) joined.set(offset, (list = []));
      list.push({ playerId, username });
    } else if (kind === LEAVE) {
      const reasonAt = r.offset;
      const reason = r.ranged(
        r.u8('leave reason'),
        0,
        LEAVE_REASONS.length - 1,
        'leave reason',
        reasonAt,
      );
      let list = left.get(offset);
      if (!list) left.set(offset, (list = []));
      list.push({ playerId, username: '', reason: LEAVE_REASONS[reason] });
    } else if (kind === SUBSTITUTED) {
      let list = substituted.get(offset);
      if (!list) substituted.set(offset, (list = []));
      if (list.length > 0 && list[list.length - 1] >= playerId)
        r.fail('substituted slots are not in increasing order', 'bad-field', slotAt);
      list.push(playerId);
    } else {
      r.fail(`event kind ${kind} is not join (0), leave (1) or substituted (2)`, 'bad-field', at);
    }
  }
  at = r.offset;
  const bitsLength = r.u32('bits length');
  if (bitsLength !== r.remaining)
    r.fail(`bit field of ${bitsLength} bytes, the chunk has ${r.remaining} left`, 'bad-field', at);
  const bitsAt = r.offset;
  const reader = new BitReader(r.bytesOf(bitsLength, 'bit field'));
  let inputs: (Uint8Array | null)[][] = [];
  try {
    inputs = readFramesBits(reader, count, maxPlayers, inputSize);
  } catch (err) {
    if (err instanceof DecodeError) r.fail(`bad bit field: ${err.message}`, 'bad-field', bitsAt);
    throw err;
  }
  const frames: ConfirmedFrame[] = [];
  for (let i = 0; i < count; i++)
    frames.push(
      confirmedFrame(firstTick + i, inputs[i], joined.get(i), left.get(i), substituted.get(i)),
    );
  return frames;
}
