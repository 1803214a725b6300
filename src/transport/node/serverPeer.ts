// One accepted TCP connection on the Node transport's server, with its datagram session on the shared UDP socket.
import type * as net from 'node:net';
import { Subject } from 'rxjs';
import { ConnectionError } from '../../errors.js';
import { signallingServerPeer } from '../signallingServerPeer.js';
import type { DatagramChannel, TransportPeer, TransportWarning } from '../Transport.js';
import { DatagramSealer, Direction } from './datagramSeal.js';
import { tcpPeerConnection } from './tcpPeerConnection.js';
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
 * `openDatagrams` opens a session on the shared UDP socket (a fresh random token and key),
 * signals `udpPort (u16 BE) + token (u32 BE) + key (32 bytes)` and resolves at once. The
 * channel's `send` seals each datagram (`counter + message + tag`, no token) and drops what it
 * is given until the peer's first authentic datagram has fixed its port (there is nowhere to
 * send before). Closing the channel, or the TCP connection ending, retires the token. The Node
 * server expects no signal from the client: any is a warning.
 *
 * @param socket The accepted socket; the peer owns it from then on.
 */
export function serverPeer(socket: net.Socket, context: ServerPeerContext): TransportPeer {
  const { endpoint, demux } = context;
  const connection = tcpPeerConnection(socket, context.maxMessageBytes);
  const { remoteAddress } = connection;

  const openChannel = (
    warn: (warning: TransportWarning) => void,
  ): { channel: DatagramChannel; token: number; key: Uint8Array } => {
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
      warn,
      end: close,
    });
    const sealer = new DatagramSealer(session.key, Direction.ToClient);
    const datagrams: DatagramChannel = {
      path: 'udp',
      datagrams$: inbox.asObservable(),
      send: (data) => {
        const port = session.port;
        if (closed || port === undefined) return; // not heard from yet: nowhere to send
        endpoint.send(sealer.seal(data), port, session.address);
      },
      close: () => close(),
    };
    return { channel: datagrams, token: session.token, key: session.key };
  };

  return signallingServerPeer({
    ...connection,
    expectsNoSignal: "the Node transport's server expects none",
    open: (warn) => {
      let opened: { channel: DatagramChannel; token: number; key: Uint8Array };
      try {
        opened = openChannel(warn);
      } catch (err) {
        throw new ConnectionError('cannot open datagrams: the listener is closed', { cause: err });
      }
      return {
        channel: opened.channel,
        signal: encodeUdpSignal({ port: endpoint.port, token: opened.token, key: opened.key }),
      };
    },
  });
}
