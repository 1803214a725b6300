// The bots' side of the stall bench: block this process's event loop once, then time how long the bots take to catch up.
import { TICK_MS } from './common.js';

/** What the bots measured around one injected stall. */
export interface StallResult {
  /** How long the event loop was blocked (ms). */
  readonly stallMs: number;
  /** The bots' mean lag behind the send clock just before the stall, in ticks. */
  readonly lagBefore: number;
  /** The largest mean lag seen after it, in ticks. */
  readonly lagPeak: number;
  /** The mean lag at the last sample of the window, in ticks. */
  readonly lagLast: number;
  /** From the stall's end until the mean lag was within 2 ticks of `lagBefore`; null: never. */
  readonly recoveredAfterMs: number | null;
}

/**
 * Blocks the event loop for `stallMs` (a busy wait, as a long GC pause or the OS descheduling
 * the process would), `atMs` after `arm`, and follows the bots afterwards: call `sample` on
 * every tick of the send loop. The lag is how far the bots' mean last frame received is
 * behind the send clock.
 */
export class StallProbe {
  private stallMs = 0;
  private lagBefore = NaN;
  private endedAt = NaN;
  private lagPeak = 0;
  private lagLast = NaN;
  private recoveredAfterMs: number | null = null;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param lagOf The send clock's tick minus the mean over the bots of the tick of the last
   * frame received.
   */
  constructor(private readonly lagOf: () => number) {}

  arm(stallMs: number, atMs: number): void {
    this.timer = setTimeout(() => {
      this.lagBefore = this.lagOf();
      const startedAt = performance.now();
      while (performance.now() < startedAt + stallMs) {
        // blocked: no datagram is read, no input sent, no timer runs
      }
      this.endedAt = performance.now();
      this.stallMs = this.endedAt - startedAt;
    }, atMs);
  }

  /** One tick of the send loop, after its sends. */
  sample(): void {
    if (Number.isNaN(this.endedAt)) return;
    const now = performance.now();
    const lag = this.lagOf();
    this.lagLast = lag;
    this.lagPeak = Math.max(this.lagPeak, lag);
    if (this.recoveredAfterMs === null && lag <= this.lagBefore + 2 && now - this.endedAt > TICK_MS)
      this.recoveredAfterMs = now - this.endedAt;
  }

  /** The figures, once the window is over (undefined if the stall never ran). */
  result(): StallResult | undefined {
    clearTimeout(this.timer);
    if (Number.isNaN(this.endedAt)) return undefined;
    return {
      stallMs: this.stallMs,
      lagBefore: this.lagBefore,
      lagPeak: this.lagPeak,
      lagLast: this.lagLast,
      recoveredAfterMs: this.recoveredAfterMs,
    };
  }
}
