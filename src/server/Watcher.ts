// One spectator on the server: its connection, and the next frame of the match it is sent over the reliable channel.
import type { FrameLog } from '../match/FrameLog.js';
import type { CodecContext } from '../protocol/index.js';
import { pumpFrames, type CatchUpCache, type CatchUpSink } from './catchUp.js';

/** A spectator's reliable channel, as its watcher needs it. */
export interface WatcherLink extends CatchUpSink {
  /** Tells the spectator the catch-up is over: the frames from `tick` on are live. */
  readonly caughtUp: (tick: number) => void;
}

/** What one round of sending did for a watcher. */
export const WatcherState = {
  /** Every frame it may have is sent. */
  Current: 'current',
  /** It has more to get (its connection is full, or this turn's share is sent). */
  More: 'more',
  /** It fell further behind than the lag allowed: it does not read its connection. */
  Behind: 'behind',
  /** The frames it needs are no longer in the log. */
  Lost: 'lost',
} as const;
export type WatcherState = (typeof WatcherState)[keyof typeof WatcherState];

/**
 * A spectator's link: every frame from `firstTick` on, in CatchUp messages over the reliable
 * channel only (no datagrams, nothing to acknowledge), paced by what its connection has
 * queued. Its frames are never in a player's send window, and nothing waits for it: one that
 * does not read falls behind the frames it may have, and past `maxLagTicks` more than the
 * least it was ever behind, it is {@link WatcherState.Behind} (the server drops it).
 */
export class Watcher {
  /** The next frame to send it. */
  private next: number;
  /** It was told CaughtUp (the catch-up is over, the frames are live). */
  private live = false;
  /** The fewest frames it was ever behind: a catch-up is behind by a lot, and gains. */
  private leastLag = Number.POSITIVE_INFINITY;

  constructor(
    private readonly link: WatcherLink,
    readonly username: string,
    firstTick: number,
    private readonly maxLagTicks: number,
  ) {
    this.next = firstTick;
  }

  /** The next frame it is to get. */
  get nextTick(): number {
    return this.next;
  }

  /**
   * Sends what its connection has room for of the frames before `until` (the newest
   * confirmed frame it may have, plus one); once it has them all the first time, CaughtUp.
   */
  pump(log: FrameLog, ctx: CodecContext, until: number, cache: CatchUpCache): WatcherState {
    const done = pumpFrames(this.link, log, ctx, this.next, until, cache);
    this.next = done.next;
    if (done.state === 'lost') return WatcherState.Lost;
    const lag = Math.max(0, until - this.next);
    this.leastLag = Math.min(this.leastLag, lag);
    if (lag > this.leastLag + this.maxLagTicks) return WatcherState.Behind;
    if (done.state === 'more') return WatcherState.More;
    if (!this.live) {
      this.live = true;
      this.link.caughtUp(this.next);
    }
    return WatcherState.Current;
  }
}
