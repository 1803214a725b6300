// One accepted WebSocket on the web listener: the reliable channel, and datagrams over WebRTC (or the WebSocket).
import type { WebSocket } from 'ws';
import { ConnectionError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, SendSignal, TransportPeer } from '../Transport.js';
import type { WebSocketLike } from '../ws/WebSocketLike.js';
import { webPeerCore } from '../ws/webPeerCore.js';
import { wsLink } from '../ws/wsLink.js';
import type { RtcMux } from './rtcMux.js';
import { serverRtc } from './serverRtc.js';

/** What every peer of one web listener shares. */
export interface WebPeerContext {
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
  /** The shared WebRTC port, or undefined for none (datagrams over the WebSocket only). */
  readonly mux: RtcMux | undefined;
  readonly publicAddress: string | undefined;
  readonly dataChannelTimeoutMs: number;
  /** Told of each datagram channel opened, so the listener can close it. */
  readonly onChannel: (channel: DatagramChannel) => void;
}

/**
 * The server's {@link TransportPeer} for one accepted WebSocket.
 *
 * `openDatagrams` resolves at once with a channel on the WebSocket, makes the peer
 * connection and signals its offer and candidates; once the data channel opens the channel
 * sends over it. If it has not opened within `dataChannelTimeoutMs`, or the client declines,
 * the peer connection is closed and datagrams stay on the WebSocket. The WebSocket closing
 * closes everything.
 */
export function webServerPeer(
  socket: WebSocket,
  remoteAddress: string,
  context: WebPeerContext,
): TransportPeer {
  const core = webPeerCore(remoteAddress, (warn) =>
    wsLink(socket as unknown as WebSocketLike, {
      maxMessageBytes: context.maxMessageBytes,
      maxDatagramBytes: context.maxDatagramBytes,
      warn,
      terminate: () => socket.terminate(),
      remoteAddress,
    }),
  );
  const { link, warn, inbox } = core;
  let opened = false;

  return core.toPeer((signal: SendSignal): Promise<DatagramChannel> => {
    if (opened) return Promise.reject(new Error('openDatagrams was called already'));
    opened = true;
    if (!link.open)
      return Promise.reject(
        new ConnectionError('the connection closed before its datagrams were opened'),
      );
    const { web, hooks } = core.openChannel(context.maxDatagramBytes);
    context.onChannel(web.channel);
    const { mux } = context;
    if (mux) {
      try {
        const session = serverRtc({
          mux,
          publicAddress: context.publicAddress,
          signal,
          warn,
          ...hooks,
        });
        core.setSession(session);
        core.startTimer(() => {
          if (!session.open) session.close();
        }, context.dataChannelTimeoutMs);
        inbox.read((data) => session.receive(data));
      } catch (err) {
        warn({
          code: WarningCode.SocketError,
          message: `no WebRTC peer connection: ${String(err)}`,
          error: err instanceof Error ? err : undefined,
        });
      }
    }
    if (!core.session) inbox.read(() => undefined); // no data channel to set up: datagrams on the WebSocket
    return Promise.resolve(web.channel);
  });
}
