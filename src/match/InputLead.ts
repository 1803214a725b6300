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
 * has no lead (undefined). O(players) per new input.
 */
export class InputLead {
  /** The newest input tick of each tracked player, by slot (undefined: not tracked). */
  private readonly newest: (number | undefined)[];
  private readonly average: (number | undefined)[];

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
    let slowest = Infinity;
    for (let q = 0; q < newest.length; q++) {
      const t = newest[q];
      if (q !== slot && t !== undefined && t < slowest) slowest = t;
    }
    if (slowest === Infinity) return;
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
