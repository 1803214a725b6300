// Each player's share of the time it stalls the others, over a sliding window: who drips inputs just under the timeout.
import type { SchedulerLike } from 'rxjs';

/** One player as the meter sees it on a tick. */
export interface StallSample {
  readonly playerId: number;
  /** Its inputs are all in up to this tick. */
  readonly received: number;
}

/**
 * Measures, for each player, the share of time the match waits on it while another player
 * is ready: an exponential moving average over `windowMs`, so the share is the fraction of
 * about the last `windowMs` that it stalled the others. A short stall (under the disconnect
 * timeout) barely moves it; a player that drips inputs every 1.6 s sits near 1.
 *
 * @example
 * const meter = new StallShare(10_000, 0.5, 250, asyncScheduler);
 * for (const id of meter.tick(head, samples)) kick(id);
 */
export class StallShare {
  private readonly shares = new Map<number, number>();
  private last: number;
  private head = -Infinity;
  private headSince: number;

  /**
   * @param graceMs A head that waits less than this stalls no one (players a little out of
   * phase, a datagram resent): only longer waits count.
   */
  constructor(
    private readonly windowMs: number,
    private readonly maxShare: number,
    private readonly graceMs: number,
    private readonly scheduler: SchedulerLike,
  ) {
    this.last = scheduler.now();
    this.headSince = this.last;
  }

  /**
   * One measure: the match waits for frame `head`; `samples` are the players in its frames.
   * @returns The players whose share is now over `maxShare` (their share starts again at 0).
   */
  tick(head: number, samples: readonly StallSample[]): number[] {
    const now = this.scheduler.now();
    const keep = Math.exp(-Math.max(0, now - this.last) / this.windowMs);
    // Not measured for longer than the grace (the server stalled, or its room was idle and
    // not ticked): that time counts as no one's stall, and the head's wait starts again.
    const unobserved = now - this.last > this.graceMs;
    this.last = now;
    if (head !== this.head || unobserved) [this.head, this.headSince] = [head, now];
    const waited = now - this.headSince >= this.graceMs;
    const othersReady = waited ? samples.filter((s) => s.received >= head).length : 0;
    const over: number[] = [];
    const present = new Set<number>();
    for (const s of samples) {
      present.add(s.playerId);
      const stalling = s.received < head && othersReady > 0;
      const share = (this.shares.get(s.playerId) ?? 0) * keep + (stalling ? 1 - keep : 0);
      if (share > this.maxShare) {
        over.push(s.playerId);
        this.shares.delete(s.playerId);
      } else this.shares.set(s.playerId, share);
    }
    for (const id of this.shares.keys()) if (!present.has(id)) this.shares.delete(id);
    return over;
  }

  /** Player `playerId`'s share now (0..1). */
  shareOf(playerId: number): number {
    return this.shares.get(playerId) ?? 0;
  }
}
