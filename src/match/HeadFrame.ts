// What the assembler's head frame waits for, and the parts it is made of (substitutes, leaves).
import type { PlayerInfo, PlayerLeft, SubstituteInput } from '../types.js';
import { byPlayerId, isMissing, subAt, type Departure, type Player } from './AssemblerPlayer.js';

/** Players in the match at `head` whose input for it has not come yet. */
export function countMissing(slots: readonly (Player | undefined)[], head: number): number {
  let n = 0;
  for (let slot = 0; slot < slots.length; slot += 1) {
    const player = slots[slot];
    if (player !== undefined && isMissing(player, head)) n += 1;
  }
  return n;
}

/**
 * With nobody missing at `head`, whether its frame is driven: someone in it sent a real
 * input (or joins there), or nobody in it is substituted.
 */
export function isDriven(slots: readonly (Player | undefined)[], head: number): boolean {
  let anySubstituted = false;
  for (const player of slots) {
    if (player === undefined || player.joinTick > head) continue;
    if (player.inputs.has(head) || player.joinTick === head) return true;
    if (subAt(player, head)) anySubstituted = true;
  }
  return !anySubstituted;
}

/** The input put in for a substituted player. */
export function substituteFor(
  player: Player,
  inputSize: number | undefined,
  substituteInput: SubstituteInput,
): Uint8Array {
  const size = inputSize ?? player.last?.length ?? 0;
  if (substituteInput === 'repeat' && player.last !== undefined) return player.last;
  return new Uint8Array(size);
}

/**
 * Frame `tick`'s `left`, from the players leaving at it, by `playerId`; those of them that
 * joined at `tick` are added to `joined` (returned, sorted).
 */
export function frameLeaves(
  departures: readonly Departure[],
  tick: number,
  joined: PlayerInfo[] | undefined,
): { left: PlayerLeft[]; joined: PlayerInfo[] | undefined } {
  const left: PlayerLeft[] = [];
  for (const departure of departures) {
    left.push(departure.left);
    if (departure.joinTick === tick) (joined ??= []).push(departure.info);
  }
  left.sort(byPlayerId);
  joined?.sort(byPlayerId);
  return { left, joined };
}
