// Accepts peers from any transport into sessions, within the bound of connections not joined yet.
import { Subscription } from 'rxjs';
import type { Warn } from '../link/serviceDatagrams.js';
import type { MessageListener, TransportPeer, TransportWarning } from '../transport/Transport.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';

/** What the gateway needs from its server. */
export interface GatewayHost {
  readonly maxPendingJoins: number;
  readonly joinTimeoutMs: number;
  /** Every session of the server, to count those not joined yet. */
  readonly sessions: ReadonlySet<PeerSession>;
  readonly closing: () => boolean;
  /** A new session: the server takes it from here. */
  readonly admit: (session: PeerSession) => void;
  /** A session that sent no join request within `joinTimeoutMs`. */
  readonly onJoinTimeout: (session: PeerSession) => void;
  readonly handlers: SessionHandlers;
  readonly warn: Warn;
}

/**
 * The server's door: every peer its transport accepts becomes a session in state `joining`,
 * unless `maxPendingJoins` sessions have not joined yet (then it is closed at once, with a
 * warning). What the transport reports (strangers' datagrams, forged tokens, socket errors)
 * becomes the server's warnings.
 */
export class Gateway {
  private readonly subs = new Subscription();

  constructor(
    private readonly listener: MessageListener,
    private readonly host: GatewayHost,
  ) {
    this.subs.add(
      listener.connections$.subscribe({
        next: (peer) => this.onPeer(peer),
        error: (err: Error) =>
          host.warn('socket-error', `listener failed: ${err.message}`, { error: err }),
      }),
    );
    this.subs.add(listener.warnings$.subscribe((w) => this.report(w)));
  }

  private onPeer(peer: TransportPeer): void {
    const { host } = this;
    if (host.closing()) {
      peer.messages.destroy();
      return;
    }
    let pending = 0;
    for (const s of host.sessions)
      if (s.state === SessionState.Joining || s.state === SessionState.Authenticating) pending++;
    if (pending >= host.maxPendingJoins) {
      host.warn('buffer-full', `${pending} connections have not joined yet: one more closed`, {
        address: peer.remoteAddress,
      });
      peer.messages.destroy();
      return;
    }
    const timer = setTimeout(() => {
      host.warn('join-timeout', `no join request within ${host.joinTimeoutMs} ms`, {
        address: peer.remoteAddress,
      });
      host.onJoinTimeout(session);
    }, host.joinTimeoutMs);
    const session = new PeerSession(peer, timer, host.handlers);
    session.own(peer.warnings$.subscribe((w) => this.report(w, session)));
    host.admit(session);
  }

  private report(w: TransportWarning, session?: PeerSession): void {
    this.host.warn(w.code, w.message, {
      playerId: session?.playerId,
      address: w.address,
      port: w.port,
      error: w.error,
    });
  }

  /** Stops accepting and closes the listener (its shared sockets with it). */
  async close(): Promise<void> {
    this.subs.unsubscribe();
    await this.listener.close();
  }
}
