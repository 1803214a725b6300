// The spectators of a match: who watches, their admission, and the rounds that send them frames without ever holding the match.
import { Subject, type Observable } from 'rxjs';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import { Limits, MessageType, type CodecContext } from '../protocol/index.js';
import { CATCH_UP_BACKLOG_BYTES, CatchUpCache, sinkOf } from './catchUp.js';
import type { ResolvedServerOptions } from './options.js';
import type { PeerSession } from './PeerSession.js';
import { Watcher, WatcherState, type WatcherLink } from './Watcher.js';

/** Why a spectator stopped watching. */
export type SpectatorLeaveReason = 'left' | 'behind' | 'error' | 'kicked' | 'server-closing';

/** A spectator came or went (`server.spectators$`). */
export type SpectatorEvent =
  | {
      /** A spectator began to watch. */
      readonly type: 'join';
      /** The name it watches as. */
      readonly username: string;
      /** Where it connects from, as its transport names it. */
      readonly address: string;
    }
  | {
      /** A spectator stopped watching. */
      readonly type: 'leave';
      /** The name it watched as. */
      readonly username: string;
      /** Why it stopped. */
      readonly reason: SpectatorLeaveReason;
      /** What happened, for people. */
      readonly message: string;
    };

/** What the spectators need from their server. */
export interface SpectatorsHost {
  readonly match: Match;
  readonly ctx: CodecContext;
  readonly options: ResolvedServerOptions;
  readonly warn: Warn;
  /** Frees the session and closes its connection (after what is queued). */
  readonly release: (session: PeerSession) => void;
  /** The room id its answer carries (when its request named a room). */
  readonly roomIdFor: (session: PeerSession) => string | undefined;
}

/**
 * Every spectator of the match. Frames go to them in rounds: after each turn of the event
 * loop that confirmed frames, and on each tick. A round sends each spectator what its
 * connection has room for, up to `spectatorDelayTicks` before the newest confirmed frame;
 * spectators at the same place share one encoding of the same CatchUp bytes. The match never
 * waits for a spectator: one that falls behind (`spectatorMaxLagMs`) is dropped alone.
 */
export class Spectators {
  /** Spectators coming and going. */
  readonly events$: Observable<SpectatorEvent>;
  private readonly subject = new Subject<SpectatorEvent>();
  private readonly watchers = new Map<PeerSession, Watcher>();
  /** Spectators' joins being authenticated: they hold a place. */
  private readonly pending = new Set<PeerSession>();
  private readonly cache = new CatchUpCache();
  private readonly maxLagTicks: number;
  private roundScheduled = false;
  private closed = false;

  constructor(private readonly host: SpectatorsHost) {
    this.events$ = this.subject.asObservable();
    const { options } = host;
    this.maxLagTicks = Math.ceil((options.spectatorMaxLagMs * options.tickRate) / 1000);
  }

  /** The names of the spectators watching now. */
  get names(): string[] {
    return [...this.watchers.values()].map((w) => w.username);
  }

  /** Whether one more spectator may join besides `session` (counting those authenticating). */
  hasRoom(session: PeerSession): boolean {
    const others = this.pending.size - (this.pending.has(session) ? 1 : 0);
    return this.watchers.size + others < this.host.options.maxSpectators;
  }

  /** `session` is authenticating as a spectator: its place is held until admitted or gone. */
  /** Whether a spectator's join from `session` is being authenticated. */
  isPending(session: PeerSession): boolean {
    return this.pending.has(session);
  }

  hold(session: PeerSession): void {
    this.pending.add(session);
  }

  /** Gives up the place held for `session` (refused, or gone). */
  unhold(session: PeerSession): void {
    this.pending.delete(session);
  }

