// Two connected in-memory MessageConnections: what one sends, the other receives on a later turn.
import { Observable, Subject } from 'rxjs';
import { ConnectionError, MessageTooLargeError } from '../../errors.js';
import type { MessageConnection } from '../Transport.js';
import { nextTurn } from './nextTurn.js';

/** Both ends of an in-memory connection. */
export interface MessagePair {
  readonly client: MessageConnection;
  readonly server: MessageConnection;
  /** Resolves once both ends have closed (either side's `end` or `destroy`). */
  readonly closed: Promise<void>;
}

interface End {
  readonly inbox: Subject<Uint8Array>;
  open: boolean;
  /** Its inbox has completed or failed: nothing more is delivered to it. */
  done: boolean;
  /** The largest message this end accepts. */
  readonly maxMessageBytes: number;
}

/**
 * Makes a connected pair. Each message is copied and delivered on a later turn, in order;
 * each end checks what it receives against its own limit (a longer message fails its
 * `messages$` with {@link MessageTooLargeError} and resets the connection). `end` and `destroy`
 * close both ends on the next turn: the other end's `messages$` completes, or errors with a
 * {@link ConnectionError} ("connection reset by peer") for `destroy`.
 */
export function messagePair(limits: { client: number; server: number }): MessagePair {
  const makeEnd = (maxMessageBytes: number): End => ({
    inbox: new Subject<Uint8Array>(),
    open: true,
    done: false,
    maxMessageBytes,
  });
  const clientEnd = makeEnd(limits.client);
  const serverEnd = makeEnd(limits.server);
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let ending = false;

  const end = (from: End, to: End, failed: boolean): void => {
    if (!from.open || ending) return;
    ending = true;
    from.open = false;
    nextTurn(() => {
      to.done = true;
      from.done = true;
      if (failed) to.inbox.error(new ConnectionError('connection reset by peer'));
      else to.inbox.complete();
      from.inbox.complete();
      to.open = false;
      resolveClosed();
    });
  };
  const connection = (self: End, other: End): MessageConnection => ({
    messages$: new Observable<Uint8Array>((subscriber) => self.inbox.subscribe(subscriber)),
    send: (message) => {
      if (!self.open) return false;
      const copy = message.slice();
      nextTurn(() => {
        if (other.done) return;
        if (copy.length > other.maxMessageBytes) {
          end(other, self, true);
          other.done = true;
          other.inbox.error(new MessageTooLargeError(copy.length, other.maxMessageBytes));
          return;
        }
        other.inbox.next(copy);
      });
      return true;
    },
    end: () => end(self, other, false),
    destroy: () => end(self, other, true),
    bufferedBytes: 0, // delivered on the next turn of the event loop, whatever the reader does
  });
  return {
    client: connection(clientEnd, serverEnd),
    server: connection(serverEnd, clientEnd),
    closed,
  };
}
