// The server's facade: one match, its sessions, its streams and the methods the application calls.
import { Subject, filter, map, merge, type Observable, type Subscription } from 'rxjs';
import { join } from 'node:path';
import { recordReplayFile, type ReplayFileRecording } from '../replay/recordReplayFile.js';
import type { ReplayReport } from '../replay/types.js';
import { RefuseReason, type GameNetworkError, type MessageTooLargeError } from '../errors.js';
import type {
  DesyncEvent,
  ServerNetworkEvent,
  SnapshotEvent,
  WarningCode,
  WarningEvent,
  DropEvent,
} from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import { Match, type JoinResult } from '../match/Match.js';
import {
  Limits,
  MessageType,
  encodeMessage,
  type CodecContext,
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
import {
  MAX_TCP_BACKLOG_BYTES,
  type ResolvedServerOptions,
  type ServerAddress,
} from './options.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';
import { Seat } from './Seat.js';

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
  private readonly gateway: Gateway;
  private readonly sessions = new Set<PeerSession>();
  /** The session in each seat, while it plays. */
  private readonly bySlot: (PeerSession | undefined)[];
  private readonly ctx: CodecContext;
  private readonly subs: Subscription[] = [];
  private readonly tickTimer: ReturnType<typeof setInterval>;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private readonly fanout: FrameFanout;
  /**
   * Players who left of their own accord while inputs of theirs were acknowledged but not
   * confirmed yet: by slot, the last such tick. They leave once it is confirmed.
   */
  private readonly leavingAfter = new Map<number, number>();
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
    this.bySlot = new Array<PeerSession | undefined>(options.maxPlayers);
    this.address = { host: options.host, ...listener.address };

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
    });
    this.recording = this.recordReplay(options);
    this.subs.push(
      this.match.frames$.subscribe((frame) => this.onFrame(frame)),
      this.match.desync$.subscribe((event) => this.onDesync(event)),
      this.match.warnings$.subscribe((w) => {
        const code: WarningCode = w.code === 'too-far-ahead' ? 'input-too-far-ahead' : 'lockstep';
        this.warn(code, w.message, { playerId: w.playerId });
      }),
    );

    this.desk = {
      options,
      match: this.match,
      sessions: this.sessions,
      closing: () => this.closing !== undefined,
      warn: this.warn,
      refuse: (session, reason) => this.refuse(session, reason),
      seat: (session, joined) => this.seat(session, joined),
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
      snapshot: (event) => this.eventsSubject.next(event),
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
      joinTimeoutMs: options.joinTimeoutMs,
      sessions: this.sessions,
      closing: () => this.closing !== undefined,
      admit: (session) => this.sessions.add(session),
      onJoinTimeout: (session) => this.release(session),
      handlers,
      warn: this.warn,
    });

    this.fanout = new FrameFanout({
      seats: () => this.seats(),
      disconnectTimeoutMs: options.disconnectTimeoutMs,
      onWindowFull: (seat) => {
        this.warn(
          'buffer-full',
          `player ${seat.playerId} acknowledged no frame for ${options.maxUnackedFrames} frames`,
          { playerId: seat.playerId },
        );
        this.dropSeat(seat, 'timeout', 'frames not acknowledged');
      },
      onSilent: (seat) =>
        this.dropSeat(seat, 'timeout', `nothing heard for ${options.disconnectTimeoutMs} ms`),
    });
    this.tickTimer = setInterval(() => this.fanout.tick(), 1000 / options.tickRate);
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
      else this.emit('snapshot', e);
    });
  }

  /** The players in the match now (joined in a confirmed frame or about to be, not gone). */
  get players(): PlayerInfo[] {
    return this.match.players;
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
   * @returns false if there is no such player.
   */
  sendWorldState(playerId: number, bytes: Uint8Array): boolean {
    if (bytes.length > Limits.maxWorldStateBytes)
      throw new RangeError(`world state is over ${Limits.maxWorldStateBytes} bytes`);
    const seat = this.bySlot[playerId]?.playing;
    if (!seat) return false;
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
   * with reason `kicked`), and its connection is closed with `message`.
   * @returns false if there is no such player.
   */
  kick(playerId: number, message = 'kicked by the server'): boolean {
    const session = this.bySlot[playerId];
    if (session?.state !== SessionState.Playing) return false;
    this.drop(session, 'kicked', message);
    return true;
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
  // The reliable channel: the join handshake, chat, signals, leaving.

  private onClosed(session: PeerSession, error: GameNetworkError | undefined): void {
    if (error && error.name !== 'MessageTooLargeError')
      this.warn('socket-error', `connection failed: ${error.message}`, {
        playerId: session.playerId,
        address: session.address,
        error,
      });
    if (session.state === SessionState.Playing)
      this.drop(session, 'error', error ? error.message : 'connection closed without a goodbye');
    else this.release(session);
  }

  private refuse(session: PeerSession, reason: RefuseReason): void {
    this.warn('join-refused', `join refused: ${reason}`, { address: session.address });
    session.send({ type: MessageType.JoinRefused, reason });
    this.release(session);
  }

  /** The match took the player in: a seat, the answer, then the datagram channel. */
  private seat(session: PeerSession, joined: Extract<JoinResult, { ok: true }>): void {
    const username = session.username ?? '';
    const seat = new Seat({ playerId: joined.playerId, username }, joined.tick, {
      match: this.match,
      ctx: this.ctx,
      options: this.options,
      warn: this.warn,
      onStats: (st) => this.statsSubject.next(st),
    });
    session.play(seat);
    this.bySlot[joined.playerId] = session;
    session.send({
      type: MessageType.JoinAccepted,
      playerId: joined.playerId,
      tickRate: this.tickRate,
      inputSize: this.inputSize,
      maxPlayers: this.maxPlayers,
      startTick: joined.tick,
      players: joined.players,
    });
    // The transport's signals follow the answer on the reliable channel.
    seat.open(
      session.peer,
      (data) => session.signal(data),
      (message) => this.dropSeat(seat, 'error', message),
    );
  }

  /**
   * Removes a playing session from the match: a leave at the next tick to confirm (unless the
   * match itself decided it), a goodbye for the client, and the connection closed.
   */
  private drop(session: PeerSession, reason: LeaveReason, message: string, tellMatch = true): void {
    if (session.state !== SessionState.Playing) return;
    const seat = session.leave();
    const { player } = seat;
    if (reason !== 'left') {
      session.send({
        type: MessageType.Goodbye,
        reason,
        message: message.slice(0, Limits.reasonLength),
      });
      this.eventsSubject.next({ type: 'drop', ...player, reason, message });
    }
    const lastInput = seat.link.received;
    this.release(session);
    if (!tellMatch) return;
    // Inputs it was told the server has are confirmed before its leave takes effect.
    if (reason === 'left' && lastInput >= Math.max(this.match.head, seat.startTick))
      this.leavingAfter.set(player.playerId, lastInput);
    else this.match.leave(player.playerId, reason);
  }

  /** Frees everything a session holds; its seat in the match is freed by the match. */
  private release(session: PeerSession): void {
    const playerId = session.playerId;
    if (playerId !== undefined && this.bySlot[playerId] === session)
      this.bySlot[playerId] = undefined;
    session.release();
    this.sessions.delete(session);
  }

  private broadcast(msg: ServerTcpMessage): void {
    const bytes = encodeMessage(msg);
    for (const session of this.bySlot) {
      if (session?.state !== SessionState.Playing) continue;
      if (!session.sendBytes(bytes, MAX_TCP_BACKLOG_BYTES) && session.playing) {
        this.warn('buffer-full', `player ${session.playerId} does not read its TCP connection`, {
          playerId: session.playerId,
          address: session.address,
        });
        this.drop(session, 'error', 'not reading its connection');
      }
    }
  }

  // ------------------------------------------------------------------------------------
  // Frames out.

  private onFrame(frame: ConfirmedFrame): void {
    if (frame.left) {
      for (const l of frame.left) {
        // The match timed it out: tell the client and close.
        const session = this.bySlot[l.playerId];
        if (session?.state === SessionState.Playing)
          this.drop(session, l.reason, 'stalled the game', false);
      }
    }
    for (const [playerId, last] of this.leavingAfter) {
      if (frame.tick < last) continue;
      this.leavingAfter.delete(playerId);
      this.match.leave(playerId, 'left'); // at the next tick: this frame has its last input
    }
    this.fanout.push(frame);
    this.framesSubject.next(frame);
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
    for (const seat of this.seats()) seat.sample();
  }

  /** The seats of the sessions playing now. */
  private *seats(): Generator<Seat> {
    for (const session of this.bySlot) {
      const seat = session?.playing;
      if (seat) yield seat;
    }
  }

  /** Drops the player in `seat`, if it still plays. */
  private dropSeat(seat: Seat, reason: LeaveReason, message: string): void {
    const session = this.bySlot[seat.playerId];
    if (session?.playing === seat) this.drop(session, reason, message);
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}
