/**
 * Bounded waits for tests: wait for the event, value, error or condition you expect, and fail
 * with a clear message after a timeout instead of hanging the suite. Use these instead of
 * fixed sleeps.
 *
 * Every helper cleans up after itself whichever way it ends (timer cleared, listener removed,
 * subscription unsubscribed), so a timed-out wait leaves nothing running.
 *
 * @example
 * import { waitFor, waitForEvent, waitForValues, waitForError, waitForComplete } from '../helpers/waitFor.js';
 *
 * const [socket] = await waitForEvent<[net.Socket]>(server, 'connection');
 * const [first, second] = await waitForValues(messages$, 2);
 * const err = await waitForError(messages$); // expect(err).toBeInstanceOf(TruncatedMessageError)
 * const all = await waitForComplete(messages$); // every value, once it completes
 * await waitFor(() => server.connections === 0, { message: 'all connections closed' });
 */
import type { EventEmitter } from 'node:events';
import { type Observable, take, toArray } from 'rxjs';

/** Options shared by every wait helper. */
export interface WaitOptions {
  /** How long to wait before failing, in milliseconds. Default: 5000. */
  timeoutMs?: number;
  /** What is awaited, for the timeout message. Default: a description made by each helper. */
  message?: string;
}

/** Options of {@link waitFor}. */
export interface PollOptions extends WaitOptions {
  /** How often to check the condition, in milliseconds. Default: 10. */
  intervalMs?: number;
}

/** Default of {@link WaitOptions.timeoutMs}. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5_000;

/** The error a wait helper rejects with when its time is up. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** Errors pass as they are; anything else thrown is wrapped (as `cause`) in an Error. */
function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason), { cause: reason });
}

/**
 * The core of every helper: runs `start`, which settles the promise through `resolve` /
 * `reject` and returns its clean-up; a rejection reason that is not an Error is wrapped in one
 * (as `cause`); rejects with {@link WaitTimeoutError} if nothing settles
 * in time. The clean-up runs exactly once, however it ends.
 */
export function settleWithin<T>(
  what: string,
  options: WaitOptions,
  start: (resolve: (value: T) => void, reject: (reason: unknown) => void) => () => void,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const description = options.message ?? what;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let cleanUp: (() => void) | undefined;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanUp?.();
      settle();
    };
    const timer = setTimeout(
      () => finish(() => reject(new WaitTimeoutError(description, timeoutMs))),
      timeoutMs,
    );
    try {
      cleanUp = start(
        (value) => finish(() => resolve(value)),
        (reason) => finish(() => reject(toError(reason))),
      );
    } catch (err) {
      finish(() => reject(toError(err)));
    }
    // `start` may have settled synchronously, before its clean-up was known.
    if (settled) cleanUp?.();
  });
}

/**
 * Waits until `probe` returns something truthy (polling it), and resolves with that value.
 *
 * For conditions that have no event to wait for (a counter reaching a value, a socket being
 * destroyed). `probe` may be async; a probe that throws or rejects fails the wait.
 *
 * @example
 * await waitFor(() => socket.destroyed, { message: 'the socket to be destroyed' });
 *
 * @param probe Checked at once, then every `intervalMs` (default 10).
 * @param options `timeoutMs` (default 5000), `intervalMs` (default 10), `message`.
 * @returns The first truthy value `probe` returned.
 */
