import {
  Observable,
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { createRandom } from './random.js';
import { subscribeLinked } from './subscribeLinked.js';

/** Options of {@link conditionLink}. Every one is optional; all defaults give the identity. */
export interface LinkConditionerOptions {
  /** Probability in [0, 1] that a value is dropped. Default `0`. */
  loss?: number;
  /** Probability in [0, 1] that a (not dropped) value is delivered twice. Default `0`. */
  duplicate?: number;
  /** Fixed delay in ms added to every value. Default `0`. */
  delayMs?: number;
  /**
   * Extra random delay: a whole number of ms, uniform over `0 .. floor(jitterMs)`, drawn for
   * each delivery. Default `0`.
   */
  jitterMs?: number;
  /**
   * Probability in [0, 1] that a delivery is held back by an extra `reorderDelayMs`, so that
   * later values overtake it. Default `0`.
   */
  reorder?: number;
  /**
   * The extra delay of a reordered delivery, in ms.
   * Default `max(10, 2 * (delayMs + jitterMs))`.
   */
  reorderDelayMs?: number;
  /**
   * Seed of the pseudo-random generator: the same seed and the same input sequence give the
   * same output, exactly (same values, same times). Truncated to an unsigned 32-bit integer.
   * Default `1`.
   */
  seed?: number;
  /** Where delayed deliveries are scheduled. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * Makes a stream behave like a bad network link: drops, duplicates, delays, jitters and
 * reorders its values, reproducibly from a seed.
 *
 * <span class="informal">Put it between two ends of a pipeline in tests and demos to see
 * what packet loss, duplication and reordering do to them, with the same "bad luck" on
 * every run.</span>
 *
 * ```
 * source:  a-b-c-d-e-|
 *          conditionLink({ loss: 0.3, delayMs: 2, seed: 3 })
 * result:  --a-b-c---(e|)      (d is lost: with seed 3, always d)
 * ```
 *
 * For each source value, in order, the generator decides whether the value is lost, and if
 * not, whether it is delivered once or twice; each delivery then waits
 * `delayMs + jitter (+ reorderDelayMs if reordered)`. A delivery with a total delay of zero
 * is emitted synchronously, so with all the defaults the operator is the identity. Every
 * value consumes the same number of random draws whatever the options, so the loss pattern
 * of a seed does not change when, say, `jitterMs` does.
 *
 * Completion waits until every delayed delivery has been made (like `delay`); an error
 * passes through at once, dropping the deliveries still pending. Unsubscribing cancels
 * them.
 *
 * @example
 * ```ts
 * const badLink = conditionLink({
 *   loss: 0.05, duplicate: 0.01, delayMs: 40, jitterMs: 20, reorder: 0.02, seed: 42,
 * });
 * clientPackets$.pipe(badLink).subscribe((packet) => server.receive(packet));
 * ```
 *
 * @param options `loss`, `duplicate`, `reorder` (each default `0`), `delayMs`, `jitterMs`
 * (each default `0`), `reorderDelayMs` (default `max(10, 2 * (delayMs + jitterMs))`), `seed`
 * (default `1`) and `scheduler` (default `asyncScheduler`).
 * @returns A function that returns an Observable of the source's values as the link
 * delivers them.
 * @throws {RangeError} At call time, if a probability is not in [0, 1], a delay is negative
 * or not finite, or the seed is not finite.
 */
export function conditionLink<T>(
  options: LinkConditionerOptions = {},
): MonoTypeOperatorFunction<T> {
  const loss = probability('loss', options.loss);
  const duplicate = probability('duplicate', options.duplicate);
  const reorder = probability('reorder', options.reorder);
  const delayMs = duration('delayMs', options.delayMs);
  const jitterMs = duration('jitterMs', options.jitterMs);
  const reorderDelayMs =
    options.reorderDelayMs === undefined
      ? Math.max(10, 2 * (delayMs + jitterMs))
      : duration('reorderDelayMs', options.reorderDelayMs);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) {
    throw new RangeError(`conditionLink: seed must be a finite number, got ${seed}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  /** A draw `r` in [0, 1) gives a jitter of `floor(r * jitterSpan)`: 0 .. floor(jitterMs). */
  const jitterSpan = Math.floor(jitterMs) + 1;

  return (source) =>
    new Observable<T>((subscriber) => {
      const random = createRandom(seed);
      /** Deliveries scheduled and not yet made, to cancel on teardown. */
      const pending = new Set<Subscription>();
      /** How many deliveries are scheduled and not yet made. */
      let pendingCount = 0;
      let sourceDone = false;

      /** Draws a delivery's delay: always two draws. */
      const drawDelay = (): number => {
        const jitter = Math.floor(random() * jitterSpan);
        const reordered = random() < reorder;
        return delayMs + jitter + (reordered ? reorderDelayMs : 0);
      };

      // One function for every delivery: the value travels as the action's state.
      function deliver(this: SchedulerAction<T>, value?: T): void {
        pending.delete(this);
        pendingCount -= 1;
        subscriber.next(value as T);
        if (sourceDone && pendingCount === 0) subscriber.complete();
      }

      const schedule = (value: T, delay: number): void => {
        pendingCount += 1;
        pending.add(scheduler.schedule(deliver, delay, value));
      };

      const cancelAll = (): void => {
        for (const action of pending) action.unsubscribe();
        pending.clear();
        pendingCount = 0;
      };

      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (value) => {
          // Six draws per value whatever happens, so one option does not shift the others.
          const lost = random() < loss;
          const twice = random() < duplicate;
          const firstDelay = drawDelay();
          const secondDelay = drawDelay();
          if (lost) return;
          // Schedule the delayed deliveries first, then emit the immediate ones.
          if (firstDelay > 0) schedule(value, firstDelay);
          if (twice && secondDelay > 0) schedule(value, secondDelay);
          if (firstDelay === 0) subscriber.next(value);
          if (twice && secondDelay === 0) subscriber.next(value);
        },
        error: (err) => {
          cancelAll();
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          if (pendingCount === 0) subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        cancelAll();
      };
    });
}

function probability(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`conditionLink: ${name} must be a probability in [0, 1], got ${value}`);
  }
  return value;
}

function duration(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!(value >= 0 && Number.isFinite(value))) {
    throw new RangeError(`conditionLink: ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}
