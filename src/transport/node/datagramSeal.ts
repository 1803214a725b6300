// Sealing and opening the Node transport's datagrams: a per-direction counter and an AES-256-GCM tag under the session key.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { ReplayWindow } from './replayWindow.js';

/** Bytes of a session key. */
export const KEY_BYTES = 32;
/** Bytes of the counter after the token (client to server) or at the start (server to client). */
export const COUNTER_BYTES = 8;
/** Bytes of the authentication tag that ends every datagram. */
export const TAG_BYTES = 16;
/** The AEAD, as node:crypto names it. */
export const AEAD = 'aes-256-gcm';

/** Which way a datagram goes: the first 4 bytes of its nonce, so the two directions never share one. */
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
/** Only full 16-byte tags: a shorter one is never accepted. */
const TAG_OPTIONS = { authTagLength: TAG_BYTES };

/** A fresh random session key (from `crypto.getRandomValues`). */
export function randomSessionKey(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

function secretKey(key: Uint8Array): KeyObject {
  if (key.length !== KEY_BYTES) throw new RangeError(`a session key is ${KEY_BYTES} bytes`);
  return createSecretKey(key);
}

/** A nonce buffer for one direction: the direction (u32 BE), then the counter (u64 BE) written per datagram. */
function nonceFor(direction: Direction): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, direction, false);
  return { bytes, view };
}

/**
 * Seals the datagrams of one direction of a session: each is `header + counter (u64 BE) +
 * message + tag (16 bytes)`, the tag AES-256-GCM's over everything before it (as associated
 * data, with nothing encrypted: the message stays readable and is sent with no copy), the nonce
 * the direction (u32 BE) then the counter. The counter starts at 0 and goes up by one per
 * datagram, so no nonce is ever used twice with the key.
 *
 * @example
 * const sealer = new DatagramSealer(key, Direction.ToServer, tokenPrefix(token));
 * socket.send(sealer.seal(message), port, address); // one gather send
 */
export class DatagramSealer {
  readonly #key: KeyObject;
  readonly #nonce: { bytes: Uint8Array; view: DataView };
  readonly #header: Uint8Array | undefined;
  #counter = 0;

  /**
   * @param key The session's key ({@link KEY_BYTES} bytes).
   * @param header Bytes sent in the clear before the counter, and authenticated (the token), if any.
   * @param firstCounter The first counter. Default: 0 (tests that forge start elsewhere).
   */
  constructor(key: Uint8Array, direction: Direction, header?: Uint8Array, firstCounter = 0) {
    this.#key = secretKey(key);
    this.#nonce = nonceFor(direction);
    this.#header = header;
    this.#counter = firstCounter;
  }

  /** Datagrams sealed so far (the next counter). */
  get sent(): number {
    return this.#counter;
  }

  /**
   * Seals one message. Allocates the cipher, the 8-byte counter and the tag; `message` is not copied.
   *
   * @returns The datagram's parts, in order, to send as one (a gather send).
   * @throws {RangeError} after 2^53 - 1 datagrams (never in practice): the counter would repeat.
   */
  seal(message: Uint8Array): Uint8Array[] {
    const counter = this.#counter;
    if (counter >= MAX_COUNTER) throw new RangeError('the datagram counter is exhausted');
    this.#counter = counter + 1;
    const hi = Math.floor(counter / TWO_32);
    const lo = counter >>> 0;
    // Written into the nonce, and copied from it: one allocation (the 8 bytes sent), no DataView.
    const nonce = this.#nonce;
    nonce.view.setUint32(4, hi, false);
    nonce.view.setUint32(8, lo, false);
    const counterBytes = nonce.bytes.slice(4);
    const cipher = createCipheriv(AEAD, this.#key, this.#nonce.bytes, TAG_OPTIONS);
    if (this.#header) cipher.setAAD(this.#header);
    cipher.setAAD(counterBytes);
    cipher.setAAD(message);
    cipher.final();
    const tag = cipher.getAuthTag();
    return this.#header ? [this.#header, counterBytes, message, tag] : [counterBytes, message, tag];
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
  readonly #key: KeyObject;
  readonly #nonce: { bytes: Uint8Array; view: DataView };
  readonly #headerBytes: number;
  readonly #window = new ReplayWindow();
  #newest = false;

  /**
   * @param headerBytes Bytes before the counter (the token: 4 on the server, 0 on the client).
   */
  constructor(key: Uint8Array, direction: Direction, headerBytes: number) {
    this.#key = secretKey(key);
    this.#nonce = nonceFor(direction);
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
    this.#nonce.view.setUint32(4, hi, false);
    this.#nonce.view.setUint32(8, lo, false);
    const decipher = createDecipheriv(AEAD, this.#key, this.#nonce.bytes, TAG_OPTIONS);
    const { buffer, byteOffset } = datagram;
    decipher.setAAD(new Uint8Array(buffer, byteOffset, sealedEnd));
    decipher.setAuthTag(new Uint8Array(buffer, byteOffset + sealedEnd, TAG_BYTES));
    try {
      decipher.final();
    } catch {
      return OpenRefusal.Forged;
    }
    this.#newest = this.#window.mark(counter);
    return new Uint8Array(buffer, byteOffset + h + COUNTER_BYTES, sealedEnd - h - COUNTER_BYTES);
  }
}
