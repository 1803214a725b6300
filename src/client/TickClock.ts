// The game's tick clock: ticks at the match's rate, a little faster or slower to keep this player's inputs in step with the others'.
import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

/** Options of a {@link TickClock}. */
export interface TickClockOptions {
  /** Ticks per second at the nominal rate. */
  readonly tickRate: number;
  /** Where time comes from. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /**
   * Rate change per tick of lead: with a lead of `n` ticks the clock aims at a rate
   * `1 - n * gain` times the nominal one. Default 0.02.
   */
  readonly gain?: number;
  /** The largest rate change either way, a fraction of the nominal rate. Default 0.25. */
  readonly maxAdjust?: number;
  /** The largest change of the rate from one tick to the next (no jumps). Default 0.005. */
  readonly maxStep?: number;
  /**
   * A tick later than this many tick lengths (a throttled tab, a paused process) restarts
   * the clock's time from now: the ticks missed are not fired in a burst, the clock catches
   * up at its bounded rate from the server's feedback. Default 3.
   */
  readonly maxLateTicks?: number;
}

/**
 * Paces a game's ticks: emits a tick about `tickRate` times a second, slower when the
 * server says this player's inputs arrive ahead of the others', faster when they arrive
 * behind, by a rate change bounded by `maxAdjust` and changing by at most `maxStep` a tick.
 *
 * <span class="informal">A plain `interval(1000 / tickRate)` drifts from the other players'
 * clocks, so one player's inputs arrive later and later and everyone's frames wait for
 * them. This clock is steered by the lead the server measures ({@link TickClock.feedback}):
 * the frames come in step, whichever clock runs fast.</span>
 *
 * It runs while something is subscribed to `ticks$` and it was started. It never reads the
 * wall clock: time is its scheduler's.
 *
 * @example
 * ```ts
 * const clock = new TickClock({ tickRate: 60 });
 * clock.ticks$.subscribe((tick) => client.sendInput(sample(tick)));
 * clock.start(0);
 * clock.feedback(2.5); // the server says: 2.5 ticks ahead of the others (slows down)
 * ```
 */
export class TickClock {
  /** The tick numbers, from the one given to `start`, one per tick. */
  readonly ticks$: Observable<number>;
  private readonly subject = new Subject<number>();
  private readonly scheduler: SchedulerLike;
  private readonly tickMs: number;
  private readonly gain: number;
  private readonly maxAdjust: number;
  private readonly maxStep: number;
  private readonly maxLateMs: number;
  private subscribers = 0;
  private started = false;
  private stopped = false;
  private tick = 0;
  private lead = 0;
  private adjust = 0;
  /** When the next tick is due (scheduler time). */
  private dueAt = 0;
  private timer: Subscription | undefined;

  /**
   * @param options See {@link TickClockOptions}.
   * @throws {RangeError} If `tickRate` is not positive.
   */
  constructor(options: TickClockOptions) {
    if (!(options.tickRate > 0)) throw new RangeError('tickRate must be positive');
    this.tickMs = 1000 / options.tickRate;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.gain = options.gain ?? 0.02;
    this.maxAdjust = options.maxAdjust ?? 0.25;
    this.maxStep = options.maxStep ?? 0.005;
    this.maxLateMs = (options.maxLateTicks ?? 3) * this.tickMs;
    this.ticks$ = new Observable<number>((subscriber) => {
      const subscription = this.subject.subscribe(subscriber);
      this.subscribers += 1;
      this.update();
      return () => {
        subscription.unsubscribe();
        this.subscribers -= 1;
        this.update();
      };
    });
  }

  /** The rate now, as a multiple of the nominal rate (1: nominal). */
  get rate(): number {
    return 1 + this.adjust;
  }

  /** The next tick number to be emitted. */
  get nextTick(): number {
    return this.tick;
  }

  /** Starts ticking from `tick` (the first one a tick length from now). Once. */
  start(tick: number): void {
    if (this.started) return;
    this.started = true;
    this.tick = tick;
    this.update();
  }

  /**
   * The server's latest measure of how many ticks ahead (positive) or behind (negative) of
   * the others this player's inputs arrive. The clock steers its rate toward
   * `1 - lead * gain` (within `maxAdjust`).
   */
  feedback(leadTicks: number): void {
    if (Number.isFinite(leadTicks)) this.lead = leadTicks;
  }

  /** Stops for good; `ticks$` completes. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.update();
    this.subject.complete();
  }

  private update(): void {
    const run = this.started && !this.stopped && this.subscribers > 0;
    if (run && this.timer === undefined) {
      this.dueAt = this.scheduler.now() + this.tickMs / this.rate;
      this.arm();
    } else if (!run && this.timer !== undefined) {
      this.timer.unsubscribe();
      this.timer = undefined;
    }
  }

  private arm(): void {
    const delay = Math.max(0, this.dueAt - this.scheduler.now());
    this.timer = this.scheduler.schedule(this.onTick, delay);
  }

  private readonly onTick = (): void => {
    this.timer = undefined;
    if (this.stopped || this.subscribers === 0) return;
    const now = this.scheduler.now();
    // Steer toward the rate the lead asks for, by at most maxStep a tick.
    const { maxAdjust, maxStep } = this;
    const want = Math.max(-maxAdjust, Math.min(maxAdjust, -this.lead * this.gain));
    this.adjust += Math.max(-maxStep, Math.min(maxStep, want - this.adjust));
    // A tick much later than due (a throttled timer): no burst, time restarts from now.
    if (now - this.dueAt > this.maxLateMs) this.dueAt = now;
    this.dueAt += this.tickMs / this.rate;
    const tick = this.tick;
    this.tick = tick + 1;
    this.arm();
    this.subject.next(tick);
  };
}
