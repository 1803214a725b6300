// The Node transport's server side: one TCP listener and one UDP socket shared by every peer.
import type * as net from 'node:net';
import { asyncScheduler, Subject, type SchedulerLike } from 'rxjs';
import { WarningCode } from '../../events.js';
import { fromTcpServer, listenTcp } from '../../sources/fromTcpServer.js';
import type {
  ListenOptions,
  MessageListener,
  TransportPeer,
  TransportWarning,
} from '../Transport.js';
import { serverPeer } from './serverPeer.js';
import { UdpDemux } from './udpDemux.js';
import { serverTls } from './tls.js';
import { bindUdpEndpoint } from './udpEndpoint.js';

/**
 * Opens the Node transport's listener: a TCP server (length-prefixed messages) and one UDP
 * socket (4 MiB receive buffer) on `host`, the datagrams of every peer demultiplexed by
 * session token (see {@link UdpDemux}). With `options.tls`, each accepted TCP connection is
 * wrapped in TLS first (a client that does not speak it fails the handshake and is closed).
 *
 * Subscribe to `connections$` right after this resolves: a connection accepted while nobody
 * is subscribed is closed at once (nobody would serve it). `close()` stops accepting, closes
 * the UDP socket (every datagram channel completes), and resolves once every accepted TCP
 * connection has closed too (whoever holds the peers ends them).
 *
 * @param scheduler The clock of retired tokens. Default: `asyncScheduler`.
 * @throws {ConnectionError} (as a rejection) if either port cannot be opened (then neither is),
 * or the TLS key and certificate cannot be used (then nothing is opened).
 */
export async function listenNode(
  options: ListenOptions,
  scheduler: SchedulerLike = asyncScheduler,
): Promise<MessageListener> {
  const { host, maxMessageBytes, maxDatagramBytes } = options;
  const secure = serverTls(options.tls);
  const endpoint = await bindUdpEndpoint({ host, port: options.udpPort });
  let server: net.Server;
  try {
    server = await listenTcp({ host, port: options.port });
  } catch (err) {
    await endpoint.close();
    throw err;
  }

  const warnings = new Subject<TransportWarning>();
  const connections = new Subject<TransportPeer>();
  const demux = new UdpDemux({ maxDatagramBytes, warn: (w) => warnings.next(w), scheduler });
  const context = { endpoint, demux, maxMessageBytes };
  let closing = false;

  const udpSub = endpoint.datagrams$.subscribe({
    next: (d) => demux.receive(d),
    error: (err: Error) => {
      warnings.next({ code: WarningCode.SocketError, message: err.message, error: err });
      demux.close(err);
    },
  });
  const sendErrorSub = endpoint.sendErrors$.subscribe((err) =>
    warnings.next({ code: WarningCode.SocketError, message: err.message, error: err }),
  );
  const tcpSub = fromTcpServer(server).subscribe({
    next: (socket) => {
      if (closing || !connections.observed) {
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
      connections.next(serverPeer(secure(socket), context));
    },
    error: (err: Error) => connections.error(err),
  });
  // After an error fromTcpServer no longer listens: later errors must not go unhandled.
  server.on('error', () => undefined);

  let closed: Promise<void> | undefined;
  return {
    address: { tcpPort: (server.address() as net.AddressInfo).port, udpPort: endpoint.port },
    connections$: connections.asObservable(),
    warnings$: warnings.asObservable(),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        const tcpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        connections.complete();
        demux.close();
        udpSub.unsubscribe();
        await endpoint.close();
        sendErrorSub.unsubscribe();
        await tcpClosed;
        tcpSub.unsubscribe();
        warnings.complete();
      })()),
  };
}
