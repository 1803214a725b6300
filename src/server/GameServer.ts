// The server's facade: its ports, its sessions, its rooms (or its one match) and the methods the application calls.
import { asyncScheduler, type Observable, type Subscription } from 'rxjs';
import { RefuseReason, type GameNetworkError } from '../errors.js';
import type { DesyncEvent, ServerNetworkEvent } from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import { MessageType } from '../protocol/index.js';
import { localDirectory } from '../rooms/localDirectory.js';
import type { RoomDirectory } from '../rooms/RoomDirectory.js';
import type { PlayerStats } from '../stats.js';
import type { MessageListener } from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerEvent, PlayerInfo } from '../types.js';
import { Gateway } from './Gateway.js';
import type { ResolvedServerOptions, ServerAddress, ServerOptions } from './options.js';
import { PeerSession, SessionState, type SessionHandlers } from './PeerSession.js';
import { decodeFromSession, onReliableMessage } from './reliableMessages.js';
import type { Room } from './Room.js';
import { Matchmaker } from './Matchmaker.js';
import { RoomLobby } from './RoomLobby.js';
import {
  checkMetadata,
  resolveRoomsOptions,
  type ResolvedRoomsOptions,
  type RoomOptions,
} from './roomOptions.js';
import { randomRoomId, ServerRooms, type RoomEvent } from './ServerRooms.js';
import { ServerStreams, type ServerEvents } from './ServerStreams.js';
import type { SpectatorEvent } from './Spectators.js';
import { TimeoutBackoff } from './TimeoutBackoff.js';
import { Subject } from 'rxjs';
import type { ProcessListing, RoomMetadata } from '../rooms/RoomDirectory.js';
import { Presence } from '../cluster/presence.js';
import type { RedisRoomDirectory } from '../cluster/redisDirectory.js';

export type { ServerEvents } from './ServerStreams.js';

/** The id of a server's default room (a server with no `rooms` option). */
export const DEFAULT_ROOM_ID = 'default';

/**
 * A running lockstep server. With no `rooms` option, one match (its default room) behind the
 * server's own streams and methods; with `rooms`, many matches on the same ports
 * (`createRoom`, `rooms$`, `room(id)`, and join-or-create for players). Made by `createServer`.
 */
export class GameServer extends typedEmitter<ServerEvents>() {
  /** Where the server listens (ports resolved when 0 was asked). */
  readonly address: ServerAddress;
  /** The default room's confirmed frames, in tick order, each once (none with `rooms`). */
  readonly frames$: Observable<ConfirmedFrame>;
  /** The default room's joins and leaves, as they take effect in the frame stream. */
  readonly players$: Observable<PlayerEvent>;
  /** The default room's chat messages. */
  readonly chat$: Observable<ChatMessage>;
  /**
   * The server's warnings (bad connections, refused joins, the directory) and, without
   * `rooms`, its match's drops, desyncs and snapshots. A room's own are on `room.events$`.
   */
  readonly events$: Observable<ServerNetworkEvent>;
  /** The default room's players' statistics, about once every `statsIntervalMs`. */
  readonly stats$: Observable<PlayerStats>;
  /** The default room's spectators coming and going. */
  readonly spectators$: Observable<SpectatorEvent>;
  /** Rooms made and ended (the default room is made before `createServer` resolves). */
  readonly rooms$: Observable<RoomEvent>;
  /** This process's id in the room directory. */
  readonly processId: string;
  /** Where this server lists its rooms. */
  readonly directory: RoomDirectory;

  /** Ticks per second (the `tickRate` option; a room may have its own). */
  readonly tickRate: number;
  /** Bytes in one player's input for one tick (the `inputSize` option; a room may have its own). */
  readonly inputSize: number;
  /** Player slots (the `maxPlayers` option; a room may have its own). */
  readonly maxPlayers: number;

