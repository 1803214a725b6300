// One match of a server and its players: its seats, spectators, frames, streams, and the methods the application calls on it.
import { asyncScheduler, type Observable, type Subscription } from 'rxjs';
import type { ReplayFileRecording } from '../replay/recordReplayFile.js';
import { RefuseReason, type MessageTooLargeError } from '../errors.js';
import type { DesyncEvent, ServerNetworkEvent, WarningCode } from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import {
  Limits,
  MessageType,
  type CodecContext,
  type CatchUpFrames,
  type ClientTcpMessage,
  type ServerTcpMessage,
} from '../protocol/index.js';
import type { RoomMetadata } from '../rooms/RoomDirectory.js';
import type { PlayerStats } from '../stats.js';
import type { ChatMessage, ConfirmedFrame, PlayerEvent, PlayerInfo } from '../types.js';
import { AbuseGuards } from './AbuseGuards.js';
import type { FrameFanout } from './FrameFanout.js';
import { onClientMessage, type ReliableHost } from './reliableMessages.js';
import type { ResolvedServerOptions, RoomInfo } from './options.js';
import { SessionState, type PeerSession } from './PeerSession.js';
import { SeatState } from './Seat.js';
import { Seats } from './Seats.js';
import { roomBroadcast } from './roomBroadcast.js';
import { roomFanout } from './roomFanout.js';
import { LATE_MS, roomMatch } from './roomMatch.js';
import { roomReliableHost } from './roomReliableHost.js';
import { RoomSeatCount } from './RoomSeatCount.js';
import { recordServerReplay } from './serverReplay.js';
import { ServerSnapshots } from './ServerSnapshots.js';
import { ServerStreams, type ServerEvents } from './ServerStreams.js';
import type { SharedTicks } from './SharedTicks.js';
import { Spectators, type SpectatorEvent } from './Spectators.js';
import type { TimeoutBackoff } from './TimeoutBackoff.js';

export { LATE_MS } from './roomMatch.js';

/** Why a room ended: closed by its application, empty too long, or its server closing. */
export type RoomEndReason = 'closed' | 'empty' | 'server-closing';

/** What a room needs from its server. */
export interface RoomHost {
  /** Every session of the server (a session released in the room leaves it). */
  readonly allSessions: Set<PeerSession>;
  /** Repeated timeouts by account and address, over every room. */
  readonly backoff: TimeoutBackoff;
  /** The process's tick timers. */
  readonly ticks: SharedTicks;
  /** Whether the server is closing. */
  readonly serverClosing: () => boolean;
  /** The room's occupancy changed (a seat made or removed, a join given up). */
  readonly onOccupancy: (room: Room) => void;
  /** Counts one more seat of this room in the directory: false when it is full there. */
  readonly reserve: (room: Room) => Promise<boolean>;
  /** A seat the directory counts for this room is free again. */
  readonly unreserve: (room: Room) => void;
  /** The room has ended and released everything. */
  readonly onEnded: (room: Room, reason: RoomEndReason) => void;
  /** The room begins to end: off the directory now, so no join is sent to it meanwhile. */
  readonly onEnding: (room: Room) => void;
}

/**
 * One match of a server: its players' seats, its spectators, its frames and streams. A
 * server made with no `rooms` option has one, its default room, behind the server's own
 * streams and methods; with `rooms`, the application makes them (`server.createRoom`) and
 * join-or-create makes them for players (`connect({ match })`).
 */
export class Room extends typedEmitter<ServerEvents>() {
  /** The room's id: what `connect({ room })` and `server.room(id)` take. */
  readonly id: string;
  /** Its mode (join-or-create fills rooms of the mode a player asks for). */
  readonly mode: string;
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
  /** Resolves once the room has ended and released everything (then `rooms$` says so). */
  readonly ended: Promise<RoomEndReason>;

