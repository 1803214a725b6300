// The server's facade: one match, its sessions, its streams and the methods the application calls.
import { asyncScheduler, type Observable, type Subscription } from 'rxjs';
import type { ReplayFileRecording } from '../replay/recordReplayFile.js';
import { RefuseReason, type MessageTooLargeError } from '../errors.js';
import type { DesyncEvent, ServerNetworkEvent, WarningCode } from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import { Match } from '../match/Match.js';
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
import type { ChatMessage, ConfirmedFrame, PlayerEvent, PlayerInfo } from '../types.js';
import { AbuseGuards } from './AbuseGuards.js';
import { FrameFanout } from './FrameFanout.js';
import { Gateway } from './Gateway.js';
import type { JoinDesk } from './joinHandshake.js';
import { onReliableMessage, type ReliableHost } from './reliableMessages.js';
import { lateTimerScheduler } from './lateTimerScheduler.js';
import type { ResolvedServerOptions, ServerAddress } from './options.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';
import { SeatState } from './Seat.js';
import { Seats } from './Seats.js';
import { recordServerReplay } from './serverReplay.js';
import { ServerSnapshots } from './ServerSnapshots.js';
import { ServerStreams, type ServerEvents } from './ServerStreams.js';
import { Spectators, type SpectatorEvent } from './Spectators.js';
import { TickLoop } from './TickLoop.js';
import { handleWatch } from './watchHandshake.js';

/** A timer this late (ms) means the server itself stalled: timeouts wait for queued input. */
const LATE_MS = 250;

