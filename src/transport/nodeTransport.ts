// The Node transport: TCP with length-prefixed messages, and UDP datagrams on one shared server socket, by session token.
import { connectTcp } from '../sources/fromTcpServer.js';
import type { Transport } from './Transport.js';
import { clientPeer } from './node/clientPeer.js';
import { listenNode } from './node/nodeListener.js';

export type { DatagramEndpoint } from './node/udpEndpoint.js';

/**
 * The Node transport: a TCP connection per peer (4-byte length-prefixed messages) and UDP
 * datagrams. The server has one UDP socket (a 4 MiB receive buffer asked for) shared by every
 * peer: each peer's `openDatagrams` gives it a random 32-bit session token and signals
 * `udpPort (u16 BE) + token (u32 BE)`; every client-to-server datagram is `token + message`,
 * and server-to-client datagrams are the message alone. The server takes a peer's UDP port
 * from its first datagram with its token from its TCP IP (so a NAT that rewrites ports is
 * fine), and holds it. The client binds its own UDP socket once it has the signal.
 *
 * @example
 * const listener = await nodeTransport.listen({ host: '127.0.0.1', port: 0, udpPort: 0, maxMessageBytes: 65536, maxDatagramBytes: 1200 });
 * listener.connections$.subscribe((peer) => { ... });
 * const peer = await nodeTransport.connect({ host: '127.0.0.1', port: listener.address.tcpPort, timeoutMs: 5000, maxMessageBytes: 65536, maxDatagramBytes: 1200 });
 */
export const nodeTransport: Transport = {
  listen: (options) => listenNode(options),
  async connect({ host, port, timeoutMs, maxMessageBytes, maxDatagramBytes, localHost }) {
    const socket = await connectTcp({ host, port, timeoutMs });
    return clientPeer(socket, { maxMessageBytes, maxDatagramBytes, localHost });
  },
};
