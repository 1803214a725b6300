// The seats by slot and their lifecycle: seated, reseated, away and back, dropped, removed.
import { RefuseReason, type GameNetworkError } from '../errors.js';
import type { ServerNetworkEvent } from '../events.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match, MatchEvent } from '../match/Match.js';
import { Limits, MessageType, type CodecContext } from '../protocol/index.js';
import type { PlayerStats } from '../stats.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo } from '../types.js';
import type { AbuseGuards } from './AbuseGuards.js';
import type { ResolvedServerOptions } from './options.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import { Seat, SeatState, newReconnectToken, type SeatHost } from './Seat.js';
import { roomField, type Spectators } from './Spectators.js';

/** What the seats work with: the match, the sessions, the spectators and the server's streams. */
export interface SeatsHost {
  /** The match the seats play in. */
  readonly match: Match;
  /** The codec's sizes. */
  readonly ctx: CodecContext;
  /** The server's options. */
  readonly options: ResolvedServerOptions;
  /** Warns on the server's `events$`. */
  readonly warn: Warn;
  /** A session released: it leaves the room's and the server's sessions. */
  readonly forget: (session: PeerSession) => void;
  /** The room id its answer carries (when its request named a room). */
  readonly roomIdFor: (session: PeerSession) => string | undefined;
  /** A seat was made (`made`) or removed: the room's occupancy changed. */
  readonly onSeatChange: (seat: Seat, made: boolean, session?: PeerSession) => void;
  /** Who watches (a released session is forgotten there). */
  readonly watching: Spectators;
  /** The abuse guards (timeouts count toward a backoff, stall shares). */
  readonly guards: AbuseGuards;
  /** Whether the server is closing. */
  readonly closing: () => boolean;
  /** Puts an event on the server's `events$`. */
  readonly event: (event: ServerNetworkEvent) => void;
  /** Puts a player's statistics on the server's `stats$`. */
  readonly onStats: (stats: PlayerStats) => void;
}

/** The seat of each slot, held, playing or away (it outlives its sessions), and what befalls it. */
export class Seats {
  /** The seat of each slot: held, playing or away; it outlives its sessions. */
  private readonly bySlot: (Seat | undefined)[];
  private readonly seatHost: SeatHost;
  private readonly match: Match;
  private readonly options: ResolvedServerOptions;
  private readonly warn: Warn;
  /** Why a player the server sent away is away, until the match says it is. */
  private readonly awayWhy = new Map<number, string>();
  /**
   * Players who left of their own accord while inputs of theirs were acknowledged but not
   * confirmed yet: by slot, the last such tick. They leave once it is confirmed.
   */
  private readonly leavingAfter = new Map<number, number>();
  /** Seats whose player said Ready while the join schedule was full: asked again each tick. */
  private readonly readyPending = new Set<Seat>();
  /** Seats whose catch-up goes on at the next turn of the event loop. */
  private readonly pumping = new Set<Seat>();
  /** Ticks of lead a player coming back gets before its inputs count (about 100 ms). */
  private readonly backLead: number;

  /** Seats for `host.options.maxPlayers` slots, all free. */
  constructor(private readonly host: SeatsHost) {
    const { match, options, warn } = host;
    this.match = match;
    this.options = options;
    this.warn = warn;
    this.bySlot = new Array<Seat | undefined>(options.maxPlayers);
    this.backLead = Math.max(2, Math.ceil(options.tickRate / 10));
    this.seatHost = {
      match,
      ctx: host.ctx,
      options,
      warn,
      onStats: host.onStats,
      onHeardAgain: (seat, frameAck) => this.onHeardAgain(seat, frameAck),
      onInputsAgain: (seat) => {
        if (seat.state === SeatState.Away && seat.session) this.comeBack(seat);
      },
    };
  }

  /** The seat of slot `playerId`, if any. */
  at(playerId: number): Seat | undefined {
    return this.bySlot[playerId];
  }

  /** How many seats are held (holding, playing or away). */
  get count(): number {
    let n = 0;
    for (const seat of this.bySlot) if (seat) n++;
    return n;
  }

