// The Node client's datagram channel: its own UDP socket, talking to the server's IP and signalled port only.
import { Subject } from 'rxjs';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, TransportWarning } from '../Transport.js';
import { DatagramOpener, DatagramSealer, Direction, OpenRefusal } from './datagramSeal.js';
import { tokenPrefix } from './sessionToken.js';
import type { DatagramEndpoint } from './udpEndpoint.js';

/** Where the client's channel sends, and what it accepts. */
export interface ClientChannelOptions {
  /** The server's IP (that of the TCP connection, plain form). */
  readonly serverAddress: string;
  /** The server's UDP port, from its signal. */
  readonly serverPort: number;
  /** The session token, from the signal: put before each datagram sent. */
  readonly token: number;
  /** The session key, from the signal: seals each datagram sent, and opens each received. */
  readonly key: Uint8Array;
  /** The largest message accepted from the server; a longer datagram is a `decode-error`. */
  readonly maxDatagramBytes: number;
  readonly warn: (warning: TransportWarning) => void;
}

/**
 * A {@link DatagramChannel} over the client's own UDP endpoint. Each datagram sent is sealed:
 * `token + counter + data + tag` (one gather send, the data not copied). Only datagrams from
 * the server's IP and port are opened (anything else is an `unknown-sender` warning); one that
 * does not authenticate is a `bad-datagram` warning, a replay or duplicate is dropped quietly,
 * and the message of an authentic one is delivered as a plain `Uint8Array` view. Closing the
 * channel closes the endpoint.
 *
 * @param endpoint The client's bound endpoint; the channel owns it from then on.
 */
export function clientChannel(
  endpoint: DatagramEndpoint,
  options: ClientChannelOptions,
): DatagramChannel {
  const { serverAddress, serverPort, maxDatagramBytes, warn } = options;
  const sealer = new DatagramSealer(options.key, Direction.ToServer, tokenPrefix(options.token));
  const opener = new DatagramOpener(options.key, Direction.ToClient, 0);
  const inbox = new Subject<Uint8Array>();
  let closed = false;

  const close = (error?: Error): void => {
    if (closed) return;
    closed = true;
    receiveSub.unsubscribe();
    sendErrorSub.unsubscribe();
    void endpoint.close();
    if (error) inbox.error(error);
    else inbox.complete();
  };
  const receiveSub = endpoint.datagrams$.subscribe({
    next: ({ data, address, port }) => {
      if (address !== serverAddress || port !== serverPort) {
        warn({
          code: WarningCode.UnknownSender,
          message: `a datagram from ${address}:${port}, not from the server`,
          address,
          port,
        });
      } else if (data.length > maxDatagramBytes + opener.overhead) {
        warn({
          code: WarningCode.DecodeError,
          message: `a datagram of ${data.length} bytes from the server (at most ${maxDatagramBytes} of message and ${opener.overhead} of counter and tag)`,
          address,
          port,
        });
      } else {
        const message = opener.open(data);
        if (typeof message !== 'string') inbox.next(message);
        else if (message !== OpenRefusal.Replayed)
          warn({
            code: WarningCode.BadDatagram,
            message: `a datagram from the server that does not authenticate (${message})`,
            address,
            port,
          });
      }
    },
    error: (err: Error) => close(err),
    complete: () => close(),
  });
  const sendErrorSub = endpoint.sendErrors$.subscribe((err) =>
    warn({
      code: WarningCode.SocketError,
      message: err.message,
      address: serverAddress,
      port: serverPort,
      error: err,
    }),
  );

  return {
    path: 'udp',
    datagrams$: inbox.asObservable(),
    send: (data) => {
      if (!closed) endpoint.send(sealer.seal(data), serverPort, serverAddress);
    },
    close: () => close(),
  };
}
