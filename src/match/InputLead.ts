// How many ticks ahead of the other players each player's inputs arrive: the feedback a client paces its ticks by.

/**
 * Tracks, for each player, how far ahead (positive) or behind (negative) of the slowest
 * other player its inputs arrive at the server, in ticks, averaged over its recent inputs.
 *
 * <span class="informal">A frame can be confirmed once every player's input for it is in:
 * a player whose inputs come 3 ticks before the others' waits 3 ticks for them, a player 3
 * ticks behind makes the others wait. Each client slows down or speeds up until its lead is
 * about 0, so every input reaches the server about when the frame can be confirmed.</span>
 *
 * Each time a player's input for a tick newer than any before arrives, the sample is that
 * tick minus the newest tick of the slowest other tracked player; the lead is an
 * exponential average of the samples (weight 1/8). A player with no other tracked player
 * has no lead (undefined). The slowest player is kept, so a new input costs O(1); a scan over
 * the players (O(players)) happens only when the slowest one advances (about once a tick for
 * the whole match, not once per input) or who is tracked changes.
 */
export class InputLead {
  /** The newest input tick of each tracked player, by slot (undefined: not tracked). */
  private readonly newest: (number | undefined)[];
  private readonly average: (number | undefined)[];
  /** The slot of the slowest tracked player (-1: none), valid while not `stale`. */
  private slowest = -1;
  /** The slowest must be found again (who is tracked changed). */
  private stale = true;

  constructor(maxPlayers: number) {
    this.newest = new Array<number | undefined>(maxPlayers).fill(undefined);
    this.average = new Array<number | undefined>(maxPlayers).fill(undefined);
  }

  /** Player `slot`'s input for `tick` arrived (older ticks than its newest are ignored). */
  input(slot: number, tick: number): void {
    const { newest } = this;
    const top = newest[slot];
    if (top !== undefined && tick <= top) return;
    newest[slot] = tick;
    if (top === undefined) this.stale = true;
    // Ticks only grow: a player other than the slowest advancing leaves the slowest as it is;
    // the slowest advancing needs the slowest of the others (and who is slowest now).
    let other = this.slowest;
    if (this.stale || slot === this.slowest) other = this.findSlowest(slot);
    const slowest = other < 0 ? undefined : newest[other];
    if (slowest === undefined) return;
    const sample = tick - slowest;
    const avg = this.average[slot];
    this.average[slot] = avg === undefined ? sample : avg + (sample - avg) / 8;
  }

  /**
   * Player `slot` is no longer compared with (it left, or is away: its inputs stopped) until
   * its next input; its own average is forgotten.
   */
  forget(slot: number): void {
    this.newest[slot] = undefined;
    this.average[slot] = undefined;
    this.stale = true;
  }

  /**
   * Finds the slowest tracked player (kept in `slowest`).
   * @returns The slowest tracked player other than `slot`, or -1.
   */
  private findSlowest(slot: number): number {
    const { newest } = this;
    let a = -1;
    let b = -1;
    for (let q = 0; q < newest.length; q++) {
      const t = newest[q];
      if (t === undefined) continue;
      if (a < 0 || t < (newest[a] as number)) {
        b = a;
        a = q;
      } else if (b < 0 || t < (newest[b] as number)) b = q;
    }
    this.slowest = a;
    this.stale = false;
    return a === slot ? b : a;
  }

  /** Player `slot`'s average lead in ticks (negative: behind), or undefined. */
  lead(slot: number): number | undefined {
    return this.average[slot];
  }

  /** Player `slot`'s lead as the Frames packet carries it: eighths of a tick, -32768..32767. */
  wireLead(slot: number): number | undefined {
    const lead = this.average[slot];
    if (lead === undefined) return undefined;
    return Math.max(-32768, Math.min(32767, Math.round(lead * 8)));
  }
}
