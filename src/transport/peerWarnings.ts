// A peer's warnings: passed on until its connection closes, the peer's own ones carrying its address.
import { Subject, type Observable } from 'rxjs';
import type { WarningCode } from '../events.js';
import type { TransportWarning } from './Transport.js';

/**
 * The `warnings$` of one peer. `warn` passes on any warning as it is (a channel's, which names
 * its own sender); `report` makes one of the peer's own, with `address` when there is one.
 *
 * @example
 * const warnings = new PeerWarnings('127.0.0.1');
 * warnings.report(WarningCode.UnexpectedMessage, 'a signal of 3 bytes after the first');
 * warnings.complete(); // the connection closed
 */
export class PeerWarnings {
  readonly #subject = new Subject<TransportWarning>();
  /** The warnings; completes with {@link PeerWarnings.complete}. */
  readonly warnings$: Observable<TransportWarning> = this.#subject.asObservable();

  /** @param address Put on the warnings of {@link PeerWarnings.report}. Default: none. */
  constructor(private readonly address?: string) {}

  /** Passes a warning on as it is (bound: it may be handed around). */
  readonly warn = (warning: TransportWarning): void => {
    if (!this.#subject.closed) this.#subject.next(warning);
  };

  /** A warning of the peer's own: `code` and `message`, and the peer's address if it has one. */
  report(code: WarningCode, message: string): void {
    const { address } = this;
    this.warn(address === undefined ? { code, message } : { code, message, address });
  }

  /** No more warnings: the connection has closed. */
  complete(): void {
    this.#subject.complete();
  }
}
