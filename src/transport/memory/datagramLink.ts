// In-memory datagram channels: two ends linked once the client has found the server's offer.
import { Subject } from 'rxjs';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, TransportWarning } from '../Transport.js';
import { nextTurn } from './nextTurn.js';

/** Datagrams in flight across a whole memory transport, and the bound. */
export interface FlightBudget {
  inFlight: number;
  readonly maxInFlight: number;
}

/** One end of an in-memory datagram link. */
export interface DatagramEnd {
  /** The end it sends to: none until linked. */
  other: DatagramEnd | undefined;
  readonly open: boolean;
  /** Takes a datagram from the other end (checked against this end's limit). */
  receive(data: Uint8Array): void;
  /** The channel over this end. */
  readonly channel: DatagramChannel;
}

/**
 * Makes one end of a datagram link. What it sends is copied and delivered to the other end on
 * a later turn, in order; dropped while unlinked, once either end is closed, or when `budget`
 * is full (as a full socket buffer drops). What it receives over `maxDatagramBytes` is a
 * `decode-error` on `warn`, and dropped.
 *
 * @param onClose Called once, when the channel closes.
 */
export function datagramEnd(options: {
  readonly maxDatagramBytes: number;
  readonly budget: FlightBudget;
  readonly warn: (warning: TransportWarning) => void;
  readonly onClose?: () => void;
}): DatagramEnd {
  const { maxDatagramBytes, budget, warn, onClose } = options;
  const inbox = new Subject<Uint8Array>();
  let open = true;
  const receive = (data: Uint8Array): void => {
    if (!open) return;
    if (data.length > maxDatagramBytes) {
      warn({
        code: WarningCode.DecodeError,
        message: `a datagram of ${data.length} bytes (at most ${maxDatagramBytes})`,
      });
      return;
    }
    inbox.next(data);
  };
  const self: DatagramEnd = {
    other: undefined,
    get open() {
      return open;
    },
    receive,
    channel: {
      datagrams$: inbox.asObservable(),
      send: (data) => {
        const to = self.other;
        if (!open || to === undefined || !to.open || budget.inFlight >= budget.maxInFlight) return;
        budget.inFlight++;
        const copy = data.slice();
        nextTurn(() => {
          budget.inFlight--;
          to.receive(copy);
        });
      },
      close: () => {
        if (!open) return;
        open = false;
        self.other = undefined;
        inbox.complete();
        onClose?.();
      },
    },
  };
  return self;
}

/** Links two ends: each sends to the other from now on. */
export function linkEnds(a: DatagramEnd, b: DatagramEnd): void {
  a.other = b;
  b.other = a;
}
