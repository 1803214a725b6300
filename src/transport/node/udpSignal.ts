// The Node transport's one signal, server to client: the UDP port to send to, the session token and the session key.
import { KEY_BYTES } from './datagramSeal.js';

/**
 * Bytes of a {@link UdpSignal} on the wire: the port (u16 BE), the token (u32 BE), then the
 * session key (32 bytes).
 */
export const UDP_SIGNAL_BYTES = 2 + 4 + KEY_BYTES;

/** Where the client sends its datagrams, the token it puts before each, and the key that seals them. */
export interface UdpSignal {
  /** The server's UDP port, 1 to 65535. */
  readonly port: number;
  /** The session token, a u32. */
  readonly token: number;
  /** The session key ({@link KEY_BYTES} random bytes): every datagram both ways is sealed with it. */
  readonly key: Uint8Array;
}

/** The signal's 38 bytes: port (u16 BE), token (u32 BE), key (32 bytes). */
export function encodeUdpSignal(signal: UdpSignal): Uint8Array {
  if (signal.key.length !== KEY_BYTES) throw new RangeError(`a session key is ${KEY_BYTES} bytes`);
  const bytes = new Uint8Array(UDP_SIGNAL_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, signal.port, false);
  view.setUint32(2, signal.token, false);
  bytes.set(signal.key, 6);
  return bytes;
}

/**
 * Reads a signal, trusting nothing.
 *
 * @returns The signal (its key a copy), or a string saying why the bytes are not one (not
 * exactly 38 bytes, port 0).
 */
export function decodeUdpSignal(bytes: Uint8Array): UdpSignal | string {
  if (bytes.length !== UDP_SIGNAL_BYTES)
    return `a UDP signal is ${UDP_SIGNAL_BYTES} bytes, got ${bytes.length}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const port = view.getUint16(0, false);
  if (port === 0) return 'a UDP signal with port 0';
  return { port, token: view.getUint32(2, false), key: bytes.slice(6) };
}
