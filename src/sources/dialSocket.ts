// Dialling a Node socket: resolved once it connects, destroyed and failed on an error, a close or a timeout.
import type * as net from 'node:net';

/** How {@link dialSocket} waits for one kind of socket. */
export interface DialOptions {
  /** The event that says the socket is ready: `'connect'` (TCP) or `'secureConnect'` (TLS). */
  readonly connectEvent: string;
  /** How long it may take, in milliseconds. */
  readonly timeoutMs: number;
  /** The message of the `ETIMEDOUT` error given to `fail` when it takes longer. */
  readonly timeoutMessage: string;
  /** If set, a `'close'` before it is ready fails the dial with an error of this message. */
  readonly closedMessage?: string;
}

/**
 * Opens a socket with `open` and hands it to `resolve` once it is ready (Nagle turned off), with
 * no listener of this function left on it. If `open` throws, the socket errors (or closes, with
 * `closedMessage`) or `timeoutMs` passes first, the socket is destroyed and `fail` is given the
 * error (the timeout's has `code: 'ETIMEDOUT'`).
 *
 * @example
 * new Promise<net.Socket>((resolve, reject) =>
 *   dialSocket(() => net.connect({ host, port }), {
 *     connectEvent: 'connect', timeoutMs: 2000, timeoutMessage: 'connect ETIMEDOUT',
 *   }, resolve, reject));
 */
export function dialSocket<S extends net.Socket>(
  open: () => S,
  options: DialOptions,
  resolve: (socket: S) => void,
  fail: (err: unknown) => void,
): void {
  const { connectEvent, timeoutMs, timeoutMessage, closedMessage } = options;
  let socket: S;
  try {
    socket = open();
  } catch (err) {
    fail(err); // e.g. ERR_SOCKET_BAD_PORT, thrown synchronously
    return;
  }
  const cleanUp = (): void => {
    clearTimeout(timer);
    socket.off(connectEvent, onConnect);
    socket.off('error', onError);
    socket.off('close', onClose);
  };
  const onConnect = (): void => {
    cleanUp();
    socket.setNoDelay(true);
    resolve(socket);
  };
  const onError = (err: Error): void => {
    cleanUp();
    socket.destroy();
    fail(err);
  };
  const onClose = (): void => onError(new Error(closedMessage));
  const timer = setTimeout(() => {
    const err: NodeJS.ErrnoException = new Error(timeoutMessage);
    err.code = 'ETIMEDOUT';
    onError(err);
  }, timeoutMs);
  socket.once(connectEvent, onConnect);
  socket.once('error', onError);
  if (closedMessage !== undefined) socket.once('close', onClose);
}