  private meta: RoomMetadata;
  private readonly streams = new ServerStreams();
  private readonly match: Match;
  /** @internal What the messages of the reliable channel act on. */
  readonly reliable: ReliableHost;
  /** The sessions of this room (joining it, playing, watching). */
  private readonly sessions = new Set<PeerSession>();
  /** The seats the room directory counts for this room. */
  private readonly count: RoomSeatCount;
  private readonly seats: Seats;
  private readonly ctx: CodecContext;
  private readonly subs: Subscription[] = [];
  private readonly stopTicks: () => void;
  private readonly stopStats: () => void;
  private readonly fanout: FrameFanout;
  private readonly watching: Spectators;
  private readonly guards: AbuseGuards;
  private readonly snapshots: ServerSnapshots;
  private readonly recording: ReplayFileRecording | undefined;
  private closing: Promise<void> | undefined;
  private endWith!: (reason: RoomEndReason) => void;

  /** @internal Use `server.createRoom` (or `createServer`, for the default room). */
  constructor(
    info: RoomInfo,
    options: ResolvedServerOptions,
    private readonly host: RoomHost,
  ) {
    super();
    this.id = info.roomId;
    this.mode = info.mode;
    this.meta = info.metadata;
    this.ended = new Promise((resolve) => (this.endWith = resolve));
    this.tickRate = options.tickRate;
    this.inputSize = options.inputSize;
    this.maxPlayers = options.maxPlayers;
    this.ctx = { inputSize: options.inputSize, maxPlayers: options.maxPlayers };
    this.guards = new AbuseGuards(options, LATE_MS, asyncScheduler, host.backoff);

    this.frames$ = this.streams.frames.asObservable();
    this.players$ = this.streams.players.asObservable();
    this.chat$ = this.streams.chat.asObservable();
    this.events$ = this.streams.events.asObservable();
    this.stats$ = this.streams.stats.asObservable();

    this.match = roomMatch(options);
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

    this.count = new RoomSeatCount({
      room: this,
      host,
      sessions: this.sessions,
      seated: () => this.seats.count,
      watchPending: (session) => this.watching.isPending(session),
    });

    this.watching = new Spectators({
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      release: (session) => this.seats.release(session),
      roomIdFor: (session) => this.count.roomIdFor(session),
    });
    this.spectators$ = this.watching.events$;

    this.seats = new Seats({
      match: this.match,
      ctx: this.ctx,
      options,
      warn: this.warn,
      forget: (session) => this.forget(session),
      roomIdFor: (session) => this.count.roomIdFor(session),
      onSeatChange: (seat, made, session) => this.count.onSeatChange(seat, made, session),
      watching: this.watching,
      guards: this.guards,
      closing: () => this.isClosing,
      event: (event) => this.streams.events.next(event),
      onStats: (st) => this.streams.stats.next(st),
    });
    this.snapshots = new ServerSnapshots(this.match, options, this.seats, this.warn);

    this.reliable = roomReliableHost({
      options,
      info: () => ({ roomId: this.id, mode: this.mode, metadata: this.meta }),
      match: this.match,
      sessions: this.sessions,
      allSessions: host.allSessions,
      seats: this.seats,
      watching: this.watching,
      guards: this.guards,
      snapshots: this.snapshots,
      closing: () => this.isClosing,
      warn: this.warn,
      reserve: (session) => this.count.reserve(session),
      chat: (from, text) => {
        this.streams.chat.next({ from, text });
        this.broadcast({ type: MessageType.ChatBroadcast, from, text });
      },
      snapshot: (event) => this.streams.events.next(event),
    });

    this.fanout = roomFanout(this.seats, options, this.warn);
    this.stopTicks = host.ticks.add(1000 / options.tickRate, {
      silence: () => {
        if (!this.isClosing && !this.isIdle) this.fanout.tick();
      },
      rest: () => {
        if (!this.isClosing && !this.isIdle) this.onTick();
      },
    });
    this.stopStats = host.ticks.add(options.statsIntervalMs, {
      silence: () => undefined,
      rest: () => this.takeSamples(),
    });

    // Mirror the streams on the emitter.
    this.streams.mirror((event, ...args) => this.emit(event, ...args));
  }

  /** The application's data about the room, as `listRooms` shows it. */
  get metadata(): RoomMetadata {
    return this.meta;
  }

  /** @internal The metadata changed (checked by the server). */
  setMetadataUnchecked(metadata: RoomMetadata): void {
    this.meta = metadata;
  }

