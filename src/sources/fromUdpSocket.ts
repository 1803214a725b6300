import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Observable } from 'rxjs';
import { ConnectionError } from '../errors.js';

/** One UDP datagram as received: its bytes and who sent it. */
export interface Datagram {
  /** The datagram's bytes (the Buffer Node received; a fresh one per datagram). */
  readonly data: Uint8Array;
  /** The sender's IP address. */
  readonly address: string;
  /** The sender's UDP port. */
  readonly port: number;
}

/**
 * Turns a UDP socket into an Observable of the datagrams it receives.
 *
 * A UDP socket is a stream of independent datagrams from any sender, which maps one to one onto
 * `next`. Nothing is reassembled or reordered here: datagrams may be lost, duplicated or
 * reordered by the network, and the operators downstream deal with that.
 *
 * - `next`: each datagram (`'message'`), with the sender's address and port.
 * - `error` {@link ConnectionError}: the socket emitted `'error'` (the Node error is `cause`).
 * - `complete`: the socket closed (`'close'`).
 *
 * Teardown removes only the listeners this subscription added; it never closes the socket
 * (whoever opened it closes it). Several subscribers each get every datagram. Once no
 * subscriber is left, Node throws socket `'error'`s that no listener takes: keep a listener
 * of your own if the socket outlives its subscriptions.
 *
 * @example
 * const socket = await bindUdpSocket({ host: '127.0.0.1' });
 * fromUdpSocket(socket).subscribe(({ data, address, port }) => {
 *   console.log(`${data.length} bytes from ${address}:${port}`);
 * });
 *
 * @param socket A UDP socket, bound or about to be (this does not bind or close it).
 * @returns A cold Observable of datagrams; each subscription adds its own listeners.
 */
export function fromUdpSocket(socket: dgram.Socket): Observable<Datagram> {
  return new Observable<Datagram>((subscriber) => {
    const onMessage = (data: Buffer, rinfo: dgram.RemoteInfo): void => {
      subscriber.next({ data, address: rinfo.address, port: rinfo.port });
    };
    const onError = (err: Error): void => {
      subscriber.error(new ConnectionError(`UDP socket error: ${err.message}`, { cause: err }));
    };
    const onClose = (): void => subscriber.complete();
    socket.on('message', onMessage);
    socket.on('error', onError);
    socket.on('close', onClose);
    return () => {
      socket.off('message', onMessage);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
  });
}

/** Options of {@link bindUdpSocket}. */
export interface UdpBindOptions {
  /** The address to bind, IPv4 or IPv6; an IPv6 address makes a `udp6` socket. */
  host: string;
  /** The port; 0 lets the OS choose a free one (read it from `socket.address()`). Default: 0. */
  port?: number;
  /**
   * The receive buffer to ask the OS for, in bytes (`SO_RCVBUF`). A large one rides out
   * bursts from many clients. The OS may grant less (Linux caps it at
   * `net.core.rmem_max`); read `socket.getRecvBufferSize()`. Default: 4 MiB.
   */
  recvBufferBytes?: number;
  /** The send buffer to ask the OS for, in bytes (`SO_SNDBUF`), capped likewise. Default: 1 MiB. */
  sendBufferBytes?: number;
}

/** Default of {@link UdpBindOptions.recvBufferBytes}: 4 MiB. */
export const DEFAULT_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** Default of {@link UdpBindOptions.sendBufferBytes}: 1 MiB. */
export const DEFAULT_UDP_SEND_BUFFER_BYTES = 1024 * 1024;

/**
 * Opens a UDP socket bound to `host:port` and resolves once it is bound.
 *
 * The socket type follows the host: `udp6` for an IPv6 address, `udp4` otherwise. After the
 * bind it asks for bigger kernel buffers; if the OS refuses, the socket keeps the sizes it has
 * (check `getRecvBufferSize()` if it matters). The socket has no `'error'` listener once the
 * promise has resolved: subscribe {@link fromUdpSocket} to it.
 *
 * @example
 * const socket = await bindUdpSocket({ host: '127.0.0.1' }); // any free port
 * const { port } = socket.address();
 *
 * @param options `host`; `port` (default 0), `recvBufferBytes` (default 4 MiB),
 * `sendBufferBytes` (default 1 MiB).
 * @returns The bound socket; the caller closes it (`socket.close()`).
 * @throws {ConnectionError} (as a rejection) if the bind fails, e.g. `EADDRINUSE`,
 * `EADDRNOTAVAIL`, or a port outside 0..65535 (`cause.code` `ERR_SOCKET_BAD_PORT`, where
 * Node's dgram would silently wrap it); the Node error is `cause`, and the socket is closed.
 */
export function bindUdpSocket(options: UdpBindOptions): Promise<dgram.Socket> {
  const {
    host,
    port = 0,
    recvBufferBytes = DEFAULT_UDP_RECV_BUFFER_BYTES,
    sendBufferBytes = DEFAULT_UDP_SEND_BUFFER_BYTES,
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    // Node's dgram would wrap it silently (70000 binds 4464, -1 binds 65535): refuse it, as
    // net does.
    const cause: NodeJS.ErrnoException = new RangeError(`port must be 0 to 65535, got ${port}`);
    cause.code = 'ERR_SOCKET_BAD_PORT';
    return Promise.reject(
      new ConnectionError(`cannot bind UDP ${host}:${port}: ${cause.message}`, { cause }),
    );
  }
  return new Promise<dgram.Socket>((resolve, reject) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
    const fail = (err: unknown): void => {
      socket.off('error', fail);
      socket.off('listening', onListening);
      try {
        socket.close();
      } catch {
        // Already closed: nothing to release.
      }
      const reason = err instanceof Error ? err.message : String(err);
      reject(new ConnectionError(`cannot bind UDP ${host}:${port}: ${reason}`, { cause: err }));
    };
    const onListening = (): void => {
      socket.off('error', fail);
      trySetBufferSize(() => socket.setRecvBufferSize(recvBufferBytes));
      trySetBufferSize(() => socket.setSendBufferSize(sendBufferBytes));
      resolve(socket);
    };
    socket.once('error', fail);
    socket.once('listening', onListening);
    try {
      socket.bind({ address: host, port });
    } catch (err) {
      fail(err); // thrown synchronously, e.g. a bad host type
    }
  });
}