  private readonly streams = new ServerStreams();
  private readonly spectatorEvents = new Subject<SpectatorEvent>();
  private readonly sessions = new Set<PeerSession>();
  /** The room of each session that has one. */
  private readonly roomOf = new WeakMap<PeerSession, Room>();
  private readonly gateway: Gateway;
  private readonly rooms: ServerRooms;
  private readonly lobby: RoomLobby;
  private readonly backoff = new TimeoutBackoff(asyncScheduler);
  private readonly roomsOptions: ResolvedRoomsOptions | undefined;
  /** Whether this server closes its directory (made for it: the in-process one, or its cluster's). */
  private closeDirectory: boolean;
  /** This process's presence in a cluster's directory. */
  private presence: Presence | undefined;
  private readonly subs: Subscription[] = [];
  private defaultRoom: Room | undefined;
  /** Stops answering other processes' requests to make rooms. */
  private readonly stopServing: () => void;
  private closing: Promise<void> | undefined;

  /** @internal Use `createServer`. */
  constructor(listener: MessageListener, options: ResolvedServerOptions, raw: ServerOptions) {
    super();
    this.tickRate = options.tickRate;
    this.inputSize = options.inputSize;
    this.maxPlayers = options.maxPlayers;
    this.address = { host: options.host, ...listener.address };
    this.roomsOptions = raw.rooms ? resolveRoomsOptions(raw.rooms) : undefined;
    this.closeDirectory = this.roomsOptions?.directory === undefined;
    this.directory = this.roomsOptions?.directory ?? localDirectory();
    this.processId = this.roomsOptions?.processId ?? `p-${randomRoomId().slice(2)}`;

    this.frames$ = this.streams.frames.asObservable();
    this.players$ = this.streams.players.asObservable();
    this.chat$ = this.streams.chat.asObservable();
    this.events$ = this.streams.events.asObservable();
    this.stats$ = this.streams.stats.asObservable();
    this.spectators$ = this.spectatorEvents.asObservable();

    const closing = (): boolean => this.closing !== undefined;
    const defaults: ServerOptions = { ...raw, rooms: undefined };
    this.rooms = new ServerRooms({
      options: defaults,
      directory: this.directory,
      processId: this.processId,
      allSessions: this.sessions,
      backoff: this.backoff,
      closing,
      warn: this.warn,
    });
    this.rooms$ = this.rooms.events$;
    const matchmaker = new Matchmaker({
      rooms: this.rooms,
      directory: this.directory,
      processId: this.processId,
      roomsOptions: this.roomsOptions,
      closing,
    });
    this.stopServing = this.directory.serveCreate(this.processId, (ask) =>
      matchmaker.createFor(ask),
    );
    this.lobby = new RoomLobby(
      {
        rooms: this.rooms,
        directory: this.directory,
        processId: this.processId,
        defaultRoom: () => this.defaultRoom,
        closing,
        warn: this.warn,
        refuse: (session, reason) => this.refuse(session, reason),
        release: (session) => this.release(session),
        enter: (session, room) => this.roomOf.set(session, room),
      },
      matchmaker,
    );

    const handlers: SessionHandlers = {
      onMessage: (session, bytes) => {
        const room = this.roomOf.get(session);
        if (room) return onReliableMessage(room.reliable, session, bytes);
        const msg = decodeFromSession(this.warn, (s, r) => this.refuse(s, r), session, bytes);
        if (msg) this.lobby.onMessage(session, msg);
      },
      onClosed: (session, error) => this.onClosed(session, error),
      onTooLarge: (session, error) => {
        const room = this.roomOf.get(session);
        if (room) return room.onTooLarge(session, error);
        this.warn('message-too-large', error.message, { address: session.address, error });
      },
    };
    this.gateway = new Gateway(listener, {
      maxPendingJoins: options.maxPendingJoins,
      maxPendingJoinsPerAddress: options.maxPendingJoinsPerAddress,
      joinTimeoutMs: options.joinTimeoutMs,
      sessions: this.sessions,
      closing,
      admit: (session) => this.sessions.add(session),
      onJoinTimeout: (session) => {
        this.backoff.timedOut(`addr:${session.address}`);
        const room = this.roomOf.get(session);
        if (room) room.reliable.release(session);
        else this.release(session);
      },
      handlers,
      warn: this.warn,
    });
    this.streams.mirror((event, ...args) => this.emit(event, ...args));
  }