  /** The players in the match now (joined in a confirmed frame or about to be, not gone). */
  get players(): PlayerInfo[] {
    return this.match.players;
  }

  /** Seats held now (players in the match, and players not ready yet). */
  get seated(): number {
    return this.seats.count;
  }

  /** Seats the directory counts for this room: seats held and joins with a seat counted. */
  get countedSeats(): number {
    return this.count.size;
  }

  /** Whether nobody is in the room: no seat held, no join under way (spectators do not count). */
  get isEmpty(): boolean {
    return this.count.isEmpty;
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

  /** The replay file this room writes (option `recordReplays`), if any. */
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

  /** Nobody to tick for: no session (joining, playing or watching) and no seat (not even an away one). */
  private get isIdle(): boolean {
    return this.sessions.size === 0 && this.seats.count === 0;
  }

  /** Whether the room is ending (or has ended). */
  get isClosing(): boolean {
    return this.closing !== undefined || this.host.serverClosing();
  }

  /**
   * Ends the room: every player is told goodbye (`room-closed`, with `message`), every
   * spectator's connection closed, every stream completed, every timer and buffer released.
   * `server.rooms$` says it ended. Resolves once it has.
   */
  close(message = 'the room was closed'): Promise<void> {
    return this.end('closed', message);
  }

  /** @internal Ends the room with `reason`. */
  end(reason: RoomEndReason, message: string): Promise<void> {
    this.closing ??= this.doClose(reason, message);
    return this.closing;
  }

  /**
   * @internal A join, watch or reconnect request for this room, from a session of the
   * server (`reserved`: the directory counts a seat for it).
   */
  admit(session: PeerSession, msg: ClientTcpMessage, reserved: boolean): void {
    this.sessions.add(session);
    this.count.admit(session, msg, reserved);
    onClientMessage(this.reliable, session, msg);
  }

  /** @internal Whether `session` is one of this room's. */
  has(session: PeerSession): boolean {
    return this.sessions.has(session);
  }

  /** @internal A session of this room closed its connection. */
  onClosed(session: PeerSession, error: Parameters<Seats['onClosed']>[1]): void {
    this.seats.onClosed(session, error);
  }

  /** @internal A session of this room sent a message over the size bound. */
  onTooLarge(session: PeerSession, error: MessageTooLargeError): void {
    this.warn('message-too-large', error.message, {
      playerId: session.playerId,
      address: session.address,
      error,
    });
  }

  private async doClose(reason: RoomEndReason, message: string): Promise<void> {
    this.host.onEnding(this);
    this.stopTicks();
    this.stopStats();
    this.fanout.stop();
    this.watching.close();
    const serverClosing = reason === 'server-closing';
    for (const session of [...this.sessions]) {
      if (session.state === SessionState.Playing)
        session.send({
          type: MessageType.Goodbye,
          reason: serverClosing ? 'server-closing' : 'room-closed',
          message: message.slice(0, Limits.reasonLength),
        });
      else if (session.state !== SessionState.Gone)
        session.send({
          type: MessageType.JoinRefused,
          reason: serverClosing ? RefuseReason.ServerClosing : RefuseReason.RoomNotFound,
        });
      this.seats.release(session);
    }
    this.seats.closeAll();
    for (const s of this.subs) s.unsubscribe();
    this.match.close(); // completes the match's frames: the replay file gets its End chunk
    if (this.recording)
      await this.recording.closed.catch((err: unknown) =>
        this.warn('socket-error', `replay file ${this.recording?.path}: ${String(err)}`),
      );
    this.streams.complete();
    this.emit('close');
    this.host.onEnded(this, reason);
    this.endWith(reason);
  }

  private forget(session: PeerSession): void {
    this.sessions.delete(session);
    this.host.allSessions.delete(session);
    this.count.forget(session);
  }

  private broadcast(msg: Exclude<ServerTcpMessage, CatchUpFrames>): void {
    roomBroadcast(msg, this.watching, this.seats, this.guards.maxBacklog, this.warn);
  }

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
    if (this.isClosing) return;
    for (const seat of this.seats.connected()) seat.sample();
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.streams.events.closed) return;
    this.streams.events.next({ type: 'warning', code, message, ...details });
  };
}
