import * as net from 'node:net';
import { Observable } from 'rxjs';
import { ConnectionError } from '../errors.js';
import { dialSocket } from './dialSocket.js';

/**
 * Turns a TCP server into an Observable of its incoming connections.
 *
 * - `next`: each accepted socket (`'connection'`). The subscriber owns it from then on.
 * - `error` {@link ConnectionError}: the server emitted `'error'` (the Node error is `cause`).
 * - `complete`: the server closed (`'close'`, which Node emits only once every connection
 *   has ended as well).
 *
 * Teardown removes the listeners this subscription added and leaves the server open: whoever
 * opened it closes it. Connections accepted while nobody listens are not seen here, so
 * subscribe right after {@link listenTcp} resolves (in the same synchronous continuation).
 *
 * @example
 * const server = await listenTcp({ host: '127.0.0.1' });
 * fromTcpServer(server).subscribe((socket) => {
 *   fromTcpSocket(socket).subscribe((payload) => console.log(payload));
 * });
 *
 * @param server A TCP server, listening or about to.
 * @returns A cold Observable of accepted sockets; each subscription adds its own listeners.
 */
export function fromTcpServer(server: net.Server): Observable<net.Socket> {
  return new Observable<net.Socket>((subscriber) => {
    const onConnection = (socket: net.Socket): void => subscriber.next(socket);
    const onError = (err: Error): void => {
      subscriber.error(new ConnectionError(`TCP server error: ${err.message}`, { cause: err }));
    };
    const onClose = (): void => subscriber.complete();
    server.on('connection', onConnection);
    server.on('error', onError);
    server.on('close', onClose);
    return () => {
      server.off('connection', onConnection);
      server.off('error', onError);
      server.off('close', onClose);
    };
  });
}

/** Options of {@link listenTcp}. */
export interface TcpListenOptions {
  /** The address to listen on, IPv4 or IPv6 (e.g. `'127.0.0.1'`, `'::'`). */
  host: string;
  /** The port; 0 lets the OS choose a free one (read it from `server.address()`). Default: 0. */
  port?: number;
}

/**
 * Opens a TCP server and resolves once it is listening.
 *
 * Accepted sockets have Nagle's algorithm disabled (`noDelay`), as game messages are small and
 * late is worse than small. The server has no `'error'` listener once the promise has
 * resolved: subscribe {@link fromTcpServer} to it (which also takes the connections).
 *
 * @example
 * const server = await listenTcp({ host: '127.0.0.1', port: 0 });
 * const { port } = server.address() as net.AddressInfo;
 *
 * @param options `host`, and `port` (default 0: any free port).
 * @returns The listening server; the caller closes it (`server.close()`).
 * @throws {ConnectionError} (as a rejection) if it cannot listen, e.g. `EADDRINUSE`,
 * `EADDRNOTAVAIL` or a bad port; the Node error is `cause`.
 */
export function listenTcp(options: TcpListenOptions): Promise<net.Server> {
  const { host, port = 0 } = options;
  return new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer({ noDelay: true });
    const fail = (err: unknown): void => {
      server.off('error', fail);
      server.off('listening', onListening);
      const reason = err instanceof Error ? err.message : String(err);
      reject(
        new ConnectionError(`cannot listen on TCP ${host}:${port}: ${reason}`, { cause: err }),
      );
    };
    const onListening = (): void => {
      server.off('error', fail);
      resolve(server);
    };
    server.once('error', fail);
    server.once('listening', onListening);
    try {
      server.listen({ host, port });
    } catch (err) {
      fail(err);
    }
  });
}

/** Options of {@link connectTcp}. */
export interface TcpConnectOptions {
  /** The server's address, IPv4, IPv6 or a host name. */
  host: string;
  /** The server's TCP port. */
  port: number;
  /** How long to wait for the connection before giving up, in milliseconds. Default: 5000. */
  timeoutMs?: number;
}

/** Default of {@link TcpConnectOptions.timeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens a TCP connection and resolves once it is connected.
 *
 * Nagle's algorithm is disabled (`setNoDelay(true)`) so small messages leave at once. The
 * socket has no `'error'` listener once the promise has resolved: subscribe
 * {@link fromTcpSocket} to it straight away (in the same synchronous continuation).
 *
 * @example
 * const socket = await connectTcp({ host: '127.0.0.1', port: 7000, timeoutMs: 2000 });
 * const messages$ = fromTcpSocket(socket);
 *
 * @param options `host`, `port`, and `timeoutMs` (default 5000).
 * @returns The connected socket; the caller closes it (`socket.end()` or `socket.destroy()`).
 * @throws {ConnectionError} (as a rejection) if the connection fails (the Node error, e.g.
 * `ECONNREFUSED`, is `cause`) or does not complete within `timeoutMs` (then `cause` is an
 * error with `code: 'ETIMEDOUT'`, and the attempt is aborted).
 */
export function connectTcp(options: TcpConnectOptions): Promise<net.Socket> {
  const { host, port, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS } = options;
  return new Promise<net.Socket>((resolve, reject) => {
    const rejectWith = (err: unknown): void => {
      const reason = err instanceof Error ? err.message : String(err);
      reject(
        new ConnectionError(`cannot connect to TCP ${host}:${port}: ${reason}`, { cause: err }),
      );
    };
    dialSocket(
      () => net.connect({ host, port }),
      {
        connectEvent: 'connect',
        timeoutMs,
        timeoutMessage: `connect ETIMEDOUT after ${timeoutMs} ms`,
      },
      resolve,
      rejectWith,
    );
  });
}
