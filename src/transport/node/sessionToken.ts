// Session tokens: the 4 bytes every client-to-server datagram of the Node transport starts with.

/** Bytes of the token at the start of each client-to-server datagram (big-endian u32). */
export const TOKEN_BYTES = 4;

/** Reads the big-endian u32 token at the start of `bytes` (at least {@link TOKEN_BYTES} long). */
export function readToken(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

/** The 4-byte prefix a client puts before each datagram it sends. */
export function tokenPrefix(token: number): Uint8Array {
  const prefix = new Uint8Array(TOKEN_BYTES);
  new DataView(prefix.buffer).setUint32(0, token, false);
  return prefix;
}

/**
 * A random 32-bit token (from `crypto.getRandomValues`) that is not `taken`.
 *
 * @param taken Whether a token is already in use (live, or retired lately).
 */
export function randomToken(taken: (token: number) => boolean): number {
  const draw = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(draw);
    if (!taken(draw[0])) return draw[0];
  }
}
