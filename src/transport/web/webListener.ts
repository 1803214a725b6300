// The web transport's server side: one HTTP server with the WebSocket endpoint, and one UDP port for every WebRTC data channel.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subject } from 'rxjs';
import { WebSocketServer } from 'ws';
import { ConnectionError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import { plainAddress } from '../node/plainAddress.js';
import type {
  DatagramChannel,
  MessageListener,
  TransportPeer,
  TransportWarning,
} from '../Transport.js';
import type { IceServerConfig } from '../webrtc/RtcLike.js';
import { DEFAULT_DATA_CHANNEL_TIMEOUT_MS } from '../ws/webClientTransport.js';
import { WS_FRAME_HEADER_BYTES } from '../ws/wsFrame.js';
import { openRtcMux, type RtcMux } from './rtcMux.js';
import { webServerPeer } from './webServerPeer.js';

/** Options of the web listener: `createServer({ web })`, or {@link listenWeb}. */
export interface WebListenerOptions {
  /** The HTTP port (WebSocket endpoint); 0 picks a free one. Default `0`. */
  port?: number;
  /** The address to listen on (HTTP and WebRTC). Default: the server's `host`. */
  host?: string;
  /** The UDP port all WebRTC data channels share; 0 picks a free one. Default `0`. */
  rtcPort?: number;
  /**
   * The address to advertise in the WebRTC candidates, in place of the address gathered (a
   * server behind a NAT, or in a container). Default: none (the gathered host address).
   */
  publicAddress?: string;
  /** STUN/TURN servers for the server's side of ICE. Default: none. */
  iceServers?: IceServerConfig[];
  /**
   * If a player's data channel has not opened this long after its join, its datagrams stay on
   * the WebSocket for good. Default `3000`.
   */
  dataChannelTimeoutMs?: number;
  /** Offer WebRTC data channels at all. Default `true` (false: datagrams always on the WebSocket). */
  webrtc?: boolean;
  /**
   * Answers the HTTP requests that are not a WebSocket upgrade (a page, its script).
   * Default: 404 for every one.
   */
  onRequest?: (request: http.IncomingMessage, response: http.ServerResponse) => void;
}

/** What {@link listenWeb} is given: the options, the host, and the limits of the core. */
export interface ListenWebOptions extends WebListenerOptions {
  readonly host: string;
  /** The largest reliable message accepted, in bytes. */
  readonly maxMessageBytes: number;
  /** The largest datagram accepted, in bytes. */
  readonly maxDatagramBytes: number;
}

const notFound = (_request: http.IncomingMessage, response: http.ServerResponse): void => {
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('game-network: a WebSocket endpoint\n');
};

function checkPort(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new RangeError(`web.${name} must be an integer in 0..65535`);
  return value;
}

/**
 * Opens the web transport's listener: an HTTP server whose WebSocket upgrades (any path)
 * are the players' reliable channels, and the shared WebRTC port (see `openRtcMux`). Every
 * frame of a WebSocket is checked (see `wsLink`); a WebSocket message over the core's
 * message limit closes that connection (code 1009).
 *
 * `address` is `{ tcpPort: webPort, udpPort: rtcPort, webPort, rtcPort }`. `close()` stops
 * accepting, closes the WebRTC port and every datagram channel, and resolves once every
 * accepted WebSocket has closed (whoever holds the peers ends them).
 *
 * @throws {RangeError} for a port out of range; {@link ConnectionError} (as a rejection) if a
 * port cannot be opened (then neither is).
 */
export async function listenWeb(options: ListenWebOptions): Promise<MessageListener> {
  const { host, maxMessageBytes, maxDatagramBytes } = options;
  const port = checkPort('port', options.port ?? 0);
  const rtcPort = checkPort('rtcPort', options.rtcPort ?? 0);
  const dataChannelTimeoutMs = options.dataChannelTimeoutMs ?? DEFAULT_DATA_CHANNEL_TIMEOUT_MS;
  if (!(dataChannelTimeoutMs > 0)) throw new RangeError('web.dataChannelTimeoutMs must be > 0');
  const mux: RtcMux | undefined =
    options.webrtc === false
      ? undefined
      : await openRtcMux({ host, port: rtcPort, iceServers: options.iceServers ?? [] });
  const server = http.createServer(options.onRequest ?? notFound);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    mux?.close();
    throw new ConnectionError(`cannot listen on ${host}:${port}: ${String(err)}`, { cause: err });
  }
  server.on('error', () => undefined);

  const warnings = new Subject<TransportWarning>();
  const connections = new Subject<TransportPeer>();
  const open = new Set<Promise<void>>();
  const channels = new Set<DatagramChannel>();
  // One byte of kind before each message: a frame over this is refused by ws itself (1009).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes + WS_FRAME_HEADER_BYTES,
    perMessageDeflate: false,
  });
  wss.on('error', () => undefined);
  let closing = false;
  const context = {
    maxMessageBytes,
    maxDatagramBytes,
    mux,
    publicAddress: options.publicAddress,
    dataChannelTimeoutMs,
    onChannel: (channel: DatagramChannel) => {
      channels.add(channel);
      channel.datagrams$.subscribe({
        complete: () => channels.delete(channel),
        error: () => channels.delete(channel),
      });
    },
  };

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => undefined);
    if (closing || !connections.observed) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (closing || !connections.observed) {
        ws.terminate();
        return;
      }
      const address = plainAddress(request.socket.remoteAddress ?? '');
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      open.add(closed);
      void closed.then(() => open.delete(closed));
      connections.next(webServerPeer(ws, address, context));
    });
  });
  server.on('clientError', (err, socket) => {
    warnings.next({ code: WarningCode.DecodeError, message: `a bad HTTP request: ${err.message}` });
    socket.destroy();
  });

  const webPort = (server.address() as AddressInfo).port;
  const udpPort = mux?.port ?? 0;
  let closed: Promise<void> | undefined;
  return {
    address: { tcpPort: webPort, udpPort, webPort, rtcPort: udpPort },
    connections$: connections.asObservable(),
    warnings$: warnings.asObservable(),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        connections.complete();
        for (const c of [...channels]) c.close();
        mux?.close();
        await Promise.all([...open]);
        wss.close();
        await httpClosed;
        warnings.complete();
      })()),
  };
}
