// A match's seats held by players not ready yet, each released after `readyTimeoutMs`.
import type { SchedulerLike, Subscription } from 'rxjs';

/** A held seat: its player's name and ready timer. */
interface Seat {
  readonly username: string;
  timer?: Subscription;
}

/**
 * The seats held by players not ready yet (still loading), by slot. A seat held
 * `readyTimeoutMs` is released and `onReadyTimeout` called with its slot.
 */
export class HeldSeats {
  private readonly seats = new Map<number, Seat>();

  /**
   * @param scheduler Where the ready timers run.
   * @param readyTimeoutMs How long a seat is held (`Infinity`: until taken or released).
   * @param onReadyTimeout Called with the slot of a seat released for its timeout.
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly readyTimeoutMs: number,
    private readonly onReadyTimeout: (slot: number) => void,
  ) {}

  /** Whether `slot` is held. */
  has(slot: number): boolean {
    return this.seats.has(slot);
  }

  /** The name of the player holding `slot`, if it is held. */
  usernameOf(slot: number): string | undefined {
    return this.seats.get(slot)?.username;
  }

  /** Holds `slot` (free) for `username`, and starts its ready timer. */
  hold(slot: number, username: string): void {
    const seat: Seat = { username };
    this.seats.set(slot, seat);
    if (this.readyTimeoutMs !== Infinity)
      seat.timer = this.scheduler.schedule(() => {
        if (this.seats.get(slot) !== seat) return;
        this.seats.delete(slot);
        this.onReadyTimeout(slot);
      }, this.readyTimeoutMs);
  }

  /** Releases `slot` (taken or given up), stopping its timer; nothing if it is not held. */
  release(slot: number): void {
    const seat = this.seats.get(slot);
    if (seat === undefined) return;
    this.seats.delete(slot);
    seat.timer?.unsubscribe();
  }

  /** Releases every seat, stopping the timers. */
  clear(): void {
    for (const seat of this.seats.values()) seat.timer?.unsubscribe();
    this.seats.clear();
  }
}
