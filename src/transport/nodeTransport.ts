// The Node transport: TCP with length-prefixed messages, and UDP datagrams on one shared server socket, by session token.
import { connectTcp } from '../sources/fromTcpServer.js';
import type { Transport } from './Transport.js';
import { clientPeer } from './node/clientPeer.js';
import { listenNode } from './node/nodeListener.js';
import { connectTls } from './node/tls.js';

export type { DatagramEndpoint } from './node/udpEndpoint.js';

/**
 * The Node transport: a TCP connection per peer (4-byte length-prefixed messages; over TLS
 * with the `tls` option of `listen` and `connect`) and UDP datagrams. The server has one UDP
 * socket (a 4 MiB receive buffer asked for) shared by every peer: each peer's `openDatagrams`
 * gives it a random 32-bit session token and a random 32-byte key, and signals `udpPort (u16
 * BE) + token (u32 BE) + seal (1: SipHash-2-4) + key`. Every datagram is sealed with the
 * direction's half of the key (a SipHash-2-4 tag, nothing encrypted): client to server
 * `token + counter (u64 BE) + message + tag (8 bytes)`, server to client the same without the
 * token; a counter seen already or older than a 256-wide window
 * is dropped. The server takes a peer's UDP port from its first authentic datagram from its TCP
 * IP, then from each newest authentic one (a NAT that rewrites or rebinds ports is fine; one
 * who knows only the token cannot move it). The client binds its own UDP socket once it has
 * the signal.
 *
 * @example
 * const listener = await nodeTransport.listen({ host: '127.0.0.1', port: 0, udpPort: 0, maxMessageBytes: 65536, maxDatagramBytes: 1200 });
 * listener.connections$.subscribe((peer) => { ... });
 * const peer = await nodeTransport.connect({ host: '127.0.0.1', port: listener.address.tcpPort, timeoutMs: 5000, maxMessageBytes: 65536, maxDatagramBytes: 1200 });
 */
export const nodeTransport: Transport = {
  listen: (options) => listenNode(options),
  async connect({ host, port, timeoutMs, maxMessageBytes, maxDatagramBytes, localHost, tls }) {
    const socket = tls
      ? await connectTls({ host, port, timeoutMs, tls })
      : await connectTcp({ host, port, timeoutMs });
    return clientPeer(socket, { maxMessageBytes, maxDatagramBytes, localHost });
  },
};