export function waitFor<T>(
  probe: () => T | Promise<T>,
  options: PollOptions = {},
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  type Truthy = Exclude<T, false | 0 | '' | null | undefined>;
  const intervalMs = options.intervalMs ?? 10;
  return settleWithin<Truthy>('a condition to hold', options, (resolve, reject) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const check = async (): Promise<void> => {
      try {
        const value = await probe();
        if (stopped) return;
        if (value) resolve(value as Truthy);
        else timer = setTimeout(() => void check(), intervalMs);
      } catch (err) {
        reject(err);
      }
    };
    void check();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}

/** Anything with Node-style `on` / `off`: an EventEmitter, a socket, a server. */
export type EventSource = Pick<EventEmitter, 'on' | 'off'>;

/**
 * Waits for one `event` on an emitter, and resolves with its arguments.
 *
 * Unlike `events.once`, it is bounded, and an `'error'` on the emitter fails the wait only if
 * `rejectOnError` is set (so it can also be used to wait for `'error'` itself).
 *
 * @example
 * const [socket] = await waitForEvent<[net.Socket]>(server, 'connection');
 *
 * @param emitter The emitter to listen on (the listener is removed afterwards).
 * @param event The event name.
 * @param options `timeoutMs` (default 5000), `message`, `rejectOnError` (default false).
 * @returns The event's arguments, as an array.
 */
export function waitForEvent<Args extends unknown[] = unknown[]>(
  emitter: EventSource,
  event: string,
  options: WaitOptions & { rejectOnError?: boolean } = {},
): Promise<Args> {
  return settleWithin<Args>(`event '${event}'`, options, (resolve, reject) => {
    const onEvent = (...args: unknown[]): void => resolve(args as Args);
    const onError = (err: unknown): void => reject(err);
    emitter.on(event, onEvent);
    if (options.rejectOnError === true) emitter.on('error', onError);
    return () => {
      emitter.off(event, onEvent);
      if (options.rejectOnError === true) emitter.off('error', onError);
    };
  });
}

/**
 * Subscribes and resolves with the first `count` values, in order.
 *
 * Rejects if the Observable errors (with that error) or completes before `count` values
 * (with an Error saying how many came).
 *
 * @example
 * const [a, b, c] = await waitForValues(messages$, 3);
 *
 * @param source The Observable (subscribed once, unsubscribed afterwards).
 * @param count How many values to wait for.
 * @param options `timeoutMs` (default 5000, for all `count` values together), `message`.
 */
export function waitForValues<T>(
  source: Observable<T>,
  count: number,
  options: WaitOptions = {},
): Promise<T[]> {
  return settleWithin<T[]>(`${count} value(s)`, options, (resolve, reject) => {
    const subscription = source.pipe(take(count), toArray()).subscribe({
      next: (values) => {
        if (values.length === count) resolve(values);
        else reject(new Error(`completed after ${values.length} of ${count} value(s)`));
      },
      error: reject,
    });
    return () => subscription.unsubscribe();
  });
}

/**
 * Subscribes and resolves with every value once the Observable completes.
 *
 * Rejects with the Observable's error if it errors.
 *
 * @example
 * expect(await waitForComplete(messages$)).toEqual([hello, world]);
 *
 * @param source The Observable (subscribed once, unsubscribed on timeout).
 * @param options `timeoutMs` (default 5000), `message`.
 */
export function waitForComplete<T>(source: Observable<T>, options: WaitOptions = {}): Promise<T[]> {
  return settleWithin<T[]>('completion', options, (resolve, reject) => {
    const values: T[] = [];
    const subscription = source.subscribe({
      next: (value) => values.push(value),
      error: reject,
      complete: () => resolve(values),
    });
    return () => subscription.unsubscribe();
  });
}

/**
 * Subscribes and resolves with the error the Observable fails with.
 *
 * Rejects if it completes instead. Values before the error are ignored (use
 * {@link waitForOutcome} to see them).
 *
 * @example
 * expect(await waitForError(messages$)).toBeInstanceOf(TruncatedMessageError);
 *
 * @param source The Observable (subscribed once, unsubscribed on timeout).
 * @param options `timeoutMs` (default 5000), `message`.
 */
export async function waitForError(
  source: Observable<unknown>,
  options: WaitOptions = {},
): Promise<unknown> {
  const outcome = await waitForOutcome(source, { message: 'an error', ...options });
  if (outcome.kind === 'error') return outcome.error;
  throw new Error(`completed after ${outcome.values.length} value(s) instead of failing`);
}

/** How an Observable ended, with every value it emitted before. */
export type Outcome<T> =
  | { readonly kind: 'complete'; readonly values: T[] }
  | { readonly kind: 'error'; readonly values: T[]; readonly error: unknown };

/**
 * Subscribes and resolves, once the Observable ends either way, with its values and how it
 * ended.
 *
 * @example
 * const outcome = await waitForOutcome(messages$);
 * expect(outcome).toMatchObject({ kind: 'error', values: [hello] });
 *
 * @param source The Observable (subscribed once, unsubscribed on timeout).
 * @param options `timeoutMs` (default 5000), `message`.
 */
export function waitForOutcome<T>(
  source: Observable<T>,
  options: WaitOptions = {},
): Promise<Outcome<T>> {
  return settleWithin<Outcome<T>>('the end (complete or error)', options, (resolve) => {
    const values: T[] = [];
    const subscription = source.subscribe({
      next: (value) => values.push(value),
      error: (error: unknown) => resolve({ kind: 'error', values, error }),
      complete: () => resolve({ kind: 'complete', values }),
    });
    return () => subscription.unsubscribe();
  });
}
