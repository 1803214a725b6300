import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { subscribeLinked } from './subscribeLinked.js';

/** Why `inOrder` dropped an item loudly (quiet drops, of duplicates, are not reported). */
export const InOrderWarningCode = {
  /** `capacity` or more keys ahead of the next expected one: holding it would be unbounded. */
  BeyondWindow: 'beyond-window',
  /** The key is not a safe integer (NaN, fractional, infinite, or too large). */
  BadKey: 'bad-key',
} as const;
export type InOrderWarningCode = (typeof InOrderWarningCode)[keyof typeof InOrderWarningCode];

/** An item `inOrder` refused, and why. */
export interface InOrderWarning {
  /** Why the item was refused. */
  readonly code: InOrderWarningCode;
  /** The refused item's key. */
  readonly key: number;
  /** The key `inOrder` was waiting for when it refused the item. */
  readonly expected: number;
  /** The warning in words, for a log. */
  readonly message: string;
}

/** Options of {@link inOrder}. */
export interface InOrderOptions<T> {
  /** The item's key: consecutive integers (ticks, sequence numbers). Called once per item. */
  key: (item: T) => number;
  /** The first key expected. Default `0`. */
  start?: number;
  /**
   * How far ahead of the next expected key an item may be and still be held: keys
   * `>= next + capacity` are dropped with a `beyond-window` warning, so at most
   * `capacity - 1` items are ever held. Default `256`.
   */
  capacity?: number;
  /** Called with every loud drop. Default: none (drops are silent). */
  onWarning?: (warning: InOrderWarning) => void;
}

/**
 * Delivers items in key order, each key once, holding early items until the gap before
 * them fills.
 *
 * <span class="informal">The receiving end of an unreliable link: packets arrive
 * duplicated and out of order, the application sees 0, 1, 2, 3... exactly once each.</span>
 *
 * ```
 * source:  --1--0-----0--3--2-----4--|
 *               inOrder({ key: (x) => x })
 * result:  -----(01)--------(23)--4--|
 * ```
 *
 * Keys below the next expected one (already delivered) and keys already held are dropped
 * silently: duplicates are normal on such a link. A key `capacity` or more ahead of the next
 * expected one is dropped with a `beyond-window` warning, and so is a key that is not a safe
 * integer (`bad-key`), so memory stays bounded whatever arrives.
 *
 * The last key delivered in order is simply the key of the last item emitted: owners use it
 * as their acknowledgement ("everything up to k received").
 *
 * Completion and errors pass through at once; held items are discarded.
 *
 * @example
 * ```ts
 * const ticks$ = packets$.pipe(
 *   inOrder({ key: (p) => p.tick, start: firstTick, onWarning: (w) => log.warn(w.message) }),
 * );
 * ticks$.subscribe((p) => ack(p.tick)); // p.tick is the last contiguous tick
 * ```
 *
 * @param options The key function, `start` (default `0`), `capacity` (default `256`) and
 * `onWarning` (default none).
 * @returns A function that returns an Observable of the source's items, each key once, in
 * key order from `start` with no gaps.
 * @throws {RangeError} At call time, if `start` is not a safe integer or `capacity` is not a
 * positive integer.
 */
export function inOrder<T>(options: InOrderOptions<T>): MonoTypeOperatorFunction<T> {
  const { key, onWarning } = options;
  const start = options.start ?? 0;
  const capacity = options.capacity ?? 256;
  if (!Number.isSafeInteger(start)) {
    throw new RangeError(`inOrder: start must be a safe integer, got ${start}`);
  }
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`inOrder: capacity must be a positive integer, got ${capacity}`);
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      /** The next key to deliver. */
      let next = start;
      /** Items that arrived early, by key; every key is in [next, next + capacity). */
      const held = new Map<number, T>();
      /** True while emitting: re-entrant items are held and the running loop delivers them. */
      let draining = false;

      const warn = (code: InOrderWarningCode, k: number, message: string): void => {
        onWarning?.({ code, key: k, expected: next, message });
      };

      /** Delivers `next` and every held item after it, until a gap. */
      const drain = (): void => {
        draining = true;
        try {
          while (!subscriber.closed && held.has(next)) {
            const item = held.get(next) as T;
            held.delete(next);
            next += 1;
            subscriber.next(item);
          }
        } finally {
          draining = false;
        }
      };

      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (item) => {
          try {
            const k = key(item);
            if (!Number.isSafeInteger(k)) {
              warn(InOrderWarningCode.BadKey, k, `inOrder: key ${k} is not a safe integer`);
              return;
            }
            if (k < next || held.has(k)) return; // a duplicate
            if (k >= next + capacity) {
              warn(
                InOrderWarningCode.BeyondWindow,
                k,
                `inOrder: key ${k} is ${k - next} ahead of the next expected key ${next}, beyond the window of ${capacity}`,
              );
              return;
            }
            if (k === next && !draining) {
              // Fast path: the expected item, nothing being emitted. Advance before emitting.
              next += 1;
              draining = true;
              try {
                subscriber.next(item);
              } finally {
                draining = false;
              }
              if (held.size > 0) drain();
              return;
            }
            // Early, or re-entrant while emitting: the running loop (or a later item) delivers it.
            held.set(k, item);
          } catch (err) {
            held.clear();
            subscriber.error(err);
          }
        },
        error: (err) => {
          held.clear();
          subscriber.error(err);
        },
        complete: () => {
          held.clear();
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        held.clear();
      };
    });
}