  /** Every seat (held, playing or away), by slot. */
  *all(): Generator<Seat> {
    for (const seat of this.bySlot) if (seat) yield seat;
  }

  /**
   * The seats that have a connection now, in a new array (walked on every frame, flush and
   * tick: an array is several times cheaper to make and walk than a generator's steps).
   */
  connected(): Seat[] {
    const out: Seat[] = [];
    for (const seat of this.bySlot) if (seat?.session) out.push(seat);
    return out;
  }

  /** Closes every seat and frees every slot (the server is closing). */
  closeAll(): void {
    for (const seat of this.all()) {
      seat.close();
      this.host.onSeatChange(seat, false);
    }
    this.bySlot.fill(undefined);
  }

  /** Each tick: the players whose Ready waited for room in the join schedule are asked again. */
  tick(): void {
    for (const seat of [...this.readyPending]) this.tryReady(seat);
  }

  /** Each tick, after the stallers are dropped: every catch-up goes on. */
  pumpAll(): void {
    for (const seat of this.connected()) this.pump(seat);
  }

  /** A confirmed frame: the players it names as left are gone, those leaving after it leave. */
  onFrame(frame: ConfirmedFrame): void {
    if (frame.left) {
      for (const l of frame.left) {
        // The match timed it out (or its grace ended): tell the client and close.
        const seat = this.bySlot[l.playerId];
        if (!seat || seat.state === SeatState.Holding) continue;
        if (seat.session) this.drop(seat.session, l.reason, 'stalled the game', false);
        else this.removeSeat(seat, l.reason, 'away past the grace period', false);
      }
    }
    for (const [playerId, last] of this.leavingAfter) {
      if (frame.tick < last) continue;
      this.leavingAfter.delete(playerId);
      this.match.leave(playerId, 'left'); // at the next tick: this frame has its last input
    }
  }

  onClosed(session: PeerSession, error: GameNetworkError | undefined): void {
    if (error && error.name !== 'MessageTooLargeError')
      this.warn('socket-error', `connection failed: ${error.message}`, {
        playerId: session.playerId,
        address: session.address,
        error,
      });
    const seat = session.playing;
    if (seat === undefined || seat.session !== session) return this.release(session);
    if (error?.name === 'MessageTooLargeError' || seat.state === SeatState.Holding)
      return this.drop(session, 'error', error ? error.message : 'connection closed');
    // Its connection is lost, not its seat: away until it reconnects, or the grace ends.
    this.release(session);
    this.goAway(seat, error ? error.message : 'connection closed without a goodbye');
  }

  /** Refuses a join: `reason` to the client, and its session released. */
  refuse(session: PeerSession, reason: RefuseReason): void {
    this.warn('join-refused', `join refused: ${reason}`, { address: session.address });
    session.send({ type: MessageType.JoinRefused, reason });
    this.release(session);
  }

  /** The match holds a seat for the player: the answer, its frames, its datagram channel. */
  seat(session: PeerSession, playerId: number): void {
    const username = session.username ?? '';
    const seat = new Seat({ playerId, username }, this.seatHost);
    this.bySlot[playerId] = seat;
    session.play(seat);
    this.host.onSeatChange(seat, true, session); // the seat's session is attached below
    const start = this.match.catchUpStart();
    if (!start.complete)
      this.warn(
        'catch-up-incomplete',
        `player ${playerId} gets the frames from tick ${start.tick}: earlier ones are not kept and there is no snapshot`,
        { playerId },
      );
    this.accept(session, seat, start.tick, start.players, start.snapshot?.data);
  }

  /** JoinAccepted, then the frames from `firstTick` and the datagram channel. */
  private accept(
    session: PeerSession,
    seat: Seat,
    firstTick: number,
    players: readonly PlayerInfo[],
    snapshot: Uint8Array | undefined,
  ): void {
    session.send({
      type: MessageType.JoinAccepted,
      playerId: seat.playerId,
      tickRate: this.options.tickRate,
      inputSize: this.options.inputSize,
      maxPlayers: this.options.maxPlayers,
      reconnectToken: seat.token,
      firstTick,
      players,
      ...(snapshot ? { snapshot } : {}),
      ...roomField(this.host.roomIdFor(session)),
    });
    // The transport's signals follow the answer on the reliable channel.
    seat.attach(session, firstTick, (message) => this.lostChannel(seat, session, message));
    this.pump(seat);
  }

