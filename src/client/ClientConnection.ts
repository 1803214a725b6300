// One connection of a client to its server: its peer, its datagram channel, what it subscribed to.
import { Subscription } from 'rxjs';
import { MessageType, encodeMessage } from '../protocol/index.js';
import type { DatagramChannel, TransportPeer, TransportWarning } from '../transport/Transport.js';

/** One connection of a client to its server (a reconnect makes a new one). @internal */
export interface Connection {
  /** Resolves once its datagrams can flow; rejects if they never can. */
  readonly opened: Promise<void>;
  onMessage(bytes: Uint8Array): void;
  onClosed(error: Error | undefined): void;
  /** Ends `sub` with this connection. */
  own(sub: Subscription): void;
  /** The handshake did not complete: the connection is given up. */
  abandon(message: string): void;
}

/** The session a connection reports to (the `GameClient`). @internal */
export interface ConnectionOwner {
  /** A spectator's frames all come over the reliable channel: no datagram channel. */
  readonly spectating: boolean;
  /** A transport warning on one of its connections. */
  transportWarning(w: TransportWarning): void;
  /** The datagram channel of connection `conn` opened. */
  attach(conn: ClientConnection, channel: DatagramChannel): void;
  /** A message on the reliable channel of `conn`, after the join answer. */
  onMessage(conn: ClientConnection, bytes: Uint8Array): void;
  /** The reliable channel of `conn` ended (`error` set when it failed). */
  onClosed(conn: ClientConnection, error: Error | undefined): void;
  /** The handshake on `conn` did not complete. */
  abandoned(conn: ClientConnection, message: string): void;
}

/** One connection of a client: its peer, its datagram channel, what it subscribed to. @internal */
export class ClientConnection implements Connection {
  channel: DatagramChannel | undefined;
  readonly opened: Promise<void>;
  private readonly subs = new Subscription();
  private closed = false;

  constructor(
    private readonly client: ConnectionOwner,
    readonly peer: TransportPeer,
  ) {
    this.subs.add(peer.warnings$.subscribe((w) => client.transportWarning(w)));
    // A spectator's frames all come over the reliable channel: no datagram channel.
    if (client.spectating) {
      this.opened = Promise.resolve();
      return;
    }
    // The transport's signals go to the server over the reliable channel.
    this.opened = peer
      .openDatagrams((data) =>
        peer.messages.send(encodeMessage({ type: MessageType.SignalToServer, data })),
      )
      .then((channel) => client.attach(this, channel));
  }

  onMessage(bytes: Uint8Array): void {
    this.client.onMessage(this, bytes);
  }

  onClosed(error: Error | undefined): void {
    if (!this.closed) this.client.onClosed(this, error);
  }

  own(sub: Subscription): void {
    this.subs.add(sub);
  }

  abandon(message: string): void {
    this.client.abandoned(this, message);
  }

  /** Closes its sockets and stops reading. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.unsubscribe();
    this.peer.messages.end();
    this.channel?.close();
  }
}
