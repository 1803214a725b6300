// The server's facade: one match, its sessions, its streams and the methods the application calls.
import {
  Subject,
  asyncScheduler,
  filter,
  map,
  merge,
  type Observable,
  type Subscription,
} from 'rxjs';
import { join } from 'node:path';
import { recordReplayFile, type ReplayFileRecording } from '../replay/recordReplayFile.js';
import type { ReplayReport } from '../replay/types.js';
import { RefuseReason, type GameNetworkError, type MessageTooLargeError } from '../errors.js';
import type {
  AwayEvent,
  BackEvent,
  DesyncEvent,
  ServerNetworkEvent,
  SnapshotEvent,
  WarningCode,
  WarningEvent,
  DropEvent,
} from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import { Match, type MatchEvent } from '../match/Match.js';
import {
  Limits,
  MessageType,
  encodeMessage,
  type CodecContext,
  type CatchUpFrames,
  type ServerTcpMessage,
} from '../protocol/index.js';
import type { PlayerStats } from '../stats.js';
import type { MessageListener } from '../transport/Transport.js';
import type {
  ChatMessage,
  ConfirmedFrame,
  LeaveReason,
  PlayerEvent,
  PlayerInfo,
} from '../types.js';
import { FrameFanout } from './FrameFanout.js';
import { Gateway } from './Gateway.js';
import type { JoinDesk } from './joinHandshake.js';
import { onReliableMessage, type ReliableHost } from './reliableMessages.js';
import { ChatBudget } from './ChatBudget.js';
import { lateTimerScheduler } from './lateTimerScheduler.js';
import { StallShare } from './StallShare.js';
import { TimeoutBackoff } from './TimeoutBackoff.js';
import { maxTcpBacklog, type ResolvedServerOptions, type ServerAddress } from './options.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';
import { Seat, SeatState, newReconnectToken, type SeatHost } from './Seat.js';
import { Spectators, type SpectatorEvent } from './Spectators.js';
import { handleWatch } from './watchHandshake.js';

/** A timer this late (ms) means the server itself stalled: timeouts wait for queued input. */
const LATE_MS = 250;

/** The typed-emitter events of a server: the streams, for code that does not use RxJS. */
export type ServerEvents = {
  /** Each value of `frames$`. */
  frame: (frame: ConfirmedFrame) => void;
  /** Each value of `players$`. */
  player: (event: PlayerEvent) => void;
  /** Each value of `chat$`. */
  chat: (message: ChatMessage) => void;
  /** Each warning of `events$`. */
  warning: (event: WarningEvent) => void;
  /** Each drop of `events$`. */
  drop: (event: DropEvent) => void;
  /** A desync, as in `events$`. */
  desync: (event: DesyncEvent) => void;
  /** Each snapshot of `events$`. */
  snapshot: (event: SnapshotEvent) => void;
  away: (event: AwayEvent) => void;
  back: (event: BackEvent) => void;
  /** Each value of `stats$`. */
  stats: (stats: PlayerStats) => void;
  /** The server has closed. */
  close: () => void;
};

/**
 * A running lockstep server: one match, a session per connection, a seat per player. Made
 * by `createServer`.
 */
export class GameServer extends typedEmitter<ServerEvents>() {
  /** Where the server listens (ports resolved when 0 was asked). */
  readonly address: ServerAddress;
  /** Confirmed frames, in tick order, each once (the same frames every client gets). */
  readonly frames$: Observable<ConfirmedFrame>;
  /** Joins and leaves, as they take effect in the frame stream. */
  readonly players$: Observable<PlayerEvent>;
  /** Chat messages from players. */
  readonly chat$: Observable<ChatMessage>;
  /** Warnings (bad input, refused joins, ...), drops, desyncs and snapshots. */
  readonly events$: Observable<ServerNetworkEvent>;
  /** Each player's network statistics, about once every `statsIntervalMs` (default a second). */
  readonly stats$: Observable<PlayerStats>;
  /** Spectators coming and going (`connect({ spectate: true })`): who watches the match. */
  readonly spectators$: Observable<SpectatorEvent>;

  /** Ticks per second (the `tickRate` option). */
  readonly tickRate: number;
  /** Bytes in one player's input for one tick (the `inputSize` option). */
  readonly inputSize: number;
  /** Player slots (the `maxPlayers` option). */
  readonly maxPlayers: number;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly playersSubject = new Subject<PlayerEvent>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<ServerNetworkEvent>();
  private readonly statsSubject = new Subject<PlayerStats>();

