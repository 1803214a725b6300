// The web transport's client: a WebSocket for the reliable channel, a WebRTC data channel for datagrams (the WebSocket as fallback).
import { ConnectionError, ConnectTimeoutError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import type {
  ConnectTransportOptions,
  DatagramChannel,
  SendSignal,
  Transport,
  TransportPeer,
} from '../Transport.js';
import { clientRtc, type ClientRtc } from '../webrtc/clientRtc.js';
import type { IceServerConfig, RtcPeerConnectionFactory } from '../webrtc/RtcLike.js';
import { encodeRtcSignal, RtcSignalKind } from '../webrtc/rtcSignal.js';
import { webPeerCore } from './webPeerCore.js';
import type { WebSocketFactory, WebSocketLike } from './WebSocketLike.js';
import { wsLink } from './wsLink.js';

/** Options of {@link createWebTransport}. */
export interface WebTransportOptions {
  /**
   * The WebSocket endpoint, `ws://` or `wss://` (`http(s)://` is read as `ws(s)://`).
   * Default: `ws://<host>:<port>/` from what `connect` is given.
   */
  url?: string;
  /** The WebSocket class. Default: the global `WebSocket` (a browser's; Node 22's). */
  WebSocket?: WebSocketFactory;
  /**
   * The peer connection class, or `null` for none: the client declines the data channel and
   * its datagrams go over the WebSocket. Default: the global `RTCPeerConnection`, if any.
   */
  RTCPeerConnection?: RtcPeerConnectionFactory | null;
  /** STUN/TURN servers for the browser's side of ICE. Default: none. */
  iceServers?: readonly IceServerConfig[];
  /**
   * If the data channel has not opened this long after the join, the client gives up on it:
   * its datagrams stay on the WebSocket. Default `3000`.
   */
  dataChannelTimeoutMs?: number;
}

/** Default of {@link WebTransportOptions.dataChannelTimeoutMs}. */
export const DEFAULT_DATA_CHANNEL_TIMEOUT_MS = 3000;

/**
 * The endpoint's URL: `url` as given (`http:` read as `ws:`, `https:` as `wss:`), or
 * `ws://host:port/`.
 *
 * @throws {ConnectionError} if it is not a `ws:`/`wss:`/`http:`/`https:` URL.
 */
export function webSocketUrl(url: string | undefined, host: string, port: number): string {
  if (url === undefined) return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionError(`not a URL: ${url}`);
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  else if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')
    throw new ConnectionError(`not a WebSocket URL: ${url}`);
  return parsed.href;
}

/**
 * The web transport's client side, for browsers (and Node with `ws` and node-datachannel's
 * polyfill, see `nodeWebTransport`): the reliable channel is a WebSocket; once the join is
 * accepted the server offers a WebRTC data channel (unordered, `maxRetransmits: 0`) through
 * signals, and datagrams go over it once it opens. Until then, or for good if it does not open
 * within `dataChannelTimeoutMs` (UDP blocked), datagrams go over the WebSocket: slower under
 * loss (a lost TCP segment holds back everything behind it), but the player stays in the match.
 * The channel's `path` says which (`'webrtc'` or `'websocket'`), and so do the client's stats.
 *
 * `listen` is not available: the server side is in the Node entry (`createServer({ web })`).
 *
 * @example
 * const client = await connect({ url: 'ws://localhost:8080/', username: 'ann' }); // uses it
 * // or explicitly, with options:
 * const client = await connect({ host: 'localhost', port: 8080, username: 'ann',
 *   transport: createWebTransport({ iceServers: [{ urls: 'stun:stun.example.org' }] }) });
 */
export function createWebTransport(options: WebTransportOptions = {}): Transport {
  return {
    listen: () =>
      Promise.reject(
        new ConnectionError(
          "the web transport's listener is in the Node entry (the server's web option)",
        ),
      ),
    connect: (connectOptions) => connectWeb(options, connectOptions),
  };
}

const globals = globalThis as unknown as {
  WebSocket?: WebSocketFactory;
  RTCPeerConnection?: RtcPeerConnectionFactory;
};

async function connectWeb(
  options: WebTransportOptions,
  { host, port, timeoutMs, maxMessageBytes, maxDatagramBytes }: ConnectTransportOptions,
): Promise<TransportPeer> {
  const WebSocketClass = options.WebSocket ?? globals.WebSocket;
  if (!WebSocketClass)
    throw new ConnectionError('no WebSocket here: pass WebTransportOptions.WebSocket');
  const url = webSocketUrl(options.url, host, port);
  const socket = await openSocket(WebSocketClass, url, timeoutMs);
  return webClientPeer(socket, {
    remoteAddress: new URL(url).hostname,
    maxMessageBytes,
    maxDatagramBytes,
    RTCPeerConnection:
      options.RTCPeerConnection === undefined
        ? globals.RTCPeerConnection
        : options.RTCPeerConnection,
    iceServers: options.iceServers ?? [],
    dataChannelTimeoutMs: options.dataChannelTimeoutMs ?? DEFAULT_DATA_CHANNEL_TIMEOUT_MS,
  });
}

function openSocket(
  WebSocketClass: WebSocketFactory,
  url: string,
  timeoutMs: number,
): Promise<WebSocketLike> {
  return new Promise<WebSocketLike>((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = new WebSocketClass(url);
    } catch (err) {
      reject(new ConnectionError(`cannot open ${url}: ${String(err)}`, { cause: err }));
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.close();
      reject(new ConnectTimeoutError(timeoutMs));
    }, timeoutMs);
    socket.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    });
    const refused = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ConnectionError(`connection refused: ${url}`));
    };
    socket.addEventListener('error', refused);
    socket.addEventListener('close', refused);
  });
}

