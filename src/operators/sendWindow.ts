import { Observable, type OperatorFunction } from 'rxjs';
import { subscribeLinked } from './subscribeLinked.js';

/** A command to {@link sendWindow}. */
export type SendWindowCommand<T> =
  /** Add an item to the window (its key must be the last pushed key + 1). */
  | { type: 'push'; item: T }
  /** The peer has every item with key <= `key`: forget them. */
  | { type: 'ack'; key: number }
  /** Emit a batch now (a send tick, a keepalive). */
  | { type: 'send' };

/** What to send: the oldest unacknowledged items that fit the budget. */
export interface SendBatch<T> {
  /** The oldest unacknowledged items, oldest first, that fit in `budgetBytes`. A fresh array. */
  readonly items: readonly T[];
  /** How many items are unacknowledged in all (`items.length` or more). */
  readonly unacked: number;
}

/** Why `sendWindow` refused a push. */
export const SendWindowWarningCode = {
  /** `capacity` items are unacknowledged: the peer is not acknowledging. */
  Full: 'window-full',
  /** The key is not the last pushed key + 1. */
  NotConsecutive: 'not-consecutive',
  /** The item's `sizeOf` is over `budgetBytes`: it could never be sent. */
  ItemTooLarge: 'item-too-large',
} as const;
export type SendWindowWarningCode =
  (typeof SendWindowWarningCode)[keyof typeof SendWindowWarningCode];

/** A push `sendWindow` refused, and why. */
export interface SendWindowWarning {
  readonly code: SendWindowWarningCode;
  /** The refused item's key. */
  readonly key: number;
  readonly message: string;
}

/** Options of {@link sendWindow}. */
export interface SendWindowOptions<T> {
  /** The item's key: consecutive increasing integers (ticks). Called once per push. */
  key: (item: T) => number;
  /** The most items held unacknowledged; a push beyond it is refused. Default `256`. */
  capacity?: number;
  /** The most bytes of items in one batch, by cumulative `sizeOf`. Default `1200`. */
  budgetBytes?: number;
  /** An upper bound of an item's encoded size in bytes. Called once per push. Default `() => 1`. */
  sizeOf?: (item: T) => number;
  /** Whether a push also emits a batch (accepted or not). Default `true`. */
  sendOnPush?: boolean;
  /** Called with every refused push. Default: none. */
  onWarning?: (warning: SendWindowWarning) => void;
}

/**
 * Keeps every pushed item until it is acknowledged, and emits, on each send, all the
 * unacknowledged items that fit in one packet.
 *
 * <span class="informal">Redundancy instead of retransmission: every packet carries every
 * input the peer has not confirmed, so one packet that gets through makes up for all the
 * lost ones before it.</span>
 *
 * ```
 * commands:  -a--b--c--2--s--d--9--s--|    a-d: push 1-4,  2/9: ack 2/9,  s: send
 *                 sendWindow({ key: (x) => x })
 * result:    -A--B--C-----D--E-----F--|
 *
 * A = { items: [1], unacked: 1 }        B = { items: [1, 2], unacked: 2 }
 * C = { items: [1, 2, 3], unacked: 3 }  D = { items: [3], unacked: 1 }
 * E = { items: [3, 4], unacked: 2 }     F = { items: [], unacked: 0 }
 * ```
 *
 * Commands:
 * - `push`: holds the item, then (with `sendOnPush`) emits a batch. The first push may have
 *   any safe integer key; every later one must have the last pushed key + 1. A push is
 *   refused, with a warning and without advancing the key, when its key is not consecutive
 *   (`not-consecutive`), when its `sizeOf` is over `budgetBytes` (`item-too-large`), or when
 *   `capacity` items are held (`window-full`: nothing grows). A refused push can be retried
 *   with the same item later (for instance once acks have made room); until then, the next
 *   key is refused as not consecutive, since the peer could never fill the gap.
 *   With `sendOnPush`, a refused push still emits a batch of what is held.
 * - `ack` k: forgets every item held with key <= k. Stale acks change nothing; an ack emits
 *   nothing. An ack concerns only the items held when it arrives: a key pushed later is not
 *   acknowledged in advance (a bogus ack from the network cannot make future items vanish).
 * - `send`: emits a batch.
 *
 * A batch holds the unacknowledged items, oldest first, as many as fit in `budgetBytes` by
 * cumulative `sizeOf`, and `unacked`, the number held in all. It is emitted even when
 * empty, so the owner can send its acks and keepalives on the same schedule. `items` is a
 * fresh array every time; the items themselves are kept and emitted by reference.
 *
 * Completion and errors pass through at once; held items are dropped.
 *
 * @example
 * ```ts
 * const batches$ = merge(
 *   localInputs$.pipe(map((item) => ({ type: 'push', item }) as const)),
 *   serverAcks$.pipe(map((tick) => ({ type: 'ack', key: tick }) as const)),
 * ).pipe(sendWindow({ key: (input) => input.tick, sizeOf: () => 4, budgetBytes: 1100 }));
 * batches$.subscribe(({ items }) => socket.send(encodeInputs(items)));
 * ```
 *
 * @param options `key`; `capacity` (default `256`), `budgetBytes` (default `1200`), `sizeOf`
 * (default `() => 1`), `sendOnPush` (default `true`) and `onWarning` (default none).
 * @returns A function that returns an Observable of batches, one per `send` command and one
 * per `push` when `sendOnPush`.
 * @throws {RangeError} At call time, if `capacity` is not a positive integer or
 * `budgetBytes` is not a positive number.
 */
