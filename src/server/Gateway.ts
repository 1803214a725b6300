// Accepts peers from any transport into sessions, within the bound of connections not joined yet.
import { Subscription } from 'rxjs';
import type { Warn } from '../link/serviceDatagrams.js';
import type { MessageListener, TransportPeer, TransportWarning } from '../transport/Transport.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';

/** What the gateway needs from its server. */
export interface GatewayHost {
  readonly maxPendingJoins: number;
  readonly maxPendingJoinsPerAddress: number;
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
 * The server's door: every peer its transport accepts becomes a session in state `joining`.
 * When `maxPendingJoinsPerAddress` sessions from its address have not joined yet, the oldest
 * of them still idle (no join request) is closed to make room; when `maxPendingJoins` have
 * not joined in all, the oldest idle one of the address with the most is closed. So a
 * slowloris can hold only its own connections: the newest, honest join gets in. What the transport reports (strangers' datagrams, forged tokens, socket errors)
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
    const victim = this.oldestIdle(peer.remoteAddress);
    if (victim !== undefined) {
      host.warn('buffer-full', 'too many connections have not joined yet: the oldest idle closed', {
        address: victim.address,
      });
      host.onJoinTimeout(victim);
      victim.destroy();
    } else if (this.pending().all >= host.maxPendingJoins) {
      host.warn('buffer-full', 'too many connections are authenticating: one more closed', {
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

  /** Sessions not joined yet: in all, and by address. */
  private pending(): { all: number; byAddress: Map<string, number> } {
    let all = 0;
    const byAddress = new Map<string, number>();
    for (const s of this.host.sessions) {
      if (s.state !== SessionState.Joining && s.state !== SessionState.Authenticating) continue;
      all++;
      byAddress.set(s.address, (byAddress.get(s.address) ?? 0) + 1);
    }
    return { all, byAddress };
  }

  /**
   * The session to close before one more from `address` comes in, if a bound is reached:
   * the oldest idle one from `address` (at its own bound), else from the address with the
   * most pending (at the overall bound).
   */
  private oldestIdle(address: string): PeerSession | undefined {
    const { all, byAddress } = this.pending();
    let from: string | undefined;
    if ((byAddress.get(address) ?? 0) >= this.host.maxPendingJoinsPerAddress) from = address;
    else if (all >= this.host.maxPendingJoins) {
      let most = 0;
      for (const [a, n] of byAddress) if (n > most) [from, most] = [a, n];
    }
    if (from === undefined) return undefined;
    // Sessions are kept in the order they came: the first idle one found is the oldest.
    for (const s of this.host.sessions)
      if (s.state === SessionState.Joining && s.address === from) return s;
    return undefined;
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