  private readonly match: Match;
  /** What the join handshake works with. */
  private readonly desk: JoinDesk;
  /** What the messages of the reliable channel act on. */
  private readonly reliable: ReliableHost;
  private readonly seatHost: SeatHost;
  private readonly gateway: Gateway;
  private readonly sessions = new Set<PeerSession>();
  /** The seat of each slot: held, playing or away; it outlives its sessions. */
  private readonly bySlot: (Seat | undefined)[];
  private readonly ctx: CodecContext;
  private readonly subs: Subscription[] = [];
  private readonly tickTimer: ReturnType<typeof setInterval>;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  /** Why a player the server sent away is away, until the match says it is. */
  private readonly awayWhy = new Map<number, string>();
  private readonly fanout: FrameFanout;
  /** Who watches: their frames, never in a player's window, never waited for. */
  private readonly watching: Spectators;
  /** Repeated timeouts by account and address (issue 18). */
  private readonly backoff = new TimeoutBackoff(asyncScheduler);
  /** Each player's share of the time it stalls the others. */
  private readonly stallShare: StallShare;
  /** Each player's chat budget (issue 18). */
  private readonly chatBudgets = new WeakMap<Seat, ChatBudget>();
  /** Unread bytes past which a player is dropped as not reading its connection. */
  private readonly maxBacklog: number;
  /**
   * Players who left of their own accord while inputs of theirs were acknowledged but not
   * confirmed yet: by slot, the last such tick. They leave once it is confirmed.
   */
  private readonly leavingAfter = new Map<number, number>();
  /** Seats whose player said Ready while the join schedule was full: asked again each tick. */
  private readonly readyPending = new Set<Seat>();
  /** The snapshot asked for and not given yet: its tick and who was asked. */
  private snapshotAsked:
    { readonly tick: number; readonly playerId: number | undefined } | undefined;
  /** Seats whose catch-up goes on at the next turn of the event loop. */
  private readonly pumping = new Set<Seat>();
  /** Ticks of lead a player coming back gets before its inputs count (about 100 ms). */
  private readonly backLead: number;
  private closing: Promise<void> | undefined;
  /** When the tick timer last fired (to notice a stall of the server itself). */
  private lastTickAt = Date.now();
  /** The replay file being written (option `recordReplays`). */
  private readonly recording: ReplayFileRecording | undefined;

