// Datagram-size arithmetic: the worst-case size of a frame, and how many joins one frame may carry.
import { Limits } from './messages.js';
import { utf8ByteLength } from './utf8.js';

/**
 * Bytes of join events (ids and names) one frame may carry; when more players join at once
 * their joins are spread over the next ticks, so every frame fits in one datagram.
 */
export const JOIN_BYTES_PER_TICK = 300;

/**
 * The bytes a join event of `username` takes in a frame, counted generously: the worst case is
 * 13 besides the name (the event's array header 1, a 32-bit tick 5, its kind 1, a slot of 128 or
 * more 2, a str8 header for a name of 32 bytes or more 2, and the events array's header growing
 * from 1 to 3 bytes at its 16th element 2), and one more.
 */
export function joinEventBytes(username: string): number {
  return JOIN_EVENT_OVERHEAD + utf8ByteLength(username);
}

/** What a join event takes besides its name's bytes (see `joinEventBytes`). */
const JOIN_EVENT_OVERHEAD = 14;

/**
 * The largest Frames packet of one frame: every slot with a changed input, a leave event
 * naming every slot, a substitution event naming every slot, the joins a frame may carry,
 * and the largest header.
 */
export function worstFramePacketBytes(maxPlayers: number, inputSize: number): number {
  const bits = maxPlayers + 1 + maxPlayers * (1 + 8 * inputSize);
  const maskBytes = Math.ceil(maxPlayers / 8);
  return Math.ceil(bits / 8) + maskBytes + 15 + (maskBytes + 11) + JOIN_BYTES_PER_TICK + 60;
}

/** The most bytes `joinEventBytes` gives: the longest name, 3 UTF-8 bytes per UTF-16 unit. */
const MAX_JOIN_EVENT_BYTES = JOIN_EVENT_OVERHEAD + 3 * Limits.usernameLength;

/**
 * How many ticks a burst of joins (every slot at once, with the longest names) is spread
 * over at most, when each join takes the first tick from the last one given whose joins still
 * have room for it: the last join is at most `maxJoinSpreadTicks - 1` ticks after the first.
 * A tick is left only for a join that does not fit in it, so each holds at least
 * `floor(JOIN_BYTES_PER_TICK / MAX_JOIN_EVENT_BYTES)` joins (2).
 */
export function maxJoinSpreadTicks(maxPlayers: number): number {
  return Math.ceil(maxPlayers / Math.floor(JOIN_BYTES_PER_TICK / MAX_JOIN_EVENT_BYTES));
}
