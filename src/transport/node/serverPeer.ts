// One accepted TCP connection on the Node transport's server, with its datagram session on the shared UDP socket.
import type * as net from 'node:net';
import { Subject } from 'rxjs';
import { ConnectionError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, SendSignal, TransportPeer, TransportWarning } from '../Transport.js';
import { plainAddress } from './plainAddress.js';
import { tcpConnection } from './tcpConnection.js';
import type { UdpDemux } from './udpDemux.js';
import type { DatagramEndpoint } from './udpEndpoint.js';
import { encodeUdpSignal } from './udpSignal.js';

/** What a server peer shares with the others: the listener's UDP socket and its demultiplexer. */
export interface ServerPeerContext {
  readonly endpoint: DatagramEndpoint;
  readonly demux: UdpDemux;
  readonly maxMessageBytes: number;
}

/**
 * The server's {@link TransportPeer} for one accepted TCP socket.
 *
 * `openDatagrams` opens a session on the shared UDP socket (a fresh random token), signals
 * `udpPort (u16 BE) + token (u32 BE)` and resolves at once. The channel's `send` drops what it
 * is given until the peer's first datagram has fixed its port (there is nowhere to send
 * before). Closing the channel, or the TCP connection ending, retires the token. The Node
 * server expects no signal from the client: any is a warning.
 *
 * @param socket The accepted socket; the peer owns it from then on.
 */
export function serverPeer(socket: net.Socket, context: ServerPeerContext): TransportPeer {
  const { endpoint, demux } = context;
  const remoteAddress = plainAddress(socket.remoteAddress ?? '');
  const warnings = new Subject<TransportWarning>();
  let tcpClosed = false;
  let opened = false;
  let channel: DatagramChannel | undefined;

  socket.once('close', () => {
    tcpClosed = true;
    channel?.close();
    warnings.complete();
  });

  const openChannel = (): { channel: DatagramChannel; token: number } => {
    const inbox = new Subject<Uint8Array>();
    let closed = false;
    const close = (error?: Error): void => {
      if (closed) return;
      closed = true;
      demux.retire(session);
      if (error) inbox.error(error);
      else inbox.complete();
    };
    const session = demux.open(remoteAddress, {
      deliver: (payload) => inbox.next(payload),
      warn: (warning) => warnings.next(warning),
      end: close,
    });
    const datagrams: DatagramChannel = {
      datagrams$: inbox.asObservable(),
      send: (data) => {
        const port = session.port;
        if (closed || port === undefined) return; // not heard from yet: nowhere to send
        endpoint.send(data, port, session.address);
      },
      close: () => close(),
    };
    return { channel: datagrams, token: session.token };
  };

  return {
    remoteAddress,
    messages: tcpConnection(socket, context.maxMessageBytes),
    warnings$: warnings.asObservable(),
    openDatagrams(signal: SendSignal): Promise<DatagramChannel> {
      if (opened) return Promise.reject(new Error('openDatagrams was called already'));
      opened = true;
      if (tcpClosed || socket.destroyed)
        return Promise.reject(
          new ConnectionError('the connection closed before its datagrams were opened'),
        );
      let token: number;
      try {
        ({ channel, token } = openChannel());
      } catch (err) {
        return Promise.reject(
          new ConnectionError('cannot open datagrams: the listener is closed', { cause: err }),
        );
      }
      try {
        signal(encodeUdpSignal({ port: endpoint.port, token }));
      } catch (err) {
        channel.close();
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return Promise.resolve(channel);
    },
    signal(data: Uint8Array): void {
      warnings.next({
        code: WarningCode.UnexpectedMessage,
        message: `a signal of ${data.length} bytes: the Node transport's server expects none`,
        address: remoteAddress,
      });
    },
  };
}
