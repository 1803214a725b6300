// Who is in which slot: membership folded over confirmed frames, joined then left.
import { confirmedFrame, type ConfirmedFrame, type PlayerInfo, type PlayerLeft } from '../types.js';

/**
 * Who is in which slot, after the frames applied so far: each frame's `joined` is applied,
 * then its `left` (a player may join and leave in one frame).
 *
 * <span class="informal">The one place that knows the members. The server folds the frames
 * it confirms into one; a client folds the frames it receives into one, starting from the
 * players it was told were there when it joined. Frames are authoritative: a join to a held
 * slot replaces its player, a leave of an empty slot empties it.</span>
 *
 * @example
 * ```ts
 * const roster = new Roster(accepted.players);
 * frames$.subscribe((frame) => game.step(roster.apply(frame))); // leaves carry their names
 * ```
 */
export class Roster {
  private readonly slots = new Map<number, PlayerInfo>();

  /** @param initial The members before the first frame applied. Default: nobody. */
  constructor(initial: readonly PlayerInfo[] = []) {
    for (const player of initial) this.slots.set(player.playerId, player);
  }

  /**
   * Applies a frame's joins, then its leaves.
   *
   * @returns The frame with each `left` entry's `username` taken from the roster (names of
   * leaves are not on the wire); the same object if every name was already right.
   */
  apply(frame: ConfirmedFrame): ConfirmedFrame {
    const { joined, left } = frame;
    if (joined !== undefined) for (const player of joined) this.slots.set(player.playerId, player);
    if (left === undefined) return frame;
    let named: PlayerLeft[] | undefined;
    for (let i = 0; i < left.length; i += 1) {
      const leaving = left[i];
      const username = this.slots.get(leaving.playerId)?.username;
      this.slots.delete(leaving.playerId);
      if (username === undefined || username === leaving.username) continue;
      named ??= left.slice();
      named[i] = { playerId: leaving.playerId, username, reason: leaving.reason };
    }
    return named === undefined
      ? frame
      : confirmedFrame(frame.tick, frame.inputs, joined, named, frame.substituted);
  }

  /** The username of the player in `slot`, or undefined if it is empty. */
  nameOf(slot: number): string | undefined {
    return this.slots.get(slot)?.username;
  }

  /** The members, by `playerId`. */
  members(): PlayerInfo[] {
    return [...this.slots.values()].sort((a, b) => a.playerId - b.playerId);
  }
}