  /** @internal Use `createServer`. */
  constructor(
    listener: MessageListener,
    private readonly options: ResolvedServerOptions,
  ) {
    super();
    this.tickRate = options.tickRate;
    this.inputSize = options.inputSize;
    this.maxPlayers = options.maxPlayers;
    this.ctx = { inputSize: options.inputSize, maxPlayers: options.maxPlayers };
    this.bySlot = new Array<Seat | undefined>(options.maxPlayers);
    this.address = { host: options.host, ...listener.address };
    this.backLead = Math.max(2, Math.ceil(options.tickRate / 10));
    this.maxBacklog = maxTcpBacklog(options);
    this.stallShare = new StallShare(
      options.stallShareWindowMs,
      options.maxStallShare,
      LATE_MS,
      asyncScheduler,
    );

    this.frames$ = this.framesSubject.asObservable();
    this.players$ = this.playersSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.stats$ = this.statsSubject.asObservable();

    this.match = new Match({
      maxPlayers: options.maxPlayers,
      inputSize: options.inputSize,
      maxTicksAhead: options.maxTicksAhead,
      disconnectTimeoutMs: options.disconnectTimeoutMs,
      readyTimeoutMs: options.readyTimeoutMs,
      reconnectGraceMs: options.reconnectGraceMs,
      substituteInput: options.substituteInput,
      frameLogBytes: options.frameLogBytes,
      // After a stall of the server itself, queued inputs are read before any timeout.
      scheduler: lateTimerScheduler(LATE_MS),
      lateInputMs: options.lateInputMs, // issue 15
    });
    this.recording = this.recordReplay(options);
    this.subs.push(
      this.match.frames$.subscribe((frame) => this.onFrame(frame)),
      this.match.desync$.subscribe((event) => this.onDesync(event)),
      this.match.events$.subscribe((event) => this.onMatchEvent(event)),
      this.match.warnings$.subscribe((w) => {
        const code: WarningCode = w.code === 'too-far-ahead' ? 'input-too-far-ahead' : 'lockstep';
        this.warn(code, w.message, { playerId: w.playerId });
      }),
    );

    this.seatHost = {
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      onStats: (st) => this.statsSubject.next(st),
      onHeardAgain: (seat, frameAck) => this.onHeardAgain(seat, frameAck),
      onInputsAgain: (seat) => {
        if (seat.state === SeatState.Away && seat.session) this.comeBack(seat);
      },
    };

    this.watching = new Spectators({
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      release: (session) => this.release(session),
    });
    this.spectators$ = this.watching.events$;

    this.desk = {
      options,
      match: this.match,
      sessions: this.sessions,
      closing: () => this.closing !== undefined,
      warn: this.warn,
      refuse: (session, reason) => this.refuse(session, reason),
      seat: (session, playerId) => this.seat(session, playerId),
      reseat: (session, seat, lastTick) => this.reseat(session, seat, lastTick),
      seats: () => this.allSeats(),
      backoff: this.backoff,
    };

    this.reliable = {
      desk: this.desk,
      match: this.match,
      warn: this.warn,
      refuse: (session, reason) => this.refuse(session, reason),
      drop: (session, reason, message) => this.drop(session, reason, message),
      release: (session) => this.release(session),
      chat: (from, text) => {
        this.chatSubject.next({ from, text });
        this.broadcast({ type: MessageType.ChatBroadcast, from, text });
      },
      chatBudget: (seat) => {
        let budget = this.chatBudgets.get(seat);
        if (!budget)
          this.chatBudgets.set(seat, (budget = new ChatBudget(options.chatBudget, asyncScheduler)));
        return budget;
      },
      snapshot: (event) => this.eventsSubject.next(event),
      ready: (session) => this.onReady(session),
      snapshotOffer: (session, tick, data) => this.onSnapshotOffer(session, tick, data),
      watch: (session, ask) => handleWatch(this.desk, this.watching, session, ask),
      spectatorChat: (session, text) => this.onSpectatorChat(session, text),
    };

    const handlers: SessionHandlers = {
      onMessage: (session, bytes) => onReliableMessage(this.reliable, session, bytes),
      onClosed: (session, error) => this.onClosed(session, error),
      onTooLarge: (session, error: MessageTooLargeError) =>
        this.warn('message-too-large', error.message, {
          playerId: session.playerId,
          address: session.address,
          error,
        }),
    };
    this.gateway = new Gateway(listener, {
      maxPendingJoins: options.maxPendingJoins,
      maxPendingJoinsPerAddress: options.maxPendingJoinsPerAddress,
      joinTimeoutMs: options.joinTimeoutMs,
      sessions: this.sessions,
      closing: () => this.closing !== undefined,
      admit: (session) => this.sessions.add(session),
      onJoinTimeout: (session) => {
        this.backoff.timedOut(`addr:${session.address}`);
        this.release(session);
      },
      handlers,
      warn: this.warn,
    });

    this.fanout = new FrameFanout({
      seats: () => this.connectedSeats(),
      disconnectTimeoutMs: options.disconnectTimeoutMs,
      onWindowFull: (seat) => {
        if (seat.state === SeatState.Away) return seat.pause(); // a catch-up when heard again
        if (seat.state !== SeatState.Playing) return;
        this.warn(
          'buffer-full',
          `player ${seat.playerId} acknowledged no frame for ${options.maxUnackedFrames} frames`,
          { playerId: seat.playerId },
        );
        this.goAway(seat, 'frames not acknowledged');
      },
      onSilent: (seat) => {
        if (seat.state === SeatState.Playing)
          this.goAway(seat, `nothing heard for ${options.disconnectTimeoutMs} ms`);
        else if (seat.state === SeatState.Away && !seat.isPaused) seat.pause();
      },
    });
    this.tickTimer = setInterval(() => this.onTick(), 1000 / options.tickRate);
    this.statsTimer = setInterval(() => this.takeSamples(), options.statsIntervalMs);

    // Mirror the streams on the emitter.
    this.framesSubject.subscribe((f) => this.emit('frame', f));
    this.playersSubject.subscribe((p) => this.emit('player', p));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.statsSubject.subscribe((st) => this.emit('stats', st));
    this.eventsSubject.subscribe((e) => {
      if (e.type === 'warning') this.emit('warning', e);
      else if (e.type === 'drop') this.emit('drop', e);
      else if (e.type === 'desync') this.emit('desync', e);
      else if (e.type === 'away') this.emit('away', e);
      else if (e.type === 'back') this.emit('back', e);
      else this.emit('snapshot', e);
    });
  }

