// The web transport's WebSocket framing: one kind byte, then a reliable message or a datagram.

/** What a WebSocket frame carries, its first byte. */
export const WsFrameKind = {
  /** A reliable-channel message (the core's envelope: join, chat, signals, ...). */
  Message: 0,
  /** A datagram sent over the WebSocket (the fallback when no data channel is open). */
  Datagram: 1,
} as const;
export type WsFrameKind = (typeof WsFrameKind)[keyof typeof WsFrameKind];

/** One decoded frame. `payload` is a view into the frame's bytes. */
export interface WsFrame {
  readonly kind: WsFrameKind;
  readonly payload: Uint8Array;
}

/** The limits a frame is checked against. */
export interface WsFrameLimits {
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
}

/** Bytes a frame adds before its payload. */
export const WS_FRAME_HEADER_BYTES = 1;

/** The frame's bytes: the kind byte, then a copy of `payload`. */
export function encodeWsFrame(kind: WsFrameKind, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(WS_FRAME_HEADER_BYTES + payload.length);
  frame[0] = kind;
  frame.set(payload, WS_FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Reads a frame, trusting nothing.
 *
 * @returns The frame, or a string saying why the bytes are not one: empty, an unknown kind,
 * an empty payload, or a payload over its kind's limit. `tooLarge` is set for a message over
 * `maxMessageBytes` (the connection is then closed, as a TCP message over the limit is).
 */
export function decodeWsFrame(
  bytes: Uint8Array,
  limits: WsFrameLimits,
): WsFrame | { readonly error: string; readonly tooLarge?: true } {
  if (bytes.length < WS_FRAME_HEADER_BYTES + 1)
    return { error: `a WebSocket frame of ${bytes.length} bytes (a kind byte, then 1 or more)` };
  const kind = bytes[0];
  const size = bytes.length - WS_FRAME_HEADER_BYTES;
  const payload = bytes.subarray(WS_FRAME_HEADER_BYTES);
  if (kind === WsFrameKind.Message) {
    if (size > limits.maxMessageBytes)
      return {
        error: `a message of ${size} bytes (at most ${limits.maxMessageBytes})`,
        tooLarge: true,
      };
    return { kind, payload };
  }
  if (kind === WsFrameKind.Datagram) {
    if (size > limits.maxDatagramBytes)
      return { error: `a datagram of ${size} bytes (at most ${limits.maxDatagramBytes})` };
    return { kind, payload };
  }
  return { error: `a WebSocket frame of unknown kind ${String(kind)}` };
}
