// The memory transport's board of offered datagram ends: found by an opaque id, claimed only by their own connection.
import type { DatagramEnd } from './datagramLink.js';

/** Bytes of the memory transport's signal: the offer's id, a u32 BE. */
export const OFFER_ID_BYTES = 4;

/** One connection's server datagram end, waiting for its client to claim it. */
export interface Offer {
  readonly end: DatagramEnd;
  /** The connection it belongs to: only that connection's client may claim it. */
  readonly connection: object;
}

/** Datagram ends offered by servers, by id, until their client claims them. One per transport. */
export class OfferBoard {
  readonly #offers = new Map<number, Offer>();
  #nextId = 1;

  /** Posts an offer; returns its id. */
  post(offer: Offer): number {
    while (this.#offers.has(this.#nextId)) this.#nextId = (this.#nextId + 1) >>> 0 || 1;
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0 || 1;
    this.#offers.set(id, offer);
    return id;
  }

  /** Takes the offer `id` if it belongs to `connection`; otherwise a reason it cannot. */
  claim(id: number, connection: object): Offer | string {
    const offer = this.#offers.get(id);
    if (offer === undefined) return `no datagram channel ${id} is offered`;
    if (offer.connection !== connection) return `datagram channel ${id} is another connection's`;
    this.#offers.delete(id);
    return offer;
  }

  /** Withdraws the offer `id` of `end`, if it is still there (its channel closed unclaimed). */
  withdraw(id: number, end: DatagramEnd): void {
    if (this.#offers.get(id)?.end === end) this.#offers.delete(id);
  }

  /** Offers waiting. */
  get size(): number {
    return this.#offers.size;
  }
}
