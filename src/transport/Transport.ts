// The transport seam: a peer is a reliable message channel plus an unreliable datagram channel, with no addresses.
import type { Observable } from 'rxjs';
import type { WarningCode } from '../events.js';

/**
 * What the server and the client see of the network. A peer is two channels of bytes: a
 * reliable, ordered channel of whole messages, and an unreliable, unordered channel of
 * datagrams. Neither side ever sees an IP address or a port: how a datagram finds its peer
 * (a session token on a shared UDP socket, a WebRTC data channel, a WebSocket) is the
 * transport's business.
 *
 * The datagram channel is set up after the join, by the transport itself: it may need to
 * exchange setup messages ("signals": a UDP port and a token, or WebRTC offers, answers and
 * candidates) with its other half. The core relays those, opaque, over the reliable channel
 * (the `Signal` message); see {@link TransportPeer.openDatagrams}.
 */

/** A reliable, ordered channel of whole messages (TCP with length-prefixed framing, a WebSocket). */
export interface MessageConnection {
  /**
   * Every whole message received. Subscribe once. Completes on a clean close; errors on a
   * failure, or a message over the size limit (the connection is then destroyed).
   */
  readonly messages$: Observable<Uint8Array>;
  /** Sends one message. Returns false if the connection can no longer send. */
  send(message: Uint8Array): boolean;
  /** Closes after what is queued is sent; destroys it if the peer has not closed in a second. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Bytes sent but not yet handed to the network (a peer that does not read makes it grow). */
  readonly bufferedBytes: number;
}

/** An unreliable, unordered channel of datagrams with one peer. */
export interface DatagramChannel {
  /**
   * Every datagram from the peer (already stripped of anything the transport added), as a plain
   * `Uint8Array` that may be a view into a buffer of the transport's (fresh per datagram: it
   * may be kept). Completes when the channel closes (its `close()`, its connection closing, or
   * the listener closing); errors if it fails.
   */
  readonly datagrams$: Observable<Uint8Array>;
  /**
   * Sends one datagram, fire and forget. A datagram sent before the transport knows where
   * the peer is may be dropped, as any datagram may.
   */
  send(data: Uint8Array): void;
  /** Closes the channel and frees what it holds (its token, its socket). Safe to call twice. */
  close(): void;
  /** The path datagrams are sent on now, where the transport says (it may change: a fallback). */
  readonly path?: DatagramPath;
}

/** How a channel's datagrams travel: UDP, a WebRTC data channel, or the WebSocket (the fallback). */
export type DatagramPath = 'udp' | 'webrtc' | 'websocket';

/** Sends a transport's setup bytes to its other half, over the reliable channel. */
export type SendSignal = (data: Uint8Array) => void;

/** A condition a transport handled and reports: a stranger's datagram, a forged token, a socket error. */
export interface TransportWarning {
  /** What the warning is about. */
  readonly code: WarningCode;
  /** The warning in words, for a log. */
  readonly message: string;
  /** Where it came from, as the transport names it (for logs only; the core never reads it). */
  readonly address?: string;
  /** The port it came from, where the transport has ports (for logs only). */
  readonly port?: number;
  /** The underlying error, when there is one. */
  readonly error?: Error;
}

/** One end of a link to one peer, on the server (one per connection) or on the client. */
export interface TransportPeer {
  /**
   * Where the peer is, as the transport describes it (an IP address for the Node transport).
   * For logs and `authenticate` only: the core never looks inside.
   */
  readonly remoteAddress: string;
  /** The reliable channel. */
  readonly messages: MessageConnection;
  /**
   * Sets up this peer's datagram channel. Whatever setup the transport needs to send its
   * other half goes through `signal` (the core wraps it in a `Signal` message on the reliable
   * channel); what the other half sends back comes in through {@link TransportPeer.signal}.
   * Called once, by the server after it accepts the join (before its answer is read by the
   * client), and by the client once the join is accepted. Resolves when datagrams can flow;
   * rejects if they never can (a bad signal, the connection closing first; the peer is then
   * dropped). A second call rejects.
   */
  openDatagrams(signal: SendSignal): Promise<DatagramChannel>;
  /**
   * A signal from the other half (the body of a `Signal` message). Signals that arrive before
   * `openDatagrams` is called are kept (a few at most). A signal that is not valid is reported
   * on `warnings$` and ignored.
   */
  signal(data: Uint8Array): void;
  /**
   * Conditions handled for this peer (a datagram from a stranger, a bad signal, its token from
   * another address). Completes once the connection has closed.
   */
  readonly warnings$: Observable<TransportWarning>;
}

