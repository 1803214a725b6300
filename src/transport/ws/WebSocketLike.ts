// The part of the WebSocket API the web transport uses: a browser's WebSocket and the `ws` package's both have it.

/** An event of a {@link WebSocketLike}: `data` on `message`, `code` and `reason` on `close`. */
export interface WebSocketEventLike {
  /** The message, on `message`. */
  readonly data?: unknown;
  /** The close code, on `close`. */
  readonly code?: number;
  /** The close reason, on `close`. */
  readonly reason?: string;
}

/** `readyState` values (the same in every WebSocket implementation). */
export const WebSocketState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

/**
 * A WebSocket, as the web transport sees it: the browser's `WebSocket`, or the `ws` package's
 * (in Node). Binary messages arrive as `ArrayBuffer` or a `Uint8Array` (a Node `Buffer`).
 */
export interface WebSocketLike {
  /** How binary messages arrive: the transport sets `'arraybuffer'`. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sends one binary message. */
  send(data: Uint8Array): void;
  /** Closes the connection, with a code and a reason. */
  close(code?: number, reason?: string): void;
  /** Listens to an event. */
  addEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: WebSocketEventLike) => void,
  ): void;
}

/** What makes a {@link WebSocketLike}: the global `WebSocket` in a browser, `ws`'s in Node. */
export type WebSocketFactory = new (url: string) => WebSocketLike;