/** Runs a buffer-size setter, ignoring a refusal (`ERR_SOCKET_BUFFER_SIZE`): it is a wish. */
function trySetBufferSize(set: () => void): void {
  try {
    set();
  } catch {
    // The OS refused the size (or the platform has no such option): keep the current one.
  }
}

/** Sends one datagram, fire and forget. See {@link udpSender}. */
export type UdpSend = (data: Uint8Array, port: number, address: string) => void;

/**
 * Makes a fire-and-forget send function for a UDP socket, which never throws.
 *
 * UDP sends can fail in two ways: at once (the socket is closed, a bad port) or later (e.g.
 * `EMSGSIZE`, an unreachable network). Either way the failure goes to `onError`, wrapped in a
 * {@link ConnectionError} with the Node error as `cause`, always asynchronously (never from
 * inside `send`); the caller is never thrown at and no error goes unhandled. A lost datagram is normal for UDP, so without `onError` failures are
 * dropped silently.
 *
 * @example
 * const send = udpSender(socket, (err) => events$.next({ type: 'warning', error: err }));
 * send(packet, clientPort, clientAddress);
 *
 * @param socket The UDP socket to send from (bound, or bound on first send by Node).
 * @param onError Called with each failed send, as a {@link ConnectionError}. Default: ignore.
 * @returns `send(data, port, address)`. Do not change `data` after the call: the send may
 * still be in flight.
 */
export function udpSender(socket: dgram.Socket, onError?: (err: Error) => void): UdpSend {
  const report = (err: unknown, port: number, address: string): void => {
    if (onError === undefined) return;
    const reason = err instanceof Error ? err.message : String(err);
    onError(
      new ConnectionError(`UDP send to ${address}:${port} failed: ${reason}`, { cause: err }),
    );
  };
  return (data, port, address) => {
    try {
      socket.send(data, port, address, (err) => {
        if (err) report(err, port, address);
      });
    } catch (err) {
      // Thrown at once (socket closed, bad port): report it later, as the async failures are,
      // so `onError` never runs inside `send`.
      queueMicrotask(() => report(err, port, address));
    }
  };
}
