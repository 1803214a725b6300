// The Node transport's one signal, server to client: the UDP port to send to and the session token.

/** Bytes of a {@link UdpSignal} on the wire: the port (u16 BE) then the token (u32 BE). */
export const UDP_SIGNAL_BYTES = 6;

/** Where the client sends its datagrams, and the token it puts before each. */
export interface UdpSignal {
  /** The server's UDP port, 1 to 65535. */
  readonly port: number;
  /** The session token, a u32. */
  readonly token: number;
}

/** The signal's 6 bytes: port (u16 BE), token (u32 BE). */
export function encodeUdpSignal(signal: UdpSignal): Uint8Array {
  const bytes = new Uint8Array(UDP_SIGNAL_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, signal.port, false);
  view.setUint32(2, signal.token, false);
  return bytes;
}

/**
 * Reads a signal, trusting nothing.
 *
 * @returns The signal, or a string saying why the bytes are not one (not exactly 6 bytes, port 0).
 */
export function decodeUdpSignal(bytes: Uint8Array): UdpSignal | string {
  if (bytes.length !== UDP_SIGNAL_BYTES)
    return `a UDP signal is ${UDP_SIGNAL_BYTES} bytes, got ${bytes.length}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const port = view.getUint16(0, false);
  if (port === 0) return 'a UDP signal with port 0';
  return { port, token: view.getUint32(2, false) };
}