  /** @internal Makes the default room (a server with no `rooms` option), before it is returned. */
  async openDefaultRoom(): Promise<void> {
    if (this.roomsOptions) return;
    const room = await this.rooms.create({ id: DEFAULT_ROOM_ID, mode: 'default' });
    this.defaultRoom = room;
    this.subs.push(
      room.frames$.subscribe(this.streams.frames),
      room.players$.subscribe(this.streams.players),
      room.chat$.subscribe(this.streams.chat),
      room.events$.subscribe((e) => this.streams.events.next(e)),
      room.stats$.subscribe(this.streams.stats),
      room.spectators$.subscribe(this.spectatorEvents),
    );
  }

  /** @internal Registers this process in its own directory (its load kept current there). */
  async register(): Promise<void> {
    await this.directory.putProcess(this.processListing());
    this.refreshLoadOnRoomEvents(undefined);
  }

  /** The process's load in the directory, refreshed as rooms are made and end (not only at heartbeats). */
  private refreshLoadOnRoomEvents(publicHost: string | undefined): void {
    this.subs.push(
      this.rooms.events$.subscribe(() => {
        if (this.closing) return;
        this.directory
          .putProcess(this.processListing(publicHost))
          .catch((err: unknown) => this.warn('directory-error', `process listing: ${String(err)}`));
      }),
    );
  }

  /**
   * @internal Joins a cluster: this process's presence in the shared `directory` (a
   * heartbeat with its load; its rooms listed again if the directory lost them), started
   * before any room is listed.
   */
  async joinCluster(directory: RedisRoomDirectory, publicHost: string | undefined): Promise<void> {
    const presence = new Presence({
      directory,
      process: () => this.processListing(publicHost),
      rooms: () => this.rooms.listings(),
    });
    this.subs.push(
      directory.warnings$.subscribe((w) => this.warn('directory-error', w.message)),
      presence.warnings$.subscribe((w) => this.warn('directory-error', w.message)),
    );
    this.presence = presence;
    this.closeDirectory = true;
    await presence.start();
    this.refreshLoadOnRoomEvents(publicHost);
  }

  /** This process as the directory lists it. */
  private processListing(publicHost?: string): ProcessListing {
    return {
      processId: this.processId,
      address: {
        host: publicHost ?? this.address.host,
        port: this.address.tcpPort,
        ...(this.address.webPort === undefined ? {} : { webPort: this.address.webPort }),
      },
      load: this.rooms.load,
    };
  }

  // ------------------------------------------------------------------------------------
  // Rooms.

  /**
   * Makes a room on this server's ports: its own match, streams and methods. Its rules
   * default to the server's options and are checked as `createServer` checks them.
   * @returns the room, listed in the directory (players can join it by id at once).
   * @throws {RangeError} for an option out of range, or an id already in use.
   */
  createRoom(options: RoomOptions = {}): Promise<Room> {
    return this.rooms.create(options);
  }