export type { ServerEvents } from './ServerStreams.js';

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

  private readonly streams = new ServerStreams();
  private readonly match: Match;
  /** What the join handshake works with. */
  private readonly desk: JoinDesk;
  /** What the messages of the reliable channel act on. */
  private readonly reliable: ReliableHost;
  private readonly gateway: Gateway;
  private readonly sessions = new Set<PeerSession>();
  /** The seat of each slot: held, playing or away; it outlives its sessions. */
  private readonly seats: Seats;
  private readonly ctx: CodecContext;
  private readonly subs: Subscription[] = [];
  private readonly tickLoop: TickLoop;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private readonly fanout: FrameFanout;
  /** Who watches: their frames, never in a player's window, never waited for. */
  private readonly watching: Spectators;
  /** Timeout backoff, stall shares, chat budgets, backlog (issue 18). */
  private readonly guards: AbuseGuards;
  /** The snapshots asked for late joiners of long matches. */
  private readonly snapshots: ServerSnapshots;
  private closing: Promise<void> | undefined;
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
    this.address = { host: options.host, ...listener.address };
    this.guards = new AbuseGuards(options, LATE_MS, asyncScheduler);

    this.frames$ = this.streams.frames.asObservable();
    this.players$ = this.streams.players.asObservable();
    this.chat$ = this.streams.chat.asObservable();
    this.events$ = this.streams.events.asObservable();
    this.stats$ = this.streams.stats.asObservable();

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
    this.recording = recordServerReplay(this.match, options, this.events$, this.warn);
    this.subs.push(
      this.match.frames$.subscribe((frame) => this.onFrame(frame)),
      this.match.desync$.subscribe((event) => this.onDesync(event)),
      this.match.events$.subscribe((event) => this.seats.onMatchEvent(event)),
      this.match.warnings$.subscribe((w) => {
        const code: WarningCode = w.code === 'too-far-ahead' ? 'input-too-far-ahead' : 'lockstep';
        this.warn(code, w.message, { playerId: w.playerId });
      }),
    );

    this.watching = new Spectators({
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      release: (session) => this.seats.release(session),
    });
    this.spectators$ = this.watching.events$;

    this.seats = new Seats({
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      sessions: this.sessions,
      watching: this.watching,
      guards: this.guards,
      closing: () => this.closing !== undefined,
      event: (event) => this.streams.events.next(event),
      onStats: (st) => this.streams.stats.next(st),
    });
    this.snapshots = new ServerSnapshots(this.match, options, this.seats, this.warn);

    this.desk = {
      options,
      match: this.match,
      sessions: this.sessions,
      closing: () => this.closing !== undefined,
      warn: this.warn,
      refuse: (session, reason) => this.seats.refuse(session, reason),
      seat: (session, playerId) => this.seats.seat(session, playerId),
      reseat: (session, seat, lastTick) => this.seats.reseat(session, seat, lastTick),
      seats: () => this.seats.all(),
      backoff: this.guards.backoff,
    };

    this.reliable = {
      desk: this.desk,
      match: this.match,
      warn: this.warn,
      refuse: (session, reason) => this.seats.refuse(session, reason),
      drop: (session, reason, message) => this.seats.drop(session, reason, message),
      release: (session) => this.seats.release(session),
      chat: (from, text) => {
        this.streams.chat.next({ from, text });
        this.broadcast({ type: MessageType.ChatBroadcast, from, text });
      },
      chatBudget: (seat) => this.guards.chatBudget(seat),
      snapshot: (event) => this.streams.events.next(event),
      ready: (session) => this.seats.onReady(session),
      snapshotOffer: (session, tick, data) => this.snapshots.onSnapshotOffer(session, tick, data),
      watch: (session, ask) => handleWatch(this.desk, this.watching, session, ask),
      spectatorChat: (session, text) => this.onSpectatorChat(session, text),
    };

    const handlers: SessionHandlers = {
      onMessage: (session, bytes) => onReliableMessage(this.reliable, session, bytes),
      onClosed: (session, error) => this.seats.onClosed(session, error),
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
        this.guards.joinTimedOut(session.address);
        this.seats.release(session);
      },
      handlers,
      warn: this.warn,
    });

    this.fanout = new FrameFanout({
      seats: () => this.seats.connected(),
      disconnectTimeoutMs: options.disconnectTimeoutMs,
      onWindowFull: (seat) => {
        if (seat.state === SeatState.Away) return seat.pause(); // a catch-up when heard again
        if (seat.state !== SeatState.Playing) return;
        this.warn(
          'buffer-full',
          `player ${seat.playerId} acknowledged no frame for ${options.maxUnackedFrames} frames`,
          { playerId: seat.playerId },
        );
        this.seats.goAway(seat, 'frames not acknowledged');
      },
      onSilent: (seat) => {
        if (seat.state === SeatState.Playing)
          this.seats.goAway(seat, `nothing heard for ${options.disconnectTimeoutMs} ms`);
        else if (seat.state === SeatState.Away && !seat.isPaused) seat.pause();
      },
    });
    this.tickLoop = new TickLoop(1000 / options.tickRate, LATE_MS, {
      closing: () => this.closing !== undefined,
      silence: () => this.fanout.tick(),
      rest: () => this.onTick(),
    });
    this.statsTimer = setInterval(() => this.takeSamples(), options.statsIntervalMs);

    // Mirror the streams on the emitter.
    this.streams.mirror((event, ...args) => this.emit(event, ...args));
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
    const seat = this.seats.at(playerId);
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
    const seat = this.seats.at(playerId);
    if (!seat || seat.state === SeatState.Gone) return false;
    this.seats.dropSeat(seat, 'kicked', message);
    return true;
  }

  /** Whether player `playerId` is away now (its input substituted in the frames). */
  isAway(playerId: number): boolean {
    return this.seats.at(playerId)?.state === SeatState.Away;
  }

  /** Tells every client the server is closing, closes every socket, completes every stream. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.tickLoop.stop();
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
      this.seats.release(session);
    }
    this.seats.closeAll();
    for (const s of this.subs) s.unsubscribe();
    this.match.close(); // completes the match's frames: the replay file gets its End chunk
    if (this.recording)
      await this.recording.closed.catch((err: unknown) =>
        this.warn('socket-error', `replay file ${this.recording?.path}: ${String(err)}`),
      );
    await this.gateway.close();
    this.streams.complete();
    this.emit('close');
  }

  /** A spectator's chat line: to the players (and spectators) if `spectatorChat`, else a warning. */
  private onSpectatorChat(session: PeerSession, text: string): void {
    const from = session.username ?? '';
    if (!this.options.spectatorChat)
      return this.warn('unexpected-message', `chat from spectator ${from}: spectatorChat is off`, {
        address: session.address,
      });
    this.streams.chat.next({ from, text });
    this.broadcast({ type: MessageType.ChatBroadcast, from, text });
  }

  private broadcast(msg: Exclude<ServerTcpMessage, CatchUpFrames>): void {
    const bytes = encodeMessage(msg);
    this.watching.broadcast(bytes);
    for (const seat of this.seats.connected()) {
      const session = seat.session!;
      if (!session.sendBytes(bytes, this.guards.maxBacklog) && !seat.catchingUp) {
        this.warn('buffer-full', `player ${seat.playerId} does not read its TCP connection`, {
          playerId: seat.playerId,
          address: session.address,
        });
        this.seats.drop(session, 'error', 'not reading its connection');
      }
    }
  }

  // ------------------------------------------------------------------------------------
  // Frames out.

  /** A tick, after the silent players are found (maybe at the next turn of the event loop). */
  private onTick(): void {
    this.watching.tick();
    this.seats.tick();
    this.seats.dropStallers();
    this.seats.pumpAll();
  }

  private onFrame(frame: ConfirmedFrame): void {
    this.seats.onFrame(frame);
    this.fanout.push(frame);
    this.watching.onFrame();
    this.streams.frames.next(frame);
    this.snapshots.serverSnapshot(frame.tick);
    if (frame.joined)
      for (const p of frame.joined)
        this.streams.players.next({ type: 'join', tick: frame.tick, player: p });
    if (frame.left)
      for (const p of frame.left)
        this.streams.players.next({
          type: 'leave',
          tick: frame.tick,
          player: { playerId: p.playerId, username: p.username },
          reason: p.reason,
        });
    this.snapshots.maybeAskSnapshot();
  }

  private onDesync(event: DesyncEvent): void {
    this.streams.events.next(event);
    this.broadcast({ type: MessageType.Desync, tick: event.tick, checksums: event.checksums });
  }

  private takeSamples(): void {
    for (const seat of this.seats.connected()) seat.sample();
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.streams.events.closed) return;
    this.streams.events.next({ type: 'warning', code, message, ...details });
  };
}
