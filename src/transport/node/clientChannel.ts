// The Node client's datagram channel: its own UDP socket, talking to the server's IP and signalled port only.
import { Subject } from 'rxjs';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, TransportWarning } from '../Transport.js';
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
  /** The largest datagram accepted from the server; a longer one is a `decode-error`. */
  readonly maxDatagramBytes: number;
  readonly warn: (warning: TransportWarning) => void;
}

/**
 * A {@link DatagramChannel} over the client's own UDP endpoint. Each datagram sent is the
 * token then the data (one gather send, no copy); only datagrams from the server's IP and
 * port are delivered (as plain `Uint8Array` views), anything else is an `unknown-sender`
 * warning. Closing the channel closes the endpoint.
 *
 * @param endpoint The client's bound endpoint; the channel owns it from then on.
 */
export function clientChannel(
  endpoint: DatagramEndpoint,
  options: ClientChannelOptions,
): DatagramChannel {
  const { serverAddress, serverPort, maxDatagramBytes, warn } = options;
  const prefix = tokenPrefix(options.token);
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
      } else if (data.length > maxDatagramBytes) {
        warn({
          code: WarningCode.DecodeError,
          message: `a datagram of ${data.length} bytes from the server (at most ${maxDatagramBytes})`,
          address,
          port,
        });
      } else {
        inbox.next(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
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
    datagrams$: inbox.asObservable(),
    send: (data) => {
      if (!closed) endpoint.send([prefix, data], serverPort, serverAddress);
    },
    close: () => close(),
  };
}