  /** The room of this process with this id (the default room is `'default'`). */
  room(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  /** Every room of this process now. */
  get roomList(): Room[] {
    return this.rooms.all();
  }

  /**
   * Changes the metadata `listRooms` shows for a room of this process.
   * @throws {RangeError} when it is not valid metadata, or there is no such room.
   */
  setRoomMetadata(id: string, metadata: RoomMetadata): void {
    checkMetadata(metadata);
    const room = this.rooms.get(id);
    if (!room) throw new RangeError(`no room ${id} here`);
    room.setMetadataUnchecked({ ...metadata });
    this.rooms.listMetadata(room);
  }

  // ------------------------------------------------------------------------------------
  // The default room's match (a server with no `rooms` option).

  /** The default room's players now (none with `rooms`). */
  get players(): PlayerInfo[] {
    return this.defaultRoom?.players ?? [];
  }

  /** The names of the default room's spectators watching now. */
  get spectators(): string[] {
    return this.defaultRoom?.spectators ?? [];
  }

  /**
   * Drops a spectator of the default room (see `Room.kickSpectator`).
   * @returns false if nobody watches as `username`.
   */
  kickSpectator(username: string, message = 'kicked by the server'): boolean {
    return this.defaultRoom?.kickSpectator(username, message) ?? false;
  }

  /** The replay file the default room writes (option `recordReplays`), if any. */
  get replayPath(): string | undefined {
    return this.defaultRoom?.replayPath;
  }

  /** The default room's desync, if any (the first tick whose checksums differ). */
  get desyncDetected(): DesyncEvent | undefined {
    return this.defaultRoom?.desyncDetected;
  }

  /**
   * Sends opaque world-state bytes to one player of the default room (see `Room.sendWorldState`).
   * @returns false if there is no such player (or it has no connection now).
   */
  sendWorldState(playerId: number, bytes: Uint8Array): boolean {
    return this.defaultRoom?.sendWorldState(playerId, bytes) ?? false;
  }

  /** Sends a chat line to every player (of every room), from `from` (default `'server'`). */
  broadcastChat(text: string, from = 'server'): void {
    for (const room of this.rooms.all()) room.broadcastChat(text, from);
  }

  /**
   * Drops a player of the default room (see `Room.kick`).
   * @returns false if there is no such player.
   */
  kick(playerId: number, message = 'kicked by the server'): boolean {
    return this.defaultRoom?.kick(playerId, message) ?? false;
  }

  /** Whether player `playerId` of the default room is away now (its input substituted). */
  isAway(playerId: number): boolean {
    return this.defaultRoom?.isAway(playerId) ?? false;
  }

  /** Ends every room (its players told the server is closing), closes every socket, completes every stream. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopServing();
    for (const session of [...this.sessions]) {
      if (this.roomOf.has(session)) continue;
      if (session.state !== SessionState.Gone)
        session.send({ type: MessageType.JoinRefused, reason: RefuseReason.ServerClosing });
      this.release(session);
    }
    await this.rooms.closeAll();
    if (this.presence)
      await this.presence.stop(); // off the directory, with its rooms
    else
      await this.directory
        .removeProcess(this.processId)
        .catch((err: unknown) =>
          this.warn('directory-error', `leaving the directory: ${String(err)}`),
        );
    for (const s of this.subs) s.unsubscribe();
    await this.gateway.close();
    if (this.closeDirectory) await this.directory.close();
    this.spectatorEvents.complete();
    this.streams.complete();
    this.emit('close');
  }

  private onClosed(session: PeerSession, error: GameNetworkError | undefined): void {
    const room = this.roomOf.get(session);
    if (room) return room.onClosed(session, error);
    if (error && error.name !== 'MessageTooLargeError')
      this.warn('socket-error', `connection failed: ${error.message}`, {
        address: session.address,
        error,
      });
    this.release(session);
  }

  /** Refuses a session of no room: `reason` to the client, and its session released. */
  private refuse(session: PeerSession, reason: RefuseReason): void {
    const room = this.roomOf.get(session);
    if (room) return room.reliable.refuse(session, reason);
    this.warn('join-refused', `join refused: ${reason}`, { address: session.address });
    session.send({ type: MessageType.JoinRefused, reason });
    this.release(session);
  }

  private release(session: PeerSession): void {
    session.release();
    this.sessions.delete(session);
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.streams.events.closed) return;
    this.streams.events.next({ type: 'warning', code, message, ...details });
  };
}
