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
 * has no lead (undefined). The two slowest players are kept, so a new input costs O(1), and a
 * scan over the players (O(players)) happens only when one of those two advances: about twice
 * a tick for the whole match, not once per input.
 */
export class InputLead {
  /** The newest input tick of each tracked player, by slot (undefined: not tracked). */
  private readonly newest: (number | undefined)[];
  private readonly average: (number | undefined)[];
  /** The slots of the slowest and second slowest tracked players (-1: none). */
  private slowest = -1;
  private second = -1;
  /** The two slowest must be found again (one of them advanced, or who is tracked changed). */
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
    // Ticks only grow: another player advancing cannot pass below the two slowest.
    if (top === undefined || slot === this.slowest || slot === this.second) this.stale = true;
    if (this.stale) this.findSlowest();
    const other = slot === this.slowest ? this.second : this.slowest;
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

  /** Finds the slots of the two slowest tracked players. */
  private findSlowest(): void {
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
    this.second = b;
    this.stale = false;
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