  /** A datagram channel that failed: the player is away (it may reconnect). */
  private lostChannel(seat: Seat, session: PeerSession, message: string): void {
    if (seat.session !== session) return;
    if (seat.state === SeatState.Holding) return this.drop(session, 'error', message);
    // No goodbye: the client sees its connection closed, and reconnects.
    this.release(session);
    this.goAway(seat, message);
  }

  /** A reconnect with `seat`'s token: the seat goes to `session`, with the frames after `lastTick`. */
  reseat(session: PeerSession, seat: Seat, lastTick: number): void {
    const log = this.match.log;
    let firstTick = lastTick + 1;
    let players = this.match.membersBefore(firstTick);
    let snapshot: Uint8Array | undefined;
    // With no grace there is no away state to come back from.
    if (this.options.reconnectGraceMs === 0) return this.refuse(session, RefuseReason.BadToken);
    if (firstTick > this.match.head) return this.refuse(session, RefuseReason.BadRequest);
    if (players === undefined || firstTick < log.firstTick) {
      // Its last frame is older than the log: it starts again from a snapshot.
      const start = this.match.catchUpStart();
      firstTick = start.tick;
      players = [...start.players];
      snapshot = start.snapshot?.data;
    }
    // The server had not noticed its connection go: away now, so the ticks until it is
    // seated again are substituted.
    if (seat.state === SeatState.Playing) this.goAway(seat, 'reconnected');
    const old = seat.session;
    if (old !== undefined) this.release(old);
    seat.token = newReconnectToken(); // single use: the one shown is dead from now on
    session.resume(seat);
    this.accept(session, seat, firstTick, players, snapshot);
    this.comeBack(seat); // seated again, a little ahead of the match
  }

  /** The player in `session`'s seat is ready: it joins the frames. */
  onReady(session: PeerSession): void {
    const seat = session.playing;
    if (seat?.state !== SeatState.Holding) {
      this.warn('unexpected-message', 'ready from a player already seated', {
        playerId: session.playerId,
        address: session.address,
      });
      return;
    }
    this.tryReady(seat);
  }

  private tryReady(seat: Seat): void {
    const joined = this.match.ready(seat.playerId);
    if (!joined.ok) {
      if (joined.reason === 'busy') this.readyPending.add(seat); // asked again each tick
      return;
    }
    this.readyPending.delete(seat);
    seat.state = SeatState.Playing;
    seat.seat(joined.tick);
  }

  /**
   * Removes a player from the match: a leave at the next tick to confirm (unless the match
   * itself decided it), a goodbye for the client, and the connection closed.
   */
  drop(session: PeerSession, reason: LeaveReason, message: string, tellMatch = true): void {
    if (session.state !== SessionState.Playing) return;
    const seat = session.leave();
    if (seat.session !== session) return this.release(session);
    if (reason !== 'left') {
      session.send({
        type: MessageType.Goodbye,
        reason,
        message: message.slice(0, Limits.reasonLength),
      });
    }
    this.release(session);
    this.removeSeat(seat, reason, message, tellMatch);
  }

  /** Drops the player in `seat`, whether it has a connection or not. */
  dropSeat(seat: Seat, reason: LeaveReason, message: string): void {
    if (seat.session !== undefined) return this.drop(seat.session, reason, message);
    this.removeSeat(seat, reason, message, true);
  }