/** Where a server listens: one entry per port its transport opened. */
export interface ListenerAddress {
  /** The port of the reliable channel (TCP). */
  readonly tcpPort: number;
  /** The port datagrams arrive on (UDP), shared by every peer. */
  readonly udpPort: number;
  /** The web transport's HTTP port (its WebSocket endpoint), when it listens. */
  readonly webPort?: number;
  /** The UDP port every WebRTC data channel shares (its ICE UDP mux), when the web transport listens. */
  readonly rtcPort?: number;
}

/** Accepts peers: the server's side of a transport. */
export interface MessageListener {
  /** The ports it listens on (resolved when 0 was asked). */
  readonly address: ListenerAddress;
  /**
   * Every accepted peer. Completes on `close()`; errors if the listener fails. Subscribe once,
   * right after `listen` resolves: a connection accepted while nobody is subscribed is closed
   * at once (nobody would serve it).
   */
  readonly connections$: Observable<TransportPeer>;
  /** Conditions handled that belong to no peer (a datagram nobody was given a token for). */
  readonly warnings$: Observable<TransportWarning>;
  /**
   * Stops accepting, closes the shared sockets (every datagram channel of its peers completes),
   * and resolves once every accepted connection has closed: it does not close them, whoever
   * holds the peers ends them. Safe to call twice.
   */
  close(): Promise<void>;
}

/**
 * TLS for the server's reliable channel: its private key and certificate chain, in PEM. Opaque
 * to the core, which only passes it on. A network transport that has no TLS refuses a listen
 * with it (it never serves in the clear what was asked to be secret); one with no network (the
 * memory transport) ignores it.
 */
export interface TlsServerOptions {
  /** The server's private key, in PEM. */
  readonly key: string | Uint8Array;
  /** The server's certificate (chain), in PEM. */
  readonly cert: string | Uint8Array;
}

/** TLS for the client's reliable channel (see {@link TlsServerOptions}: ignored or refused the same way). */
export interface TlsClientOptions {
  /** The certificates to trust, in PEM (a self-signed server's own). Default: the system's roots. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Whether a certificate that does not verify ends the connection. Default `true`. */
  readonly rejectUnauthorized?: boolean;
  /** The name the certificate must be for (and the SNI sent). Default: the host, if it is a name. */
  readonly servername?: string;
}

/** What {@link Transport.listen} is given. */
export interface ListenOptions {
  /** The address to listen on, as the transport names addresses. */
  readonly host: string;
  /** The reliable channel's port; 0 picks a free one. */
  readonly port: number;
  /** The datagram port; 0 picks a free one. */
  readonly udpPort: number;
  /** The largest message the reliable channel accepts. */
  readonly maxMessageBytes: number;
  /** The largest datagram (the core's message, without what the transport adds) it accepts. */
  readonly maxDatagramBytes: number;
  /** TLS on the reliable channel (see {@link TlsServerOptions}). Default: none (plain TCP). */
  readonly tls?: TlsServerOptions;
}

/** What {@link Transport.connect} is given. */
export interface ConnectTransportOptions {
  /** The server's address. */
  readonly host: string;
  /** The server's reliable-channel port. */
  readonly port: number;
  /** How long opening the connection may take, in ms. */
  readonly timeoutMs: number;
  /** The largest message the reliable channel accepts. */
  readonly maxMessageBytes: number;
  /** The largest datagram (the core's message, without what the transport adds) it accepts. */
  readonly maxDatagramBytes: number;
  /** Local address for the datagram socket, where the transport has one. Default: the transport's choice. */
  readonly localHost?: string;
  /** TLS on the reliable channel (see {@link TlsClientOptions}). Default: none (plain TCP). */
  readonly tls?: TlsClientOptions;
}

/** Opens listeners (server) and connections (client). */
export interface Transport {
  /** Starts listening (the server side); resolves once it is listening. */
  listen(options: ListenOptions): Promise<MessageListener>;
  /** Opens a link to a server (the client side); resolves with its peer once connected. */
  connect(options: ConnectTransportOptions): Promise<TransportPeer>;
}
