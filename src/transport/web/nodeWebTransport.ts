// The web transport as a whole in Node: the listener, and a client on ws and node-datachannel's RTCPeerConnection.
import { WebSocket } from 'ws';
import type { Transport } from '../Transport.js';
import type { RtcPeerConnectionFactory } from '../webrtc/RtcLike.js';
import { createWebTransport, type WebTransportOptions } from '../ws/webClientTransport.js';
import type { WebSocketFactory } from '../ws/WebSocketLike.js';
import { listenWeb, type WebListenerOptions } from './webListener.js';

/** Options of {@link nodeWebTransport}: the listener's, and the client's. */
export interface NodeWebTransportOptions {
  /** How `listen` listens (its `port` and `udpPort` come from the listen options). */
  server?: Omit<WebListenerOptions, 'port' | 'rtcPort' | 'host'>;
  /** How `connect` connects. Default: `ws` and node-datachannel's `RTCPeerConnection`. */
  client?: WebTransportOptions;
}

/**
 * The web transport in Node: `listen` opens the web listener (`port` is the HTTP port,
 * `udpPort` the shared WebRTC port), and `connect` joins over a WebSocket (`ws`) with a
 * WebRTC data channel (node-datachannel's `RTCPeerConnection`), as a browser does. For
 * tests, bots and benchmarks of the browser path; a browser uses `createWebTransport`, or
 * just `connect({ url })`.
 *
 * @example
 * const web = nodeWebTransport();
 * const server = await createServer({ transport: web });
 * const bot = await connect({ transport: web, host: '127.0.0.1', port: server.address.tcpPort, username: 'bot' });
 */
export function nodeWebTransport(options: NodeWebTransportOptions = {}): Transport {
  let client: Transport | undefined;
  // node-datachannel is loaded on the first connect, not with the package.
  const clientTransport = async (): Promise<Transport> => {
    if (client) return client;
    const { RTCPeerConnection } = await import('node-datachannel/polyfill');
    client = createWebTransport({
      WebSocket: WebSocket as unknown as WebSocketFactory,
      RTCPeerConnection: RTCPeerConnection as unknown as RtcPeerConnectionFactory,
      ...options.client,
    });
    return client;
  };
  return {
    listen: ({ host, port, udpPort, maxMessageBytes, maxDatagramBytes }) =>
      listenWeb({
        ...options.server,
        host,
        port,
        rtcPort: udpPort,
        maxMessageBytes,
        maxDatagramBytes,
      }),
    connect: async (o) => (await clientTransport()).connect(o),
  };
}