  /** The players in the match now (joined in a confirmed frame or about to be, not gone). */
  get players(): PlayerInfo[] {
    return this.match.players;
  }

  /** The names of the spectators watching now. */
  get spectators(): string[] {
    return this.watching.names;
  }

  /**
   * Drops a spectator: its connection is closed with `message` (a `leave` on `spectators$`
   * with reason `kicked`). The match does not notice.
   * @returns false if nobody watches as `username`.
   */
  kickSpectator(username: string, message = 'kicked by the server'): boolean {
    return this.watching.kick(username, message);
  }

  /** The replay file this server writes (option `recordReplays`), if any. */
  get replayPath(): string | undefined {
    return this.recording?.path;
  }

  /** The desync found, if any (the first tick whose checksums differ). */
  get desyncDetected(): DesyncEvent | undefined {
    return this.match.desync;
  }

  /**
   * Sends opaque world-state bytes to one player over its datagram channel. Latest wins:
   * the client keeps only the newest it receives, and one may be lost. At most 1100 bytes.
   * @returns false if there is no such player (or it has no connection now).
   */
  sendWorldState(playerId: number, bytes: Uint8Array): boolean {
    if (bytes.length > Limits.maxWorldStateBytes)
      throw new RangeError(`world state is over ${Limits.maxWorldStateBytes} bytes`);
    const seat = this.bySlot[playerId];
    if (!seat?.session) return false;
    seat.sendWorldState(bytes);
    return true;
  }

  /** Sends a chat line to every player, from `from` (default `'server'`). */
  broadcastChat(text: string, from = 'server'): void {
    if (text.length > Limits.chatLength)
      throw new RangeError(`chat is over ${Limits.chatLength} characters`);
    this.broadcast({
      type: MessageType.ChatBroadcast,
      from: from.slice(0, Limits.usernameLength),
      text,
    });
  }

  /**
   * Drops a player: it leaves at the next tick to confirm (named in that frame's `left`
   * with reason `kicked`), and its connection, if it has one, is closed with `message`.
   * @returns false if there is no such player.
   */
  kick(playerId: number, message = 'kicked by the server'): boolean {
    const seat = this.bySlot[playerId];
    if (!seat || seat.state === SeatState.Gone) return false;
    this.dropSeat(seat, 'kicked', message);
    return true;
  }

  /** Whether player `playerId` is away now (its input substituted in the frames). */
  isAway(playerId: number): boolean {
    return this.bySlot[playerId]?.state === SeatState.Away;
  }

