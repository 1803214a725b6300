// Datagram-size arithmetic: the worst-case size of a frame, and how many joins one frame may carry.
import { Limits } from './messages.js';

const utf8 = new TextEncoder();

/**
 * Bytes of join events (ids and names) one frame may carry; when more players join at once
 * their joins are spread over the next ticks, so every frame fits in one datagram.
 */
export const JOIN_BYTES_PER_TICK = 300;

/** The bytes a join event of `username` takes in a frame, counted generously. */
export function joinEventBytes(username: string): number {
  return 12 + utf8.encode(username).length;
}

/**
 * The largest Frames packet of one frame: every slot with a changed input, a leave event
 * naming every slot, the joins a frame may carry, and the largest header.
 */
export function worstFramePacketBytes(maxPlayers: number, inputSize: number): number {
  const bits = maxPlayers + 1 + maxPlayers * (1 + 8 * inputSize);
  return Math.ceil(bits / 8) + Math.ceil(maxPlayers / 8) + 15 + JOIN_BYTES_PER_TICK + 60;
}

/**
 * How many ticks a burst of joins (every slot at once, with the longest names) is spread
 * over at most: the assembler must accept joins that far ahead.
 */
export function maxJoinSpreadTicks(maxPlayers: number): number {
  // A name of usernameLength characters takes at most 4 UTF-8 bytes each.
  return Math.ceil((maxPlayers * (12 + 4 * Limits.usernameLength)) / JOIN_BYTES_PER_TICK);
}
