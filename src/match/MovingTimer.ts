// A timer whose deadline moves without being cancelled: one that fires early re-arms for the rest.
import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * A one-shot timer for a deadline that moves often (each tick): moving it costs no timer,
 * and a timer that fires before the deadline re-arms itself for what is left. It calls
 * `onDue` once the deadline is reached, unless the deadline was cleared first.
 */
export class MovingTimer {
  /** When it is due; undefined while nothing is waited for (an armed timer then does nothing). */
  deadline: number | undefined;
  private timer: Subscription | undefined;

  /**
   * @param scheduler Where it runs.
   * @param onDue Called with the deadline and the time when it is reached, the deadline
   * cleared just before.
   * @param slack A timer this close to the deadline (or closer) counts as due.
   */
  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly onDue: (deadline: number, now: number) => void,
    private readonly slack: number = 0,
  ) {}

  /** Makes sure a timer runs for the deadline (set first). */
  arm(): void {
    const { deadline } = this;
    if (deadline !== undefined)
      this.timer ??= this.scheduler.schedule(
        this.fire,
        Math.max(0, deadline - this.scheduler.now()),
      );
  }

  /** Cancels the timer and clears the deadline. */
  cancel(): void {
    this.deadline = undefined;
    if (this.timer !== undefined) {
      this.timer.unsubscribe();
      this.timer = undefined;
    }
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const { deadline } = this;
    if (deadline === undefined) return; // nobody is waiting any more
    const now = this.scheduler.now();
    if (deadline - now > this.slack) {
      this.timer = this.scheduler.schedule(this.fire, deadline - now); // the deadline moved
      return;
    }
    this.deadline = undefined;
    this.onDue(deadline, now);
  };
}
