// The part of the WebSocket API the web transport uses: a browser's WebSocket and the `ws` package's both have it.

/** An event of a {@link WebSocketLike}: `data` on `message`, `code` and `reason` on `close`. */
export interface WebSocketEventLike {
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
}

/** `readyState` values (the same in every WebSocket implementation). */
export const WebSocketState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

/**
 * A WebSocket, as the web transport sees it: the browser's `WebSocket`, or the `ws` package's
 * (in Node). Binary messages arrive as `ArrayBuffer` or a `Uint8Array` (a Node `Buffer`).
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'message' | 'close' | 'error',
    listener: (event: WebSocketEventLike) => void,
  ): void;
}

/** What makes a {@link WebSocketLike}: the global `WebSocket` in a browser, `ws`'s in Node. */
export type WebSocketFactory = new (url: string) => WebSocketLike;
