// Signals from a transport's other half that come before the peer is ready to read them: kept, a few at most.

/** Signals kept at most before a reader comes (see {@link SignalInbox}). */
export const MAX_EARLY_SIGNALS = 4;

/**
 * Holds the signals a peer receives before its `openDatagrams` reads them, then hands every
 * signal to the reader as it comes. Bounded: beyond `limit` early signals, each one more goes to
 * `onOverflow` (a warning) and is dropped.
 *
 * @example
 * const inbox = new SignalInbox(MAX_EARLY_SIGNALS, () => warn('buffer-full'));
 * peer.signal = (data) => inbox.push(data);
 * // in openDatagrams:
 * inbox.read((data) => handle(data));
 */
export class SignalInbox {
  #kept: Uint8Array[] = [];
  #reader: ((data: Uint8Array) => void) | undefined = undefined;

  constructor(
    readonly limit: number,
    private readonly onOverflow: (data: Uint8Array) => void,
  ) {}

  /** A signal: to the reader if there is one, else kept (a copy) or, past the limit, dropped. */
  push(data: Uint8Array): void {
    if (this.#reader) this.#reader(data);
    else if (this.#kept.length < this.limit) this.#kept.push(data.slice());
    else this.onOverflow(data);
  }

  /** Sets the reader: the kept signals first, in order, then each as it comes. */
  read(reader: (data: Uint8Array) => void): void {
    this.#reader = reader;
    for (const data of this.#kept.splice(0)) reader(data);
  }

  /** Drops the kept signals and the reader (what comes later is kept again, up to the limit). */
  clear(): void {
    this.#kept = [];
    this.#reader = undefined;
  }
}
