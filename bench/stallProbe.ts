// The bots' side of the stall bench: block this process's event loop once, then time how long the bots take to catch up.

/** What the bots measured around one injected stall. */
export interface StallResult {
  /** How long the event loop was blocked (ms). */
  readonly stallMs: number;
  /** Mean lag (ticks sent - frames received) just before the stall. */
  readonly lagBefore: number;
  /** The largest mean lag seen after it. */
  readonly lagPeak: number;
  /** From the stall's end until the mean lag was back within 2 ticks of `lagBefore`; null: never. */
  readonly recoveredAfterMs: number | null;
}

/**
 * Blocks the event loop for `stallMs` (a busy wait, as a long GC pause or the OS descheduling
 * the process would), `atMs` after `arm`, and follows the bots' mean lag afterwards: call
 * `sample` on every tick of the send loop.
 */
export class StallProbe {
  private stallMs = 0;
  private lagBefore = NaN;
  private lagPeak = 0;
  private endedAt = NaN;
  private recoveredAfterMs: number | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly lagOf: () => number) {}

  arm(stallMs: number, atMs: number): void {
    this.timer = setTimeout(() => {
      this.lagBefore = this.lagOf();
      const until = performance.now() + stallMs;
      while (performance.now() < until) {
        // blocked: no datagram is read, no input sent, no timer runs
      }
      this.endedAt = performance.now();
      this.stallMs = stallMs;
    }, atMs);
  }

  /** One tick of the send loop, after its sends. */
  sample(): void {
    if (Number.isNaN(this.endedAt) || this.recoveredAfterMs !== null) return;
    const lag = this.lagOf();
    this.lagPeak = Math.max(this.lagPeak, lag);
    if (lag <= this.lagBefore + 2) this.recoveredAfterMs = performance.now() - this.endedAt;
  }

  /** The figures, once the window is over (undefined if the stall never ran). */
  result(): StallResult | undefined {
    clearTimeout(this.timer);
    if (Number.isNaN(this.endedAt)) return undefined;
    return {
      stallMs: this.stallMs,
      lagBefore: this.lagBefore,
      lagPeak: this.lagPeak,
      recoveredAfterMs: this.recoveredAfterMs,
    };
  }
}
