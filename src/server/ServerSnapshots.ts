// Snapshots for late joiners of long matches: asked of the server's `provideSnapshot` or of one player.
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import { Limits, MessageType } from '../protocol/index.js';
import type { ResolvedServerOptions } from './options.js';
import type { PeerSession } from './PeerSession.js';
import { SeatState } from './Seat.js';
import type { Seats } from './Seats.js';

/** Asks for the snapshots the match's log needs, and takes the ones offered. */
export class ServerSnapshots {
  /** The snapshot asked for and not given yet: its tick and who was asked. */
  private snapshotAsked:
    { readonly tick: number; readonly playerId: number | undefined } | undefined;
  private readonly tickRate: number;

  /** Snapshots for `match`, asked of `seats` when the server has no `provideSnapshot`. */
  constructor(
    private readonly match: Match,
    private readonly options: ResolvedServerOptions,
    private readonly seats: Seats,
    private readonly warn: Warn,
  ) {
    this.tickRate = options.tickRate;
  }

  /** A player offers the snapshot of `tick`: taken if it was the one asked. */
  onSnapshotOffer(session: PeerSession, tick: number, data: Uint8Array): void {
    const asked = this.snapshotAsked;
    const seat = session.playing;
    if (!asked || !seat || asked.playerId !== seat.playerId || asked.tick !== tick) {
      this.warn('unexpected-message', 'a snapshot nobody asked for', {
        playerId: session.playerId,
        address: session.address,
      });
      return;
    }
    this.snapshotAsked = undefined;
    this.match.offerSnapshot(tick, data);
  }

  /**
   * Once the log is past half its bytes, a snapshot newer than its middle is asked for, of
   * the world one second ahead: from the server's `provideSnapshot`, else from one player.
   */
  maybeAskSnapshot(): void {
    const { log, head } = this.match;
    const asked = this.snapshotAsked;
    if (asked && asked.tick + 10 * this.tickRate > head) return; // still waiting
    if (log.bytes * 2 < this.options.frameLogBytes) return;
    const snap = this.match.snapshot;
    if (snap && snap.tick >= log.firstTick + log.size / 2) return;
    const tick = head + this.tickRate;
    if (this.options.provideSnapshot) {
      this.snapshotAsked = { tick, playerId: undefined };
      return;
    }
    for (const seat of this.seats.connected()) {
      if (seat.state !== SeatState.Playing || !seat.live) continue;
      this.snapshotAsked = { tick, playerId: seat.playerId };
      seat.session!.send({ type: MessageType.SnapshotRequest, tick });
      return;
    }
  }

  /** After frame `tick - 1` went out: the server-side simulation's snapshot, if asked. */
  serverSnapshot(frameTick: number): void {
    const asked = this.snapshotAsked;
    const provide = this.options.provideSnapshot;
    if (!asked || asked.playerId !== undefined || !provide || asked.tick !== frameTick + 1) return;
    this.snapshotAsked = undefined;
    try {
      const data = provide(asked.tick);
      if (data && data.length <= Limits.maxSnapshotBytes)
        this.match.offerSnapshot(asked.tick, data);
      else if (data)
        this.warn('provide-snapshot-failed', `snapshot over ${Limits.maxSnapshotBytes} bytes`);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.warn('provide-snapshot-failed', `provideSnapshot threw: ${error.message}`, { error });
    }
  }
}
