// A player as the assembler holds it: its slot's inputs and substitution window, and its leave.
import type { PlayerInfo, PlayerLeft } from '../types.js';
import type { InputRing } from './InputRing.js';

/** A player in a slot: active from `joinTick` on (pending before). */
export interface Player {
  readonly info: PlayerInfo;
  readonly joinTick: number;
  /** Inputs by tick, for ticks in [max(head, joinTick), head + maxTicksAhead). */
  readonly inputs: InputRing;
  /** Its input is substituted for the ticks in [subFrom, subUntil) it sends none for. */
  subFrom: number;
  subUntil: number;
  /** Its input in the last frame confirmed with it (for `repeat`). */
  last: Uint8Array | undefined;
  /** Since when its input has been substituted for being late (`lateInputMs`) with none of its own in a frame. */
  lateSince: number | undefined;
}

/** A player that left at the head tick, named in that frame's `left`. */
export interface Departure {
  readonly left: PlayerLeft;
  readonly info: PlayerInfo;
  readonly joinTick: number;
}

/** Orders players by slot. */
export const byPlayerId = (a: PlayerInfo, b: PlayerInfo): number => a.playerId - b.playerId;

/** Whether `player`'s input at `tick` is substituted when missing. */
export function subAt(player: Player, tick: number): boolean {
  return tick >= player.subFrom && tick < player.subUntil;
}

/** Whether two inputs have the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** In the match at `tick`, not substituted there, and without an input for it. */
export function isMissing(player: Player, tick: number): boolean {
  return player.joinTick <= tick && !subAt(player, tick) && !player.inputs.has(tick);
}

/** The player leaving slot `slot` at the head, if any. */
export function departureOf(departures: readonly Departure[], slot: number): Departure | undefined {
  for (const departure of departures) if (departure.info.playerId === slot) return departure;
  return undefined;
}

/**
 * The players in `slots` whose join tick is before `tick`, and, if `departures` are given
 * (`tick` is the head), those leaving there that joined before it; sorted by `playerId`.
 */
export function playersBefore(
  slots: readonly (Player | undefined)[],
  tick: number,
  departures: readonly Departure[] | undefined,
): PlayerInfo[] {
  const members: PlayerInfo[] = [];
  for (const player of slots) {
    if (player !== undefined && player.joinTick < tick) members.push(player.info);
  }
  if (departures !== undefined) {
    for (const departure of departures) {
      if (departure.joinTick < tick) members.push(departure.info);
    }
    members.sort(byPlayerId);
  }
  return members;
}
