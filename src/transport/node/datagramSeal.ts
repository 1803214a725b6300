// Sealing and opening the Node transport's datagrams: a per-direction counter and a SipHash-2-4 tag under the direction's half of the session key.
import { SIPHASH_KEY_BYTES, SIPHASH_TAG_BYTES, SipHash24 } from './sipHash.js';
import { ReplayWindow } from './replayWindow.js';

/** Bytes of a session key. */
export const KEY_BYTES = 32;
/** Bytes of the counter after the token (client to server) or at the start (server to client). */
export const COUNTER_BYTES = 8;
/** Bytes of the authentication tag that ends every datagram. */
export const TAG_BYTES = SIPHASH_TAG_BYTES;
/**
 * Which way a datagram goes. Each direction has its own half of the session key (to the
 * server bytes 0-15, to the client 16-31), so a datagram of one direction never
 * authenticates as one of the other.
 */
export const Direction = {
  ToServer: 0,
  ToClient: 1,
} as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** Why a datagram was not opened. */
export const OpenRefusal = {
  /** Too short to hold a counter and a tag, or a counter no sender could have used. */
  Malformed: 'malformed',
  /** The tag does not prove the key: forged, corrupted, or from another session. */
  Forged: 'forged',
  /** Its counter was seen already, or is older than the replay window. */
  Replayed: 'replayed',
} as const;
export type OpenRefusal = (typeof OpenRefusal)[keyof typeof OpenRefusal];

/** The largest counter: beyond it a JS number is not exact (no session sends 2^53 datagrams). */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const TWO_32 = 0x1_0000_0000;

/** A fresh random session key (from `crypto.getRandomValues`). */
export function randomSessionKey(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/** The MAC of one direction: its half of the session key. */
function macOf(key: Uint8Array, direction: Direction): SipHash24 {
  if (key.length !== KEY_BYTES) throw new RangeError(`a session key is ${KEY_BYTES} bytes`);
  const from = direction * SIPHASH_KEY_BYTES;
  return new SipHash24(key.subarray(from, from + SIPHASH_KEY_BYTES));
}

/**
 * Seals the datagrams of one direction of a session: each is `header + counter (u64 BE) +
 * message + tag (8 bytes)`, the tag the SipHash-2-4 of every byte before it under the
 * direction's half of the session key. Nothing is encrypted: the message
 * stays readable and is sent with no copy. The counter starts at 0 and goes up by one per
 * datagram, so no two datagrams of a direction are the same (the receiver's replay window).
 *
 * @example
 * const sealer = new DatagramSealer(key, Direction.ToServer, tokenPrefix(token));
 * socket.send(sealer.seal(message), port, address);
 */
export class DatagramSealer {
  readonly #mac: SipHash24;
  readonly #header: Uint8Array | undefined;
  #counter = 0;

  /**
   * @param key The session's key ({@link KEY_BYTES} bytes).
   * @param header Bytes sent in the clear before the counter, and authenticated (the token), if any.
   * @param firstCounter The first counter. Default: 0 (tests that forge start elsewhere).
   */
  constructor(key: Uint8Array, direction: Direction, header?: Uint8Array, firstCounter = 0) {
    this.#mac = macOf(key, direction);
    this.#header = header;
    this.#counter = firstCounter;
  }

  /** Datagrams sealed so far (the next counter). */
  get sent(): number {
    return this.#counter;
  }

  /**
   * Seals one message into a new datagram (one allocation, from Node's buffer pool; the
   * message copied in once), to send as it is: one buffer, so `dgram` sends it without
   * building a list of views.
   *
   * @returns The datagram: header, counter, message, tag.
   * @throws {RangeError} after 2^53 - 1 datagrams (never in practice): the counter would repeat.
   */
  seal(message: Uint8Array): Uint8Array {
    const counter = this.#counter;
    if (counter >= MAX_COUNTER) throw new RangeError('the datagram counter is exhausted');
    this.#counter = counter + 1;
    const hi = Math.floor(counter / TWO_32);
    const lo = counter >>> 0;
    const header = this.#header;
    const h = header ? header.length : 0;
    const sealedEnd = h + COUNTER_BYTES + message.length;
    // Every byte is written below: no need to zero it first.
    const d = Buffer.allocUnsafe(sealedEnd + TAG_BYTES);
    if (header) d.set(header, 0);
    d[h] = hi >>> 24;
    d[h + 1] = hi >>> 16;
    d[h + 2] = hi >>> 8;
    d[h + 3] = hi;
    d[h + 4] = lo >>> 24;
    d[h + 5] = lo >>> 16;
    d[h + 6] = lo >>> 8;
    d[h + 7] = lo;
    d.set(message, h + COUNTER_BYTES);
    this.#mac.tagInto(d, 0, sealedEnd, d, sealedEnd);
    return d;
  }
}

/**
 * Opens the datagrams of one direction of a session (see {@link DatagramSealer}): checks the
 * counter against a replay window, then the tag, and only then marks the counter seen.
 *
 * @example
 * const opener = new DatagramOpener(key, Direction.ToClient, 0);
 * const message = opener.open(datagram);
 * if (typeof message === 'string') drop(message); else deliver(message);
 */
export class DatagramOpener {
  readonly #mac: SipHash24;
  readonly #headerBytes: number;
  readonly #window = new ReplayWindow();
  #newest = false;

  /**
   * @param headerBytes Bytes before the counter (the token: 4 on the server, 0 on the client).
   */
  constructor(key: Uint8Array, direction: Direction, headerBytes: number) {
    this.#mac = macOf(key, direction);
    this.#headerBytes = headerBytes;
  }

  /** Whether the last datagram opened had the newest counter yet (not a late one). */
  get wasNewest(): boolean {
    return this.#newest;
  }

  /** Bytes a sealed datagram adds to its message, header included. */
  get overhead(): number {
    return this.#headerBytes + COUNTER_BYTES + TAG_BYTES;
  }

  /**
   * Opens one datagram.
   *
   * @returns The message (a view into `datagram`, no copy), or why it was refused.
   */
  open(datagram: Uint8Array): Uint8Array | OpenRefusal {
    const h = this.#headerBytes;
    const sealedEnd = datagram.length - TAG_BYTES;
    if (sealedEnd < h + COUNTER_BYTES) return OpenRefusal.Malformed;
    const d = datagram;
    const hi = ((d[h] << 24) | (d[h + 1] << 16) | (d[h + 2] << 8) | d[h + 3]) >>> 0;
    const lo = ((d[h + 4] << 24) | (d[h + 5] << 16) | (d[h + 6] << 8) | d[h + 7]) >>> 0;
    const counter = hi * TWO_32 + lo;
    if (counter > MAX_COUNTER) return OpenRefusal.Malformed;
    if (!this.#window.fresh(counter)) return OpenRefusal.Replayed;
    if (!this.#mac.verify(d, 0, sealedEnd, sealedEnd)) return OpenRefusal.Forged;
    this.#newest = this.#window.mark(counter);
    const { buffer, byteOffset } = datagram;
    return new Uint8Array(buffer, byteOffset + h + COUNTER_BYTES, sealedEnd - h - COUNTER_BYTES);
  }
}
