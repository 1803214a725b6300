// The Node transport's client side: a TCP connection, and a UDP socket of its own once the server signals where to send.
import type * as net from 'node:net';
import { WarningCode } from '../../events.js';
import { signalledClientPeer } from '../signalledClientPeer.js';
import type { TransportPeer } from '../Transport.js';
import { clientChannel } from './clientChannel.js';
import { tcpPeerConnection } from './tcpPeerConnection.js';
import { bindUdpEndpoint } from './udpEndpoint.js';
import { decodeUdpSignal } from './udpSignal.js';

/** Options of {@link clientPeer}. */
export interface ClientPeerOptions {
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
  /** The address to bind the UDP socket on. Default: {@link defaultLocalHost} of the server's IP. */
  readonly localHost?: string;
}

/**
 * Where a client binds its UDP socket by default: the server's own address if it is a
 * loopback one (so datagrams stay on loopback), `'::'` for an IPv6 server, else `'0.0.0.0'`.
 *
 * @param serverAddress The server's IP, as the TCP connection resolved it.
 */
export function defaultLocalHost(serverAddress: string): string {
  if (serverAddress.startsWith('127.') || serverAddress === '::1') return serverAddress;
  return serverAddress.includes(':') ? '::' : '0.0.0.0';
}

/**
 * The client's {@link TransportPeer} over a connected TCP socket.
 *
 * `openDatagrams` sends no signal: it waits for the server's (kept if it came first), checks
 * it (exactly 39 bytes: port, token, seal and key; a port from 1 to 65535; the seal 1,
 * SipHash-2-4; anything else is a `decode-error` warning and
 * a rejection), binds a UDP socket and resolves with a channel to the server's IP and the
 * signalled port. It rejects if the TCP connection closes first. The TCP connection closing
 * closes the channel too.
 *
 * @param socket The connected socket; the peer owns it from then on.
 */
export function clientPeer(socket: net.Socket, options: ClientPeerOptions): TransportPeer {
  const connection = tcpPeerConnection(socket, options.maxMessageBytes);
  const { remoteAddress } = connection;
  const localHost = options.localHost ?? defaultLocalHost(remoteAddress);
  return signalledClientPeer({
    ...connection,
    open: (data, warn) => {
      const signal = decodeUdpSignal(data);
      if (typeof signal === 'string') return { refused: WarningCode.DecodeError, why: signal };
      return bindUdpEndpoint({ host: localHost, port: 0 }).then((endpoint) =>
        clientChannel(endpoint, {
          serverAddress: remoteAddress,
          serverPort: signal.port,
          token: signal.token,
          key: signal.key,
          maxDatagramBytes: options.maxDatagramBytes,
          warn,
        }),
      );
    },
  });
}
