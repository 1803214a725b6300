import {
  Observable,
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { subscribeLinked } from './subscribeLinked.js';

/** Options of {@link playout}. */
export interface PlayoutOptions {
  /** How long the first value is held before it is released, in ms: the buffer's depth. */
  delayMs: number;
  /** The cadence values are released at, in ms (one tick: `1000 / tickRate`). */
  intervalMs: number;
  /**
   * Held values beyond `ceil(delayMs / intervalMs) + catchUpAfter` are released at twice the
   * cadence until the backlog is back to the buffer's depth. Default `2`.
   */
  catchUpAfter?: number;
  /**
   * The most values held: beyond it the oldest is released at once, so memory stays
   * bounded whatever the source does. Default `1024`.
   */
  maxHeld?: number;
  /** Where the releases are scheduled. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * A playout (jitter) buffer: releases values on an even cadence, after an initial delay,
 * instead of in the bursts they arrive in.
 *
 * <span class="informal">After a lost packet, a lockstep client gets several frames at once
 * when the resend arrives. Played as they come, the game stutters; held `delayMs` and
 * released one per tick, it runs smoothly `delayMs` behind.</span>
 *
 * ```text
 * source:  a-------(bcd)-------e----|
 *          playout({ delayMs: 2, intervalMs: 2 })
 * result:  --a-----b-c-d-------e----|
 * ```
 *
 * Nothing is dropped or reordered. The first value is released `delayMs` after it arrives;
 * each next one `intervalMs` after the one before, or at once if it arrives later than that
 * (the cadence then starts again from it). A backlog beyond the buffer's depth is released
 * at twice the cadence until it is back, and beyond `maxHeld` values the oldest goes at
 * once. Completion waits until every held value is
 * released; an error passes through at once and drops what is held.
 *
 * @example
 * client.frames$.pipe(playout({ delayMs: 100, intervalMs: 1000 / client.tickRate }))
 *   .subscribe((frame) => world.step(frame));
 *
 * @param options `delayMs` and `intervalMs` (required), `catchUpAfter` (default `2`),
 * `maxHeld` (default `1024`), `scheduler` (default `asyncScheduler`).
 * @returns An operator that emits the source's values, in order, evenly spaced.
 * @throws {RangeError} At call time, if a duration is negative or not finite.
 */
export function playout<T>(options: PlayoutOptions): MonoTypeOperatorFunction<T> {
  const { delayMs, intervalMs } = options;
  const catchUpAfter = options.catchUpAfter ?? 2;
  const maxHeld = options.maxHeld ?? 1024;
  const scheduler = options.scheduler ?? asyncScheduler;
  for (const [name, v] of [
    ['delayMs', delayMs],
    ['intervalMs', intervalMs],
    ['catchUpAfter', catchUpAfter],
    ['maxHeld', maxHeld],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0`);
  }
  const depth = intervalMs > 0 ? Math.ceil(delayMs / intervalMs) : 0;

  return (source) =>
    new Observable<T>((subscriber) => {
      const queue: T[] = [];
      let head = 0; // index of the next value to release in `queue`
      let nextRelease = -1; // earliest time the next value may go; -1 before the first
      let timer: Subscription | undefined;
      let completed = false;

      const held = (): number => queue.length - head;

      const release = (): void => {
        timer = undefined;
        const now = scheduler.now();
        const value = queue[head++];
        if (head > 64 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        const step = held() > depth + catchUpAfter ? intervalMs / 2 : intervalMs;
        nextRelease = now + step;
        subscriber.next(value);
        schedule();
      };

      const schedule = (): void => {
        if (timer || subscriber.closed) return;
        if (held() === 0) {
          if (completed) subscriber.complete();
          return;
        }
        const now = scheduler.now();
        const due = Math.max(0, nextRelease - now);
        timer = scheduler.schedule(release, due);
      };

      subscribeLinked(source, subscriber, {
        next: (value) => {
          if (nextRelease < 0) nextRelease = scheduler.now() + delayMs;
          queue.push(value);
          if (held() > maxHeld) {
            // Over the bound: the oldest goes now (nothing is ever dropped).
            timer?.unsubscribe();
            release();
            return;
          }
          schedule();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          completed = true;
          schedule();
        },
      });

      return () => {
        timer?.unsubscribe();
        timer = undefined;
        queue.length = 0;
      };
    });
}
