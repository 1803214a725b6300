// The Node transport's UDP endpoint: one socket, datagrams with their sender, sends to an address and port.
import type * as dgram from 'node:dgram';
import { type Observable, Subject, map } from 'rxjs';
import { ConnectionError } from '../../errors.js';
import { bindUdpSocket, fromUdpSocket, type Datagram } from '../../sources/fromUdpSocket.js';
import { plainAddress, socketAddress } from './plainAddress.js';

/**
 * A bound UDP socket, address-shaped: what the Node transport builds its datagram channels
 * on (the server's one shared socket, each client's own). Internal to the Node transport:
 * the server and the client see only {@link DatagramChannel}s.
 *
 * Addresses are plain IPv4 (never `::ffff:a.b.c.d`) on both sides, on a dual-stack socket too.
 */
export interface DatagramEndpoint {
  /** The local port datagrams arrive on. */
  readonly port: number;
  /**
   * Every datagram received, with its sender. Completes when the endpoint closes; errors if
   * the socket fails. Subscribe once (each subscription adds its own socket listeners).
   */
  readonly datagrams$: Observable<Datagram>;
  /**
   * Sends one datagram, fire and forget; a failure is reported on `sendErrors$`, never thrown.
   * Several buffers are sent as one datagram, in order, with no copy (Node's gather send).
   * Do not change `data` after the call: the send may still be in flight.
   */
  send(data: Uint8Array | readonly Uint8Array[], port: number, address: string): void;
  /** Failures of `send`, as {@link ConnectionError}s naming the address and port. */
  readonly sendErrors$: Observable<Error>;
  /** Closes the socket. Safe to call twice; resolves once it is closed. */
  close(): Promise<void>;
}

/**
 * Wraps a bound UDP socket as a {@link DatagramEndpoint}. The endpoint owns the socket from
 * then on (its `close` closes it).
 *
 * @param socket A bound UDP socket (see `bindUdpSocket`).
 */
export function udpEndpoint(socket: dgram.Socket): DatagramEndpoint {
  const family = socket.address().family;
  const sendErrors = new Subject<Error>();
  let closed: Promise<void> | undefined;
  // Errors are reported through datagrams$ while it is subscribed; they must never go unhandled.
  socket.on('error', () => undefined);
  const report = (err: unknown, port: number, address: string): void => {
    const reason = err instanceof Error ? err.message : String(err);
    sendErrors.next(
      new ConnectionError(`UDP send to ${address}:${port} failed: ${reason}`, { cause: err }),
    );
  };
  // One callback for every send, not a closure per datagram: dgram's error names the address
  // and port it was sent to.
  const afterSend = (err: Error | null): void => {
    if (!err) return;
    const { address, port } = err as Error & { address?: string; port?: number };
    report(err, port ?? 0, plainAddress(address ?? '?'));
  };
  const received = fromUdpSocket(socket);
  return {
    port: socket.address().port,
    // Only a dual-stack IPv6 socket sees IPv4 senders as ::ffff:a.b.c.d.
    datagrams$:
      family === 'IPv6'
        ? received.pipe(
            map((d) =>
              d.address.startsWith('::ffff:') ? { ...d, address: plainAddress(d.address) } : d,
            ),
          )
        : received,
    send: (data, port, address) => {
      if (closed) return;
      try {
        socket.send(data, port, socketAddress(address, family), afterSend);
      } catch (err) {
        // Thrown at once (a bad port, the socket closing): reported later, as async failures are.
        queueMicrotask(() => report(err, port, address));
      }
    },
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

/**
 * Binds a UDP socket (a 4 MiB receive buffer asked for: see `bindUdpSocket`) and wraps it.
 *
 * @param options `host` (IPv4 or IPv6; an IPv6 one makes a dual-stack `udp6` socket) and
 * `port` (0: any free port).
 * @throws {ConnectionError} (as a rejection) if the bind fails.
 */
export async function bindUdpEndpoint(options: {
  host: string;
  port: number;
}): Promise<DatagramEndpoint> {
  return udpEndpoint(await bindUdpSocket(options));
}
