// The Node transport's one signal, server to client: the UDP port to send to, the session token, the seal and the session key.
import { KEY_BYTES } from './datagramSeal.js';

/**
 * How the datagrams are sealed, in the signal: 1, SipHash-2-4 with a 64-bit tag (protocol.md
 * 15.1). A client refuses a signal with a seal it does not know.
 */
export const DATAGRAM_SEAL = 1;

/**
 * Bytes of a {@link UdpSignal} on the wire: the port (u16 BE), the token (u32 BE), the seal
 * (one byte), then the session key (32 bytes).
 */
export const UDP_SIGNAL_BYTES = 2 + 4 + 1 + KEY_BYTES;

/** Where the client sends its datagrams, the token it puts before each, and the key that seals them. */
export interface UdpSignal {
  /** The server's UDP port, 1 to 65535. */
  readonly port: number;
  /** The session token, a u32. */
  readonly token: number;
  /** The session key ({@link KEY_BYTES} random bytes): every datagram both ways is sealed with it. */
  readonly key: Uint8Array;
}

/** The signal's 39 bytes: port (u16 BE), token (u32 BE), seal ({@link DATAGRAM_SEAL}), key (32 bytes). */
export function encodeUdpSignal(signal: UdpSignal): Uint8Array {
  if (signal.key.length !== KEY_BYTES) throw new RangeError(`a session key is ${KEY_BYTES} bytes`);
  const bytes = new Uint8Array(UDP_SIGNAL_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, signal.port, false);
  view.setUint32(2, signal.token, false);
  bytes[6] = DATAGRAM_SEAL;
  bytes.set(signal.key, 7);
  return bytes;
}

/**
 * Reads a signal, trusting nothing.
 *
 * @returns The signal (its key a copy), or a string saying why the bytes are not one (not
 * exactly 39 bytes, port 0, another seal).
 */
export function decodeUdpSignal(bytes: Uint8Array): UdpSignal | string {
  if (bytes.length !== UDP_SIGNAL_BYTES)
    return `a UDP signal is ${UDP_SIGNAL_BYTES} bytes, got ${bytes.length}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const port = view.getUint16(0, false);
  if (port === 0) return 'a UDP signal with port 0';
  if (bytes[6] !== DATAGRAM_SEAL)
    return `a UDP signal with datagram seal ${bytes[6]}, not ${DATAGRAM_SEAL} (SipHash-2-4)`;
  return { port, token: view.getUint32(2, false), key: bytes.slice(7) };
}
