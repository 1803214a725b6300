// A TCP socket as a MessageConnection: length-prefixed messages both ways.
import type * as net from 'node:net';
import { fromTcpSocket, writeMessage } from '../../sources/fromTcpSocket.js';
import type { MessageConnection } from '../Transport.js';

/** How long `end()` waits for the peer to close before destroying the socket. */
const END_GRACE_MS = 1000;

/**
 * Wraps a connected TCP socket (accepted or dialled) as a {@link MessageConnection}: 4-byte
 * big-endian length prefix, then the message (see `fromTcpSocket`). Nagle is turned off.
 *
 * @param socket The connected socket; the connection owns it from then on.
 * @param maxMessageBytes The largest message accepted; a longer one fails `messages$` and
 * destroys the socket.
 */
export function tcpConnection(socket: net.Socket, maxMessageBytes: number): MessageConnection {
  socket.setNoDelay(true);
  // Errors are reported through messages$ while it is subscribed; after that they must
  // not go unhandled.
  socket.on('error', () => undefined);
  return {
    messages$: fromTcpSocket(socket, { maxMessageBytes }),
    send: (message) =>
      !socket.destroyed && socket.writable ? writeMessage(socket, message) : false,
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    },
    destroy: () => socket.destroy(),
    get bufferedBytes() {
      return socket.writableLength;
    },
  };
}