  /**
   * Admits `session` as a spectator: WatchAccepted, then every frame from the match's first
   * kept tick (the same start as a late joiner's), then the live frames.
   */
  admit(session: PeerSession): void {
    this.pending.delete(session);
    session.watch();
    const username = session.username ?? '';
    const { match, options } = this.host;
    const start = match.catchUpStart();
    if (!start.complete)
      this.host.warn(
        'catch-up-incomplete',
        `spectator ${username} gets the frames from tick ${start.tick}: earlier ones are not kept and there is no snapshot`,
        { address: session.address },
      );
    session.send({
      type: MessageType.WatchAccepted,
      ...roomField(this.host.roomIdFor(session)),
      tickRate: options.tickRate,
      inputSize: options.inputSize,
      maxPlayers: options.maxPlayers,
      firstTick: start.tick,
      players: start.players,
      ...(start.snapshot ? { snapshot: start.snapshot.data } : {}),
      delayTicks: options.spectatorDelayTicks,
    });
    const sink = sinkOf(session);
    const link: WatcherLink = {
      get bufferedBytes() {
        return sink.bufferedBytes;
      },
      send: sink.send,
      caughtUp: (tick) => session.send({ type: MessageType.CaughtUp, tick }),
    };
    this.watchers.set(session, new Watcher(link, username, start.tick, this.maxLagTicks));
    this.subject.next({ type: 'join', username, address: session.address });
    this.scheduleRound();
  }

  /** Whether `session` is a spectator's. */
  has(session: PeerSession): boolean {
    return this.watchers.has(session);
  }

  /**
   * The spectator of `session` goes: told goodbye (unless it left), its connection released.
   * @returns false if it is no spectator's.
   */
  remove(session: PeerSession, reason: SpectatorLeaveReason, message: string): boolean {
    this.pending.delete(session);
    const watcher = this.watchers.get(session);
    if (watcher === undefined) return false;
    this.watchers.delete(session);
    if (reason !== 'left')
      session.send({
        type: MessageType.Goodbye,
        reason: reason === 'behind' ? 'error' : reason,
        message: message.slice(0, Limits.reasonLength),
      });
    this.host.release(session);
    this.subject.next({ type: 'leave', username: watcher.username, reason, message });
    return true;
  }

  /** `session` is being released by the server: if it was a spectator's, it left. */
  forget(session: PeerSession): void {
    this.pending.delete(session);
    const watcher = this.watchers.get(session);
    if (watcher === undefined) return;
    this.watchers.delete(session);
    this.subject.next({
      type: 'leave',
      username: watcher.username,
      reason: 'left',
      message: 'its connection closed',
    });
  }

  /** Drops the spectator watching as `username`. @returns false if there is none. */
  kick(username: string, message: string): boolean {
    for (const [session, w] of this.watchers)
      if (w.username === username) return this.remove(session, 'kicked', message);
    return false;
  }

  /** Frames were confirmed: a round at the end of this turn of the event loop. */
  onFrame(): void {
    this.scheduleRound();
  }

  /** The tick: a round (what a full connection could not take goes now, if it drained). */
  tick(): void {
    this.round();
  }

  /** Sends `msg`'s bytes to every spectator (chat, desync). */
  broadcast(bytes: Uint8Array): void {
    for (const session of this.watchers.keys()) session.sendBytes(bytes);
  }

  /** Says goodbye to every spectator; no more rounds. */
  close(): void {
    for (const session of [...this.watchers.keys()])
      this.remove(session, 'server-closing', 'server closing');
    this.pending.clear();
    this.closed = true;
    this.subject.complete();
  }

  private scheduleRound(): void {
    if (this.roundScheduled || this.closed) return;
    this.roundScheduled = true;
    setImmediate(() => {
      this.roundScheduled = false;
      this.round();
    });
  }

  /** Each spectator is sent what it has room for; those that fell behind are dropped. */
  private round(): void {
    if (this.closed || this.watchers.size === 0) return;
    const { match, ctx, options } = this.host;
    const until = match.head - options.spectatorDelayTicks;
    this.cache.clear();
    let more = false;
    for (const [session, watcher] of [...this.watchers]) {
      const state = watcher.pump(match.log, ctx, until, this.cache);
      if (state === WatcherState.Lost)
        this.remove(session, 'error', 'its frames are no longer kept');
      else if (state === WatcherState.Behind) {
        this.host.warn(
          'buffer-full',
          `spectator ${watcher.username} does not read its connection`,
          {
            address: session.address,
          },
        );
        this.remove(session, 'behind', 'fell behind the match: not reading its connection');
      } else if (
        state === WatcherState.More &&
        session.peer.messages.bufferedBytes < CATCH_UP_BACKLOG_BYTES
      )
        more = true;
    }
    this.cache.clear();
    // A catch-up goes on at the next turn while there is room (a full connection: the tick).
    if (more) this.scheduleRound();
  }
}

/** The optional `roomId` of an answer. */
export function roomField(roomId: string | undefined): { roomId?: string } {
  return roomId === undefined ? {} : { roomId };
}
