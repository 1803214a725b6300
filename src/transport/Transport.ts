import type { Observable } from 'rxjs';
import type { Datagram } from '../sources/fromUdpSocket.js';

/**
 * The seam between the servicers and the network. The server and the client only see
 * these interfaces: a transport for browsers (WebSocket for the reliable channel, WebRTC
 * data channels for the unreliable one) implements them without touching either.
 */

/** An unreliable, unordered datagram endpoint (UDP). */
export interface DatagramEndpoint {
  /** The local port datagrams arrive on. */
  readonly port: number;
  /** Every datagram received. Completes when the endpoint closes; errors if it fails. */
  readonly datagrams$: Observable<Datagram>;
  /** Sends one datagram, fire and forget; a failure is reported on `sendErrors$`. */
  send(data: Uint8Array, port: number, address: string): void;
  /** Failures of `send` (never thrown). */
  readonly sendErrors$: Observable<Error>;
  /** Closes the endpoint. Safe to call twice. */
  close(): Promise<void>;
}

/** A reliable, ordered channel of whole messages (TCP with length-prefixed framing). */
export interface MessageConnection {
  /** The peer's address (IPv4-mapped IPv6 addresses as plain IPv4). */
  readonly remoteAddress: string;
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

/** Accepts message connections. */
export interface MessageListener {
  /** The local port it listens on. */
  readonly port: number;
  /** Every accepted connection. Errors if the listener fails. */
  readonly connections$: Observable<MessageConnection>;
  /** Stops accepting and resolves once every accepted connection has closed. */
  close(): Promise<void>;
}

/** Opens endpoints, listeners and connections. */
export interface Transport {
  bindDatagrams(options: { host: string; port: number }): Promise<DatagramEndpoint>;
  listen(options: {
    host: string;
    port: number;
    maxMessageBytes: number;
  }): Promise<MessageListener>;
  connect(options: {
    host: string;
    port: number;
    timeoutMs: number;
    maxMessageBytes: number;
  }): Promise<MessageConnection>;
}