export function sendWindow<T>(
  options: SendWindowOptions<T>,
): OperatorFunction<SendWindowCommand<T>, SendBatch<T>> {
  const { key, onWarning } = options;
  const capacity = options.capacity ?? 256;
  const budgetBytes = options.budgetBytes ?? 1200;
  const sizeOf = options.sizeOf;
  const sendOnPush = options.sendOnPush ?? true;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`sendWindow: capacity must be a positive integer, got ${capacity}`);
  }
  if (!(budgetBytes > 0)) {
    throw new RangeError(`sendWindow: budgetBytes must be a positive number, got ${budgetBytes}`);
  }

  return (source) =>
    new Observable<SendBatch<T>>((subscriber) => {
      /** The unacknowledged items, oldest first; their keys are consecutive. */
      let items: T[] = [];
      /** `sizes[i]` is `sizeOf(items[i])`, measured once at push. */
      let sizes: number[] = [];
      /** The key of the last accepted push, or undefined before the first. */
      let lastKey: number | undefined;

      const warn = (code: SendWindowWarningCode, k: number, message: string): void => {
        onWarning?.({ code, key: k, message });
      };

      const push = (item: T): void => {
        const k = key(item);
        if (lastKey === undefined ? !Number.isSafeInteger(k) : k !== lastKey + 1) {
          warn(
            SendWindowWarningCode.NotConsecutive,
            k,
            lastKey === undefined
              ? `sendWindow: key ${k} is not a safe integer`
              : `sendWindow: key ${k} does not follow the last pushed key ${lastKey}`,
          );
          return;
        }
        const size = sizeOf === undefined ? 1 : sizeOf(item);
        // NaN and negative sizes are refused too: they would break the budget arithmetic.
        if (!(size >= 0 && size <= budgetBytes)) {
          warn(
            SendWindowWarningCode.ItemTooLarge,
            k,
            `sendWindow: item ${k} of ${size} bytes does not fit in a batch of ${budgetBytes} bytes`,
          );
          return;
        }
        if (items.length >= capacity) {
          warn(
            SendWindowWarningCode.Full,
            k,
            `sendWindow: ${items.length} items unacknowledged, refusing item ${k}`,
          );
          return;
        }
        items.push(item);
        sizes.push(size);
        lastKey = k;
      };

      const ack = (k: number): void => {
        const count = items.length;
        if (count === 0 || lastKey === undefined) return;
        const firstKey = lastKey - count + 1;
        if (!(k >= firstKey)) return; // stale (or NaN)
        const drop = Math.min(Math.floor(k - firstKey) + 1, count);
        if (drop === count) {
          items = [];
          sizes = [];
        } else {
          items.splice(0, drop);
          sizes.splice(0, drop);
        }
      };

      const send = (): void => {
        let n = 0;
        let bytes = 0;
        while (n < sizes.length) {
          bytes += sizes[n];
          if (bytes > budgetBytes) break;
          n += 1;
        }
        // The batch is built from the state as it is now; emitting is the last thing done.
        subscriber.next({ items: items.slice(0, n), unacked: items.length });
      };

      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (command) => {
          try {
            switch (command.type) {
              case 'push':
                push(command.item);
                if (sendOnPush) send();
                break;
              case 'ack':
                ack(command.key);
                break;
              case 'send':
                send();
                break;
            }
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => {
          items = [];
          sizes = [];
          subscriber.error(err);
        },
        complete: () => {
          items = [];
          sizes = [];
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        items = [];
        sizes = [];
      };
    });
}
