// What a Node peer stands on: its TCP socket as the peer's connection, the socket's IP as its address.
import type * as net from 'node:net';
import type { PeerConnection } from '../peerConnection.js';
import { plainAddress } from './plainAddress.js';
import { tcpConnection } from './tcpConnection.js';

/**
 * A connected TCP socket (accepted or dialled) as a {@link PeerConnection}: its messages, its
 * remote IP in plain form (also on the peer's own warnings), closed on its `close` event or
 * once destroyed.
 *
 * @param socket The connected socket; the peer owns it from then on.
 * @param maxMessageBytes The largest message accepted (see {@link tcpConnection}).
 */
export function tcpPeerConnection(socket: net.Socket, maxMessageBytes: number): PeerConnection {
  const remoteAddress = plainAddress(socket.remoteAddress ?? '');
  return {
    remoteAddress,
    messages: tcpConnection(socket, maxMessageBytes),
    onClose: (closed) => socket.once('close', closed),
    isClosed: () => socket.destroyed,
    warningAddress: remoteAddress,
  };
}
