// The counters a datagram receiver has seen lately: a sliding bitmap that refuses a counter seen before or too old.

/** Counters remembered behind the newest (a multiple of 32). */
export const REPLAY_WINDOW = 256;

/**
 * The replay window of one direction of one session (as in IPsec and WireGuard, RFC 6479): the
 * newest counter accepted, and a bitmap of which of the {@link REPLAY_WINDOW} counters before it
 * were seen. A counter is fresh if it is newer than the newest, or inside the window and not
 * seen; a counter seen already, or older than the window, is not (a duplicate or a replay).
 *
 * Check with `fresh` before the datagram is authenticated, and `mark` only after: a forged
 * datagram must not move the window. Counters are integers from 0 to 2^53 - 1.
 *
 * @example
 * const window = new ReplayWindow();
 * if (window.fresh(n) && authentic) window.mark(n);
 */
export class ReplayWindow {
  readonly #bits = new Uint32Array(REPLAY_WINDOW / 32);
  /** The newest counter marked; -1 before any. */
  #newest = -1;

  /** The newest counter marked so far (-1 before the first). */
  get newest(): number {
    return this.#newest;
  }

  /** Whether `counter` may be accepted: newer than the newest, or in the window and not seen. */
  fresh(counter: number): boolean {
    if (counter > this.#newest) return true;
    if (this.#newest - counter >= REPLAY_WINDOW) return false;
    const bit = counter % REPLAY_WINDOW;
    return (this.#bits[bit >>> 5] & (1 << (bit & 31))) === 0;
  }

  /**
   * Marks `counter` seen (it must be {@link ReplayWindow.fresh}).
   *
   * @returns Whether it is the newest counter yet (what a port change must be: see `UdpDemux`).
   */
  mark(counter: number): boolean {
    const newer = counter > this.#newest;
    if (newer) {
      // Clear the bits of the counters skipped over (they have not been seen), at most all.
      const skipped = Math.min(counter - this.#newest, REPLAY_WINDOW);
      for (let i = 1; i <= skipped; i++) {
        const bit = (this.#newest + i) % REPLAY_WINDOW;
        this.#bits[bit >>> 5] &= ~(1 << (bit & 31));
      }
      this.#newest = counter;
    }
    const bit = counter % REPLAY_WINDOW;
    this.#bits[bit >>> 5] |= 1 << (bit & 31);
    return newer;
  }
}
