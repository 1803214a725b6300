// The sendWindow operator: the redundant send window as an RxJS operator.
import { Observable, type OperatorFunction } from 'rxjs';
import { SendWindow, type SendBatch, type SendWindowWarning } from '../link/SendWindow.js';
import { subscribeLinked } from './subscribeLinked.js';

export { SendWindowWarningCode } from '../link/SendWindow.js';
export type { SendBatch, SendWindowWarning } from '../link/SendWindow.js';

/** A command to {@link sendWindow}. */
export type SendWindowCommand<T> =
  /** Add an item to the window (its key must be the last pushed key + 1). */
  | {
      /** Add an item. */
      type: 'push';
      /** The item; its key is the last pushed key + 1. */
      item: T;
    }
  /** The peer has every item with key <= `key`: forget them. */
  | {
      /** An acknowledgement. */
      type: 'ack';
      /** The highest key the peer has, with every key before it. */
      key: number;
    }
  /** Emit a batch now (a send tick, a keepalive). */
  | {
      /** Send now. */
      type: 'send';
    };

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
  const { key, onWarning, sizeOf } = options;
  const capacity = options.capacity ?? 256;
  const budgetBytes = options.budgetBytes ?? 1200;
  const sendOnPush = options.sendOnPush ?? true;
  const settings = { key, capacity, budgetBytes, sizeOf: sizeOf ?? (() => 1) };
  new SendWindow<T>(settings); // validates the options at call time

  return (source) =>
    new Observable<SendBatch<T>>((subscriber) => {
      const window = new SendWindow<T>(settings);
      const drop = (): void => window.clear();
      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (command) => {
          try {
            switch (command.type) {
              case 'push': {
                const refused = window.push(command.item);
                if (refused) onWarning?.(refused);
                if (sendOnPush) subscriber.next(window.batch());
                break;
              }
              case 'ack':
                window.ack(command.key);
                break;
              case 'send':
                // The batch is built from the state as it is now; emitting is the last thing done.
                subscriber.next(window.batch());
                break;
            }
          } catch (err) {
            subscriber.error(err);
          }
        },
        error: (err) => {
          drop();
          subscriber.error(err);
        },
        complete: () => {
          drop();
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        drop();
      };
    });
}
