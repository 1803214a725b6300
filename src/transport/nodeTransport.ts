import type * as dgram from 'node:dgram';
import type * as net from 'node:net';
import { Subject, map } from 'rxjs';
import { fromTcpServer, connectTcp, listenTcp } from '../sources/fromTcpServer.js';
import { fromTcpSocket, writeMessage } from '../sources/fromTcpSocket.js';
import { isIPv4 } from 'node:net';
import { bindUdpSocket, fromUdpSocket, udpSender, type UdpSend } from '../sources/fromUdpSocket.js';
import type {
  DatagramEndpoint,
  MessageConnection,
  MessageListener,
  Transport,
} from './Transport.js';

/** An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) as plain IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * A sender that also reaches IPv4 peers from a dual-stack IPv6 socket: addresses are kept
 * in plain IPv4 form everywhere else, and mapped (`::ffff:a.b.c.d`) only here.
 */
function sendTo(socket: dgram.Socket, onError: (err: Error) => void): UdpSend {
  const send = udpSender(socket, onError);
  if (socket.address().family !== 'IPv6') return send;
  return (data, port, address) => send(data, port, isIPv4(address) ? `::ffff:${address}` : address);
}

function udpEndpoint(socket: dgram.Socket): DatagramEndpoint {
  let closed: Promise<void> | undefined;
  const sendErrors = new Subject<Error>();
  return {
    port: socket.address().port,
    // Only a dual-stack IPv6 socket sees IPv4 senders as ::ffff:a.b.c.d.
    datagrams$:
      socket.address().family === 'IPv6'
        ? fromUdpSocket(socket).pipe(
            map((d) =>
              d.address.startsWith('::ffff:') ? { ...d, address: plainAddress(d.address) } : d,
            ),
          )
        : fromUdpSocket(socket),
    send: sendTo(socket, (err) => sendErrors.next(err)),
    sendErrors$: sendErrors.asObservable(),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      }).then(() => sendErrors.complete())),
  };
}

function tcpConnection(socket: net.Socket, maxMessageBytes: number): MessageConnection {
  socket.setNoDelay(true);
  // Errors are reported through messages$ while it is subscribed; after that they must
  // not go unhandled.
  socket.on('error', () => undefined);
  return {
    remoteAddress: plainAddress(socket.remoteAddress ?? ''),
    messages$: fromTcpSocket(socket, { maxMessageBytes }),
    send: (message) =>
      !socket.destroyed && socket.writable ? writeMessage(socket, message) : false,
    end: () => {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    },
    destroy: () => socket.destroy(),
    get bufferedBytes() {
      return socket.writableLength;
    },
  };
}

function tcpListener(server: net.Server, maxMessageBytes: number): MessageListener {
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as net.AddressInfo).port,
    connections$: fromTcpServer(server).pipe(map((s) => tcpConnection(s, maxMessageBytes))),
    close: () => (closed ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** The Node transport: UDP datagrams (4 MiB receive buffer) and TCP with 4-byte framing. */
export const nodeTransport: Transport = {
  async bindDatagrams({ host, port }) {
    return udpEndpoint(await bindUdpSocket({ host, port }));
  },
  async listen({ host, port, maxMessageBytes }) {
    return tcpListener(await listenTcp({ host, port }), maxMessageBytes);
  },
  async connect({ host, port, timeoutMs, maxMessageBytes }) {
    return tcpConnection(await connectTcp({ host, port, timeoutMs }), maxMessageBytes);
  },
};