  /** Tells every client the server is closing, closes every socket, completes every stream. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    clearInterval(this.tickTimer);
    clearInterval(this.statsTimer);
    this.fanout.stop();
    this.watching.close();
    for (const session of [...this.sessions]) {
      if (session.state === SessionState.Playing)
        session.send({
          type: MessageType.Goodbye,
          reason: 'server-closing',
          message: 'server closing',
        });
      else if (session.state !== SessionState.Gone)
        session.send({ type: MessageType.JoinRefused, reason: RefuseReason.ServerClosing });
      this.release(session);
    }
    for (const seat of this.allSeats()) seat.close();
    this.bySlot.fill(undefined);
    for (const s of this.subs) s.unsubscribe();
    this.match.close(); // completes the match's frames: the replay file gets its End chunk
    if (this.recording)
      await this.recording.closed.catch((err: unknown) =>
        this.warn('socket-error', `replay file ${this.recording?.path}: ${String(err)}`),
      );
    await this.gateway.close();
    this.framesSubject.complete();
    this.playersSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.statsSubject.complete();
    this.emit('close');
  }

  // ------------------------------------------------------------------------------------
  // The reliable channel: the join handshake, ready, reconnects, chat, signals, leaving.

  private onClosed(session: PeerSession, error: GameNetworkError | undefined): void {
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

  private refuse(session: PeerSession, reason: RefuseReason): void {
    this.warn('join-refused', `join refused: ${reason}`, { address: session.address });
    session.send({ type: MessageType.JoinRefused, reason });
    this.release(session);
  }

  /** The match holds a seat for the player: the answer, its frames, its datagram channel. */
  private seat(session: PeerSession, playerId: number): void {
    const username = session.username ?? '';
    const seat = new Seat({ playerId, username }, this.seatHost);
    this.bySlot[playerId] = seat;
    session.play(seat);
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
      tickRate: this.tickRate,
      inputSize: this.inputSize,
      maxPlayers: this.maxPlayers,
      reconnectToken: seat.token,
      firstTick,
      players,
      ...(snapshot ? { snapshot } : {}),
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
  private reseat(session: PeerSession, seat: Seat, lastTick: number): void {
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
  private onReady(session: PeerSession): void {
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
  private drop(session: PeerSession, reason: LeaveReason, message: string, tellMatch = true): void {
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
  private dropSeat(seat: Seat, reason: LeaveReason, message: string): void {
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
    if (reason === 'timeout') {
      this.backoff.timedOut(`user:${player.username.toLowerCase()}`);
      if (seat.session) this.backoff.timedOut(`addr:${seat.session.address}`);
    }
    seat.close();
    this.readyPending.delete(seat);
    this.bySlot[seat.playerId] = undefined;
    if (reason !== 'left' && !wasHeld)
      this.eventsSubject.next({ type: 'drop', ...player, reason, message });
    if (!tellMatch) return;
    if (wasHeld) return this.match.release(player.playerId);
    // Inputs it was told the server has are confirmed before its leave takes effect.
    if (reason === 'left' && lastInput >= Math.max(this.match.head, startTick))
      this.leavingAfter.set(player.playerId, lastInput);
    else this.match.leave(player.playerId, reason);
  }

  /** Frees everything a session holds (its seat is kept: see `removeSeat`). */
  private release(session: PeerSession): void {
    session.release();
    this.sessions.delete(session);
    this.watching.forget(session);
  }

  /** A spectator's chat line: to the players (and spectators) if `spectatorChat`, else a warning. */
  private onSpectatorChat(session: PeerSession, text: string): void {
    const from = session.username ?? '';
    if (!this.options.spectatorChat)
      return this.warn('unexpected-message', `chat from spectator ${from}: spectatorChat is off`, {
        address: session.address,
      });
    this.chatSubject.next({ from, text });
    this.broadcast({ type: MessageType.ChatBroadcast, from, text });
  }

  private broadcast(msg: Exclude<ServerTcpMessage, CatchUpFrames>): void {
    const bytes = encodeMessage(msg);
    this.watching.broadcast(bytes);
    for (const seat of this.connectedSeats()) {
      const session = seat.session!;
      if (!session.sendBytes(bytes, this.maxBacklog) && !seat.catchingUp) {
        this.warn('buffer-full', `player ${seat.playerId} does not read its TCP connection`, {
          playerId: seat.playerId,
          address: session.address,
        });
        this.drop(session, 'error', 'not reading its connection');
      }
    }
  }

  // ------------------------------------------------------------------------------------
  // Away and back.

  /** The player is away (or the match made it so): its frames wait for its return. */
  private goAway(seat: Seat, why: string): void {
    if (seat.state !== SeatState.Playing) return;
    if (this.options.reconnectGraceMs === 0) {
      // No away state: it leaves now.
      return this.dropSeat(seat, 'timeout', why);
    }
    this.awayWhy.set(seat.playerId, why);
    this.match.away(seat.playerId); // the 'away' event does the rest
  }

  private onMatchEvent(event: MatchEvent): void {
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
        this.eventsSubject.next({
          type: 'away',
          ...player,
          tick: event.tick,
          message: this.awayWhy.get(player.playerId) ?? 'stalled the match',
        });
        this.awayWhy.delete(player.playerId);
        return;
      case 'back':
        this.eventsSubject.next({ type: 'back', ...player, tick: event.tick });
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

  // ------------------------------------------------------------------------------------
  // Snapshots for late joiners of long matches.

  private onSnapshotOffer(session: PeerSession, tick: number, data: Uint8Array): void {
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
  private maybeAskSnapshot(): void {
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
    for (const seat of this.connectedSeats()) {
      if (seat.state !== SeatState.Playing || !seat.live) continue;
      this.snapshotAsked = { tick, playerId: seat.playerId };
      seat.session!.send({ type: MessageType.SnapshotRequest, tick });
      return;
    }
  }

  /** After frame `tick - 1` went out: the server-side simulation's snapshot, if asked. */
  private serverSnapshot(frameTick: number): void {
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

  // ------------------------------------------------------------------------------------
  // Frames out.

  private onTick(): void {
    const now = Date.now();
    const late = now - this.lastTickAt > LATE_MS;
    this.lastTickAt = now;
    // A tick long after the last (the server stalled): the datagrams queued meanwhile are
    // read before anyone is found silent, at the next turn of the event loop.
    if (late)
      setImmediate(() => {
        if (this.closing === undefined) this.fanout.tick();
      });
    else this.fanout.tick();
    this.watching.tick();
    for (const seat of [...this.readyPending]) this.tryReady(seat);
    this.dropStallers();
    for (const seat of this.connectedSeats()) this.pump(seat);
  }

  /** Drops the players who stall the others more than their share (issue 18). */
  private dropStallers(): void {
    const head = this.match.head;
    const samples = [];
    for (const seat of this.allSeats())
      if (seat.state === SeatState.Playing && (seat.startTick ?? Infinity) <= head)
        samples.push({ playerId: seat.playerId, received: seat.link.received });
    for (const id of this.stallShare.tick(head, samples)) {
      const seat = this.bySlot[id];
      if (!seat) continue;
      const { maxStallShare, stallShareWindowMs } = this.options;
      const message = `stalled the others over ${Math.round(maxStallShare * 100)}% of ${stallShareWindowMs} ms`;
      this.warn('lockstep', `player ${id} ${message}`, { playerId: id });
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
        if (this.closing === undefined) this.pump(seat);
      });
    }
  }

  private onFrame(frame: ConfirmedFrame): void {
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
    this.fanout.push(frame);
    this.watching.onFrame();
    this.framesSubject.next(frame);
    this.serverSnapshot(frame.tick);
    if (frame.joined)
      for (const p of frame.joined)
        this.playersSubject.next({ type: 'join', tick: frame.tick, player: p });
    if (frame.left)
      for (const p of frame.left)
        this.playersSubject.next({
          type: 'leave',
          tick: frame.tick,
          player: { playerId: p.playerId, username: p.username },
          reason: p.reason,
        });
    this.maybeAskSnapshot();
  }

  /** Records every frame, accepted checksum, desync and snapshot of the match to a file. */
  private recordReplay(options: ResolvedServerOptions): ReplayFileRecording | undefined {
    const record = options.recordReplays;
    if (record === undefined) return undefined;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `match-${stamp}-${Math.random().toString(36).slice(2, 8)}.gnreplay`;
    const reports$: Observable<ReplayReport> = merge(
      this.match.checksums$.pipe(map((c) => ({ type: 'checksum' as const, ...c }))),
      this.match.desync$,
      this.events$.pipe(filter((e): e is SnapshotEvent => e.type === 'snapshot')),
    );
    const recording = recordReplayFile(this.match.frames$, join(record.dir, name), {
      tickRate: options.tickRate,
      inputSize: options.inputSize,
      maxPlayers: options.maxPlayers,
      ...(record.metadata === undefined ? {} : { metadata: record.metadata }),
      reports$,
    });
    recording.closed.catch((err: unknown) =>
      this.warn('socket-error', `replay file ${recording.path}: ${String(err)}`),
    );
    return recording;
  }

  private onDesync(event: DesyncEvent): void {
    this.eventsSubject.next(event);
    this.broadcast({ type: MessageType.Desync, tick: event.tick, checksums: event.checksums });
  }

  private takeSamples(): void {
    for (const seat of this.connectedSeats()) seat.sample();
  }

  /** Every seat (held, playing or away), by slot. */
  private *allSeats(): Generator<Seat> {
    for (const seat of this.bySlot) if (seat) yield seat;
  }

  /** The seats that have a connection now. */
  private *connectedSeats(): Generator<Seat> {
    for (const seat of this.bySlot) if (seat?.session) yield seat;
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}