  /** The seat is released; the match is told (a leave, or a held seat given back). */
  private removeSeat(seat: Seat, reason: LeaveReason, message: string, tellMatch: boolean): void {
    if (this.bySlot[seat.playerId] !== seat || seat.state === SeatState.Gone) return;
    const { player } = seat;
    const wasHeld = seat.state === SeatState.Holding;
    const lastInput = seat.link.received;
    const startTick = seat.startTick ?? Infinity;
    if (reason === 'timeout') this.host.guards.timedOut(player.username, seat.session?.address);
    seat.close();
    this.readyPending.delete(seat);
    this.bySlot[seat.playerId] = undefined;
    this.host.onSeatChange(seat, false);
    if (reason !== 'left' && !wasHeld)
      this.host.event({ type: 'drop', ...player, reason, message });
    if (!tellMatch) return;
    if (wasHeld) return this.match.release(player.playerId);
    // Inputs it was told the server has are confirmed before its leave takes effect.
    if (reason === 'left' && lastInput >= Math.max(this.match.head, startTick))
      this.leavingAfter.set(player.playerId, lastInput);
    else this.match.leave(player.playerId, reason);
  }

  /** Frees everything a session holds (its seat is kept: see `removeSeat`). */
  release(session: PeerSession): void {
    session.release();
    this.host.forget(session);
    this.host.watching.forget(session);
  }

  /** The player is away (or the match made it so): its frames wait for its return. */
  goAway(seat: Seat, why: string): void {
    if (seat.state !== SeatState.Playing) return;
    if (this.options.reconnectGraceMs === 0) {
      // No away state: it leaves now.
      return this.dropSeat(seat, 'timeout', why);
    }
    this.awayWhy.set(seat.playerId, why);
    this.match.away(seat.playerId); // the 'away' event does the rest
  }

  /** What the match decided of a player: not ready in time, away, or back. */
  onMatchEvent(event: MatchEvent): void {
    const seat = this.bySlot[event.playerId];
    if (!seat) return;
    const { player } = seat;
    switch (event.type) {
      case 'ready-timeout':
        if (seat.session)
          seat.session.send({
            type: MessageType.Goodbye,
            reason: 'ready-timeout',
            message: `not ready within ${this.options.readyTimeoutMs} ms`,
          });
        if (seat.session) this.release(seat.session);
        this.removeSeat(seat, 'timeout', 'not ready in time', false);
        return;
      case 'away':
        seat.state = SeatState.Away;
        seat.pause();
        this.host.event({
          type: 'away',
          ...player,
          tick: event.tick,
          message: this.awayWhy.get(player.playerId) ?? 'stalled the match',
        });
        this.awayWhy.delete(player.playerId);
        return;
      case 'back':
        this.host.event({ type: 'back', ...player, tick: event.tick });
        return;
    }
  }

  /**
   * An away player's datagrams come again (its connection held): its frames resume, from a
   * catch-up of those it missed; it is back in the match once it sends new inputs.
   */
  private onHeardAgain(seat: Seat, frameAck: number): void {
    if (seat.state !== SeatState.Away || seat.session === undefined) return;
    if (frameAck + 1 < this.match.log.firstTick)
      return this.dropSeat(seat, 'error', 'its frames are no longer kept');
    seat.catchUpFrom(Math.min(frameAck + 1, this.match.head));
    this.pump(seat);
  }

  /** An away player with a connection: its inputs count again a little ahead of the head. */
  private comeBack(seat: Seat): void {
    const tick = this.match.back(seat.playerId, this.match.head + this.backLead);
    if (tick === undefined) return;
    seat.state = SeatState.Playing;
    seat.seat(tick);
  }

  /** Drops the players who stall the others more than their share (issue 18). */
  dropStallers(): void {
    for (const { playerId, message } of this.host.guards.stallers(this.match.head, this.all())) {
      const seat = this.bySlot[playerId];
      if (!seat) continue;
      this.warn('lockstep', `player ${playerId} ${message}`, { playerId });
      this.dropSeat(seat, 'timeout', message);
    }
  }

  /**
   * Sends what the connection has room for of a seat's catch-up, a few messages per turn of
   * the event loop (the next turn goes on while there is room; the tick, once it drains).
   */
  private pump(seat: Seat): void {
    if (!seat.catchingUp || seat.session === undefined) return;
    if (!seat.pumpCatchUp()) return this.dropSeat(seat, 'error', 'its frames are no longer kept');
    if (seat.catchUpHasRoom && !this.pumping.has(seat)) {
      this.pumping.add(seat);
      setImmediate(() => {
        this.pumping.delete(seat);
        if (!this.host.closing()) this.pump(seat);
      });
    }
  }
}