/** What {@link webClientPeer} needs besides the socket. */
interface WebClientPeerOptions {
  readonly remoteAddress: string;
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
  readonly RTCPeerConnection: RtcPeerConnectionFactory | null | undefined;
  readonly iceServers: readonly IceServerConfig[];
  readonly dataChannelTimeoutMs: number;
}

/** The client's {@link TransportPeer} over an open WebSocket. */
function webClientPeer(socket: WebSocketLike, options: WebClientPeerOptions): TransportPeer {
  const { remoteAddress, maxDatagramBytes } = options;
  const core = webPeerCore(remoteAddress, (warn) =>
    wsLink(socket, { ...options, warn, remoteAddress }),
  );
  const { link, warn, inbox } = core;
  let opened = false;

  return core.toPeer((signal: SendSignal): Promise<DatagramChannel> => {
    if (opened) return Promise.reject(new ConnectionError('openDatagrams was called already'));
    opened = true;
    if (!link.open) return Promise.reject(new ConnectionError('the connection is closed'));
    const { web, hooks } = core.openChannel(maxDatagramBytes);
    const RTC = options.RTCPeerConnection;
    if (!RTC) {
      signal(encodeRtcSignal({ kind: RtcSignalKind.Decline }));
      inbox.read(() => undefined); // the offer and its candidates: nothing to answer with
      return Promise.resolve(web.channel);
    }
    let session: ClientRtc;
    try {
      session = clientRtc({
        RTCPeerConnection: RTC,
        iceServers: options.iceServers,
        signal,
        warn,
        ...hooks,
      });
    } catch (err) {
      warn({
        code: WarningCode.SocketError,
        message: `no WebRTC peer connection: ${String(err)}`,
        error: err instanceof Error ? err : undefined,
      });
      signal(encodeRtcSignal({ kind: RtcSignalKind.Decline }));
      inbox.read(() => undefined);
      return Promise.resolve(web.channel);
    }
    core.setSession(session);
    core.startTimer(() => {
      if (web.channel.path !== 'webrtc') session.close();
    }, options.dataChannelTimeoutMs);
    inbox.read((data) => session.receive(data));
    return Promise.resolve(web.channel);
  });
}
