// A match's players away: each keeps its slot for `reconnectGraceMs`, then its grace ends.
import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * The players away, by slot, with their grace timers: `reconnectGraceMs` after a player
 * goes away (unless it is back first), `onGraceEnd` is called with its slot.
 */
export class AwayGrace {
  private readonly timers = new Map<number, Subscription | undefined>();

  /**
   * @param scheduler Where the grace timers run.
   * @param graceMs `reconnectGraceMs` (`Infinity`: no end).
   * @param onGraceEnd Called with the slot of a player whose grace ended (no longer away).
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly graceMs: number,
    private readonly onGraceEnd: (slot: number) => void,
  ) {}

  /** Whether the player in `slot` is away. */
  has(slot: number): boolean {
    return this.timers.has(slot);
  }

  /** The player in `slot` (not away) goes away: its grace starts. */
  start(slot: number): void {
    const timer =
      this.graceMs === Infinity
        ? undefined
        : this.scheduler.schedule(() => {
            if (this.timers.get(slot) !== timer) return;
            this.timers.delete(slot);
            this.onGraceEnd(slot);
          }, this.graceMs);
    this.timers.set(slot, timer);
  }

  /** The player in `slot` is no longer away (back or gone): its grace stops. */
  end(slot: number): void {
    if (!this.timers.has(slot)) return;
    this.timers.get(slot)?.unsubscribe();
    this.timers.delete(slot);
  }

  /** Stops every grace. */
  clear(): void {
    for (const timer of this.timers.values()) timer?.unsubscribe();
    this.timers.clear();
  }
}
