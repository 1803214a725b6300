import { randomBytes } from 'node:crypto';
import { Subject, type Observable, type Subscription } from 'rxjs';
import {
  DecodeError,
  MessageTooLargeError,
  RefuseReason,
  type GameNetworkError,
} from '../errors.js';
import type {
  DesyncEvent,
  DropEvent,
  NetworkEvent,
  SnapshotEvent,
  WarningCode,
  WarningEvent,
} from '../events.js';
import { networkStats } from '../operators/networkStats.js';
import type { LinkSample, PlayerStats } from '../stats.js';
import { typedEmitter } from '../emitter.js';
import { LinkMeter } from '../link/LinkMeter.js';
import type { LinkConditionerOptions } from '../operators/conditionLink.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import { inOrder } from '../operators/inOrder.js';
import { lockstep, type LockstepEvent, type LockstepWarning } from '../operators/lockstep.js';
import { sendWindow, type SendWindowCommand } from '../operators/sendWindow.js';
import {
  Limits,
  MessageType,
  PROTOCOL_VERSION,
  decodeClientTcp,
  decodeClientUdp,
  FramesBodyCache,
  encodeFramesPacket,
  encodeMessage,
  type CodecContext,
  type InputsPacket,
  type ServerTcpMessage,
} from '../protocol/index.js';
import type { Datagram } from '../sources/fromUdpSocket.js';
import { nodeTransport } from '../transport/nodeTransport.js';
import type {
  DatagramEndpoint,
  MessageConnection,
  MessageListener,
  Transport,
} from '../transport/Transport.js';
import type {
  ChatMessage,
  ConfirmedFrame,
  LeaveReason,
  PlayerEvent,
  PlayerInfo,
} from '../types.js';

/** What `authenticate` is given. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** The remote address of the TCP connection. */
  readonly address: string;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** Address to listen on (TCP and UDP). Default `'127.0.0.1'`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default `0`. */
  port?: number;
  /** UDP port; 0 picks a free one. Default `0`. */
  udpPort?: number;
  /** Ticks per second the clients run at (sent to them at join; also the resend cadence). Default `60`. */
  tickRate?: number;
  /** Bytes in one player's input for one tick. Default `2`. */
  inputSize?: number;
  /** Player slots. Default `8`. */
  maxPlayers?: number;
  /** Decides whether a join may go on. Default: everyone may join. */
  authenticate?: (credentials: Credentials) => boolean | Promise<boolean>;
  /** A player who stalls the others this long, or sends nothing this long, is dropped. Default `2000`. */
  disconnectTimeoutMs?: number;
  /** A TCP connection must send its join request within this. Default `5000`. */
  joinTimeoutMs?: number;
  /** Connections that have not joined yet, at most; more are closed at once. Default `64`. */
  maxPendingJoins?: number;
  /** Inputs further ahead of the last confirmed frame are refused. Default `128`. */
  maxTicksAhead?: number;
  /** Frames held per player until acknowledged; a player whose window fills is dropped. Default `256`. */
  maxUnackedFrames?: number;
  /** Byte budget of one datagram. Default `1200`. */
  datagramBytes?: number;
  /** Link conditioner applied to every datagram the server receives (tests, demos). Default: none. */
  conditioner?: LinkConditionerOptions;
  /** How often `stats$` emits each player's statistics, in ms. Default `1000`. */
  statsIntervalMs?: number;
  /** The network underneath. Default: the Node transport (UDP + TCP). */
  transport?: Transport;
}

/** Where the server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly tcpPort: number;
  readonly udpPort: number;
}

/** The typed-emitter events of a server: the streams, for code that does not use RxJS. */
export type ServerEvents = {
  frame: (frame: ConfirmedFrame) => void;
  player: (event: PlayerEvent) => void;
  chat: (message: ChatMessage) => void;
  warning: (event: WarningEvent) => void;
  drop: (event: DropEvent) => void;
  desync: (event: DesyncEvent) => void;
  snapshot: (event: SnapshotEvent) => void;
  stats: (stats: PlayerStats) => void;
  close: () => void;
};

type PeerState = 'joining' | 'authenticating' | 'playing' | 'gone';

/** One TCP connection, and once joined, one player. */
interface Peer {
  state: PeerState;
  readonly conn: MessageConnection;
  readonly address: string;
  tcpSub?: Subscription;
  joinTimer?: NodeJS.Timeout;
  // Set once joined:
  playerId: number;
  username: string;
  token: number;
  udpPort: number;
  startTick: number;
  lastHeardAt: number;
  lastSentAt: number;
  inputAck: number;
  frameAck: number;
  checksumAck: number;
  snapshotSent: boolean;
  worldSeq: number;
  samples$?: Subject<LinkSample>;
  readonly meter: LinkMeter;
  inputs$?: Subject<{ tick: number; input: Uint8Array }>;
  window$?: Subject<SendWindowCommand<ConfirmedFrame>>;
  batch: readonly ConfirmedFrame[];
  unacked: number;
  dirty: boolean;
  /** True once a frame naming this player's leave was confirmed (the slot is free again). */
  leaveConfirmed: boolean;
  /** True while `dropPeer` runs (its goodbye must not drop it a second time). */
  dropping: boolean;
  /** True once a valid datagram came from the player: its UDP address is fixed from then on. */
  udpHeard: boolean;
}

/**
 * A running lockstep server: one UDP servicer for every player, one TCP servicer per
 * connection, and the lockstep assembler between them. Made by {@link createServer}.
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
  readonly events$: Observable<NetworkEvent>;
  /** Each player's network statistics, about once every `statsIntervalMs` (default a second). */
  readonly stats$: Observable<PlayerStats>;

  readonly tickRate: number;
  readonly inputSize: number;
  readonly maxPlayers: number;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly playersSubject = new Subject<PlayerEvent>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<NetworkEvent>();
  private readonly lockstepEvents = new Subject<LockstepEvent>();
  private readonly statsSubject = new Subject<PlayerStats>();
  private readonly statsTimer: NodeJS.Timeout;
  /** Checksums reported per tick, by player; bounded (oldest ticks dropped). */
  private readonly checksums = new Map<number, Map<number, number>>();
  private desync: DesyncEvent | undefined;

  private readonly peers = new Set<Peer>();
  private readonly bySlot: (Peer | undefined)[];
  private readonly byToken = new Map<number, Peer>();
  /**
   * Tokens of players who left lately, with where they sent from and until when their
   * datagrams still in flight are dropped quietly. Bounded: the oldest go first.
   */
  private readonly retired = new Map<number, { address: string; port: number; until: number }>();
  private readonly ctx: CodecContext;
  private readonly subs: Subscription[] = [];
  private readonly tickTimer: NodeJS.Timeout;
  private readonly tickMs: number;
  private head = 0;
  /** Bytes of join events promised to each tick not confirmed yet. */
  private readonly joinBytes = new Map<number, number>();
  /** The latest tick a join was given. */
  private lastJoinTick = 0;
  private flushScheduled = false;
  /** Frames packet bodies shared by every player sent the same frames in one round. */
  private readonly bodies = new FramesBodyCache();
  private closing: Promise<void> | undefined;

  private readonly disconnectTimeoutMs: number;
  private readonly joinTimeoutMs: number;
  private readonly maxPendingJoins: number;
  private readonly maxUnackedFrames: number;
  private readonly maxTicksAhead: number;
  private readonly datagramBytes: number;
  private readonly authenticate: (c: Credentials) => boolean | Promise<boolean>;

  /** @internal Use {@link createServer}. */
  constructor(
    private readonly udp: DatagramEndpoint,
    private readonly tcp: MessageListener,
    options: ServerOptions,
  ) {
    super();
    this.tickRate = options.tickRate ?? 60;
    this.inputSize = options.inputSize ?? 2;
    this.maxPlayers = options.maxPlayers ?? 8;
    this.disconnectTimeoutMs = options.disconnectTimeoutMs ?? 2000;
    this.joinTimeoutMs = options.joinTimeoutMs ?? 5000;
    this.maxPendingJoins = options.maxPendingJoins ?? 64;
    this.maxUnackedFrames = options.maxUnackedFrames ?? 256;
    this.maxTicksAhead = options.maxTicksAhead ?? 128;
    this.datagramBytes = options.datagramBytes ?? Limits.datagramBytes;
    this.authenticate = options.authenticate ?? (() => true);
    this.ctx = { inputSize: this.inputSize, maxPlayers: this.maxPlayers };
    this.bySlot = new Array<Peer | undefined>(this.maxPlayers);
    this.tickMs = 1000 / this.tickRate;

    this.address = { host: options.host ?? '127.0.0.1', tcpPort: tcp.port, udpPort: udp.port };

    this.frames$ = this.framesSubject.asObservable();
    this.players$ = this.playersSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.stats$ = this.statsSubject.asObservable();

    // The lockstep assembler: every player's inputs, joins and leaves in; frames out.
    this.subs.push(
      this.lockstepEvents
        .pipe(
          lockstep({
            maxPlayers: this.maxPlayers,
            inputSize: this.inputSize,
            maxTicksAhead: this.maxTicksAhead,
            disconnectTimeoutMs: this.disconnectTimeoutMs,
            onWarning: (w) => this.onLockstepWarning(w),
          }),
        )
        .subscribe({ next: (frame) => this.onFrame(frame) }),
    );

    // The UDP servicer: one socket for every player.
    this.subs.push(
      serviceDatagrams({
        endpoint: udp,
        conditioner: options.conditioner,
        decode: (bytes) => decodeClientUdp(bytes, this.ctx),
        onMessage: (msg, d) => this.onInputs(msg, d),
        onFailure: (err) =>
          this.warn('socket-error', `UDP socket failed: ${err.message}`, { error: err }),
        warn: this.warn,
      }),
    );

    // The TCP listener: one servicer per connection.
    this.subs.push(
      tcp.connections$.subscribe({
        next: (conn) => this.onConnection(conn),
        error: (err: Error) =>
          this.warn('socket-error', `TCP listener failed: ${err.message}`, { error: err }),
      }),
    );

    this.tickTimer = setInterval(() => this.onTick(), this.tickMs);
    this.statsTimer = setInterval(() => this.takeSamples(), options.statsIntervalMs ?? 1000);
    this.statsSubject.subscribe((st) => this.emit('stats', st));

    // Mirror the streams on the emitter.
    this.framesSubject.subscribe((f) => this.emit('frame', f));
    this.playersSubject.subscribe((p) => this.emit('player', p));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => {
      if (e.type === 'warning') this.emit('warning', e);
      else if (e.type === 'drop') this.emit('drop', e);
      else if (e.type === 'desync') this.emit('desync', e);
      else if (e.type === 'snapshot') this.emit('snapshot', e);
    });
  }

  /** The players in the match now (joined in a confirmed frame or about to be, not gone). */
  get players(): PlayerInfo[] {
    const out: PlayerInfo[] = [];
    for (const p of this.bySlot) {
      if (p && p.state === 'playing') out.push({ playerId: p.playerId, username: p.username });
    }
    return out;
  }

  /**
   * Sends opaque world-state bytes to one player over UDP. Latest wins: the client keeps
   * only the newest it receives, and one may be lost. At most 1100 bytes.
   * @returns false if there is no such player.
   */
  sendWorldState(playerId: number, bytes: Uint8Array): boolean {
    if (bytes.length > Limits.maxWorldStateBytes)
      throw new RangeError(`world state is over ${Limits.maxWorldStateBytes} bytes`);
    const peer = this.bySlot[playerId];
    if (!peer || peer.state !== 'playing') return false;
    peer.worldSeq++;
    const packet = encodeMessage({ type: MessageType.WorldState, seq: peer.worldSeq, data: bytes });
    this.sendUdp(peer, packet);
    return true;
  }

  /** Sends a chat line to every player, from `from` (default `'server'`). */
  broadcastChat(text: string, from = 'server'): void {
    if (text.length > Limits.chatLength)
      throw new RangeError(`chat is over ${Limits.chatLength} characters`);
    this.broadcastTcp({
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
    const peer = this.bySlot[playerId];
    if (!peer || peer.state !== 'playing') return false;
    this.dropPeer(peer, 'kicked', message);
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
    for (const peer of [...this.peers]) {
      if (peer.state === 'playing')
        this.sendTcp(peer, {
          type: MessageType.Goodbye,
          reason: 'server-closing',
          message: 'server closing',
        });
      else if (peer.state !== 'gone')
        this.sendTcp(peer, { type: MessageType.JoinRefused, reason: RefuseReason.ServerClosing });
      this.releasePeer(peer);
    }
    for (const s of this.subs) s.unsubscribe();
    await Promise.all([this.tcp.close(), this.udp.close()]);
    this.framesSubject.complete();
    this.playersSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.statsSubject.complete();
    this.lockstepEvents.complete();
    this.emit('close');
  }

  // ------------------------------------------------------------------------------------
  // TCP: the join handshake, chat, leaving.

  private onConnection(conn: MessageConnection): void {
    const peer: Peer = {
      state: 'joining',
      conn,
      address: conn.remoteAddress,
      playerId: -1,
      username: '',
      token: 0,
      udpPort: 0,
      startTick: 0,
      lastHeardAt: 0,
      lastSentAt: 0,
      inputAck: -1,
      frameAck: -1,
      checksumAck: -1,
      snapshotSent: false,
      worldSeq: 0,
      meter: new LinkMeter(),
      batch: [],
      unacked: 0,
      dirty: false,
      leaveConfirmed: false,
      dropping: false,
      udpHeard: false,
    };
    if (this.closing) {
      conn.destroy();
      return;
    }
    let pending = 0;
    for (const p of this.peers)
      if (p.state === 'joining' || p.state === 'authenticating') pending++;
    if (pending >= this.maxPendingJoins) {
      this.warn('buffer-full', `${pending} connections have not joined yet: one more closed`, {
        address: peer.address,
      });
      conn.destroy();
      return;
    }
    this.peers.add(peer);
    peer.joinTimer = setTimeout(() => {
      this.warn('join-timeout', `no join request within ${this.joinTimeoutMs} ms`, {
        address: peer.address,
      });
      this.releasePeer(peer);
    }, this.joinTimeoutMs);
    peer.tcpSub = conn.messages$.subscribe({
      next: (bytes) => this.onTcpMessage(peer, bytes),
      error: (err: GameNetworkError) => {
        if (err instanceof MessageTooLargeError)
          this.warn('message-too-large', err.message, {
            playerId: peer.playerId,
            address: peer.address,
            error: err,
          });
        else
          this.warn('socket-error', `TCP connection failed: ${err.message}`, {
            playerId: peer.playerId,
            address: peer.address,
            error: err,
          });
        this.onTcpClosed(peer, 'error', err.message);
      },
      complete: () => this.onTcpClosed(peer, 'left', 'connection closed'),
    });
  }

  private onTcpMessage(peer: Peer, bytes: Uint8Array): void {
    let msg;
    try {
      msg = decodeClientTcp(bytes);
    } catch (err) {
      const e = err as DecodeError;
      this.warn('decode-error', `bad TCP message: ${e.message}`, {
        playerId: peer.playerId >= 0 ? peer.playerId : undefined,
        address: peer.address,
        error: e,
      });
      if (peer.state === 'joining') {
        if (e.code === 'bad-version') this.refuse(peer, RefuseReason.VersionMismatch);
        else this.refuse(peer, RefuseReason.BadRequest);
      }
      return;
    }
    switch (msg.type) {
      case MessageType.Join:
        if (peer.state !== 'joining') {
          this.warn('unexpected-message', 'a second join request on the same connection', {
            playerId: peer.playerId,
            address: peer.address,
          });
          return;
        }
        this.handleJoin(peer, msg.protocolVersion, msg.username, msg.password, msg.udpPort).catch(
          (err: unknown) => {
            const error = err instanceof Error ? err : new Error(String(err));
            this.warn('socket-error', `join failed: ${error.message}`, {
              address: peer.address,
              error,
            });
            if (peer.state === 'playing') this.dropPeer(peer, 'error', 'join failed');
            else this.releasePeer(peer);
          },
        );
        return;
      case MessageType.Chat:
        if (peer.state !== 'playing') {
          this.warn('unexpected-message', 'chat before the join was accepted', {
            address: peer.address,
          });
          return;
        }
        this.chatSubject.next({ from: peer.username, text: msg.text });
        this.broadcastTcp({ type: MessageType.ChatBroadcast, from: peer.username, text: msg.text });
        return;
      case MessageType.Leave:
        if (peer.state === 'playing') this.dropPeer(peer, 'left', 'left the game');
        else this.releasePeer(peer);
        return;
      case MessageType.Snapshot:
        if (
          peer.state !== 'playing' ||
          !this.desync ||
          msg.tick !== this.desync.tick ||
          peer.snapshotSent
        ) {
          this.warn('unexpected-message', 'a snapshot nobody asked for', {
            playerId: peer.playerId,
            address: peer.address,
          });
          return;
        }
        peer.snapshotSent = true;
        this.eventsSubject.next({
          type: 'snapshot',
          playerId: peer.playerId,
          tick: msg.tick,
          data: msg.data,
        });
        return;
    }
  }

  private async handleJoin(
    peer: Peer,
    version: number,
    username: string,
    password: string,
    udpPort: number,
  ): Promise<void> {
    if (version !== PROTOCOL_VERSION) return this.refuse(peer, RefuseReason.VersionMismatch);
    if (this.nameTaken(username)) return this.refuse(peer, RefuseReason.DuplicateName);
    if (this.freeSlot(peer) < 0) return this.refuse(peer, RefuseReason.ServerFull);
    peer.state = 'authenticating';
    peer.username = username; // reserves the name while authenticating
    let ok = false;
    try {
      ok = await this.authenticate({ username, password, address: peer.address });
    } catch (err) {
      this.warn('authenticate-failed', `authenticate threw: ${(err as Error).message}`, {
        address: peer.address,
        error: err as Error,
      });
      ok = false;
    }
    if (peer.state !== 'authenticating' || this.closing) return; // went away meanwhile
    if (!ok) return this.refuse(peer, RefuseReason.BadCredentials);
    const slot = this.freeSlot(peer);
    if (slot < 0) return this.refuse(peer, RefuseReason.ServerFull);

    if (this.joinTick(username, false) >= this.head + this.maxTicksAhead)
      return this.refuse(peer, RefuseReason.ServerFull); // too many joins at once for now
    const startTick = this.joinTick(username);
    // Everyone in the match before this player's first frame; those joining at that tick
    // are named in its `joined`. A player gone whose leave is not confirmed yet is still in
    // the match until the frame that names its leave (the head): listed if this player will
    // see that frame, that is if it starts at the head.
    const players: PlayerInfo[] = [];
    for (const p of this.bySlot) {
      if (!p || p.startTick >= startTick) continue;
      if (p.state === 'playing' || startTick === this.head)
        players.push({ playerId: p.playerId, username: p.username });
    }
    clearTimeout(peer.joinTimer);
    peer.state = 'playing';
    peer.playerId = slot;
    peer.udpPort = udpPort;
    peer.startTick = startTick;
    peer.token = this.newToken();
    peer.inputAck = peer.startTick - 1;
    peer.frameAck = peer.startTick - 1;
    peer.lastHeardAt = performance.now();
    this.bySlot[slot] = peer;
    this.byToken.set(peer.token, peer);

    // Per player: in-order inputs feed the assembler, and a send window of frames.
    const inputs$ = new Subject<{ tick: number; input: Uint8Array }>();
    peer.inputs$ = inputs$;
    inputs$
      .pipe(
        inOrder({
          key: (i) => i.tick,
          start: peer.startTick,
          capacity: 512,
          onWarning: (w) => this.warn('input-too-far-ahead', w.message, { playerId: slot }),
        }),
      )
      .subscribe((i) => {
        peer.inputAck = i.tick;
        this.lockstepEvents.next({ type: 'input', playerId: slot, tick: i.tick, input: i.input });
      });
    const window$ = new Subject<SendWindowCommand<ConfirmedFrame>>();
    peer.window$ = window$;
    window$
      .pipe(
        sendWindow<ConfirmedFrame>({
          key: (f) => f.tick,
          capacity: this.maxUnackedFrames,
          // Every unacknowledged frame is offered (one "byte" each): the encoder fits them.
          budgetBytes: Limits.maxTicksPerPacket,
          sendOnPush: false,
          onWarning: (w) => {
            if (w.code === 'window-full' && peer.state === 'playing') {
              this.warn(
                'buffer-full',
                `player ${slot} acknowledged no frame for ${this.maxUnackedFrames} frames`,
                { playerId: slot },
              );
              this.dropPeer(peer, 'timeout', 'frames not acknowledged');
            }
          },
        }),
      )
      .subscribe((batch) => {
        peer.batch = batch.items;
        peer.unacked = batch.unacked;
      });

    const samples$ = new Subject<LinkSample>();
    peer.samples$ = samples$;
    samples$
      .pipe(networkStats())
      .subscribe((st) => this.statsSubject.next({ playerId: slot, ...st }));

    this.lockstepEvents.next({ type: 'join', playerId: slot, username, tick: peer.startTick });
    this.sendTcp(peer, {
      type: MessageType.JoinAccepted,
      playerId: slot,
      udpPort: this.address.udpPort,
      tickRate: this.tickRate,
      inputSize: this.inputSize,
      maxPlayers: this.maxPlayers,
      startTick: peer.startTick,
      token: peer.token,
      players,
    });
  }

  private refuse(peer: Peer, reason: RefuseReason): void {
    this.warn('join-refused', `join refused: ${reason}`, { address: peer.address });
    this.sendTcp(peer, { type: MessageType.JoinRefused, reason });
    this.releasePeer(peer);
  }

  private onTcpClosed(peer: Peer, reason: LeaveReason, message: string): void {
    if (peer.state === 'playing') this.dropPeer(peer, reason, message);
    else this.releasePeer(peer);
  }

  private nameTaken(username: string): boolean {
    const lower = username.toLowerCase();
    for (const p of this.peers) {
      if (
        (p.state === 'playing' || p.state === 'authenticating') &&
        p.username.toLowerCase() === lower
      )
        return true;
    }
    return false;
  }

  /**
   * The tick a new player joins at: the next tick to confirm, unless that frame's joins would
   * not fit in one datagram with it (a burst of joins), then the first tick after it that has
   * room. Every frame can then always be sent.
   */
  private joinTick(username: string, reserve = true): number {
    const need = 12 + Buffer.byteLength(username, 'utf8');
    // Never earlier than a tick already given: a player told its first frame is t must see
    // every join after it in its frames, not before.
    let tick = Math.max(this.head, this.lastJoinTick);
    while ((this.joinBytes.get(tick) ?? 0) + need > JOIN_BYTES_PER_TICK) tick++;
    if (!reserve) return tick;
    this.joinBytes.set(tick, (this.joinBytes.get(tick) ?? 0) + need);
    this.lastJoinTick = tick;
    return tick;
  }

  /**
   * A free slot for `peer`, counting the slots promised to other joins still being
   * authenticated as taken; -1 if there is none.
   */
  private freeSlot(peer: Peer): number {
    let authenticating = 0;
    for (const p of this.peers) if (p.state === 'authenticating' && p !== peer) authenticating++;
    let free = -1;
    let freeCount = 0;
    for (let i = 0; i < this.maxPlayers; i++) {
      if (this.bySlot[i] === undefined) {
        if (free < 0) free = i;
        freeCount++;
      }
    }
    return freeCount > authenticating ? free : -1;
  }

  private newToken(): number {
    for (;;) {
      const token = randomBytes(4).readUInt32BE(0);
      if (!this.byToken.has(token)) return token;
    }
  }

  /**
   * Removes a playing peer from the match: a leave for the assembler (named in the next
   * frame), a goodbye for the client, and the connection closed.
   */
  private dropPeer(peer: Peer, reason: LeaveReason, message: string, tellAssembler = true): void {
    if (peer.state !== 'playing' || peer.dropping) return;
    peer.dropping = true;
    const { playerId, username } = peer;
    if (reason !== 'left') {
      this.sendTcp(peer, {
        type: MessageType.Goodbye,
        reason,
        message: message.slice(0, Limits.reasonLength),
      });
      this.eventsSubject.next({ type: 'drop', playerId, username, reason, message });
    }
    this.releasePeer(peer);
    if (tellAssembler) this.lockstepEvents.next({ type: 'leave', playerId, reason });
    // Gone before its first frame (a join spread to a later tick): the assembler cancels
    // the join and no frame will name the leave, so the slot is free now.
    if (peer.startTick > this.head) {
      peer.leaveConfirmed = true;
      this.freeSlotOf(peer);
    }
  }

  /** Frees everything a peer holds, except its slot (freed once its leave is confirmed). */
  private releasePeer(peer: Peer): void {
    if (peer.state === 'gone') return;
    const wasPlaying = peer.state === 'playing';
    peer.state = 'gone';
    clearTimeout(peer.joinTimer);
    peer.tcpSub?.unsubscribe();
    peer.inputs$?.complete();
    peer.window$?.complete();
    peer.samples$?.complete();
    if (this.byToken.delete(peer.token)) this.retire(peer);
    this.peers.delete(peer);
    if (!wasPlaying || peer.leaveConfirmed) this.freeSlotOf(peer);
    peer.conn.end();
  }

  private retire(peer: Peer): void {
    const now = performance.now();
    this.retired.set(peer.token, {
      address: peer.address,
      port: peer.udpPort,
      until: now + this.disconnectTimeoutMs,
    });
    for (const [token, r] of this.retired) {
      if (r.until > now && this.retired.size <= 4 * this.maxPlayers) break;
      this.retired.delete(token); // insertion order: the oldest first
    }
  }

  private freeSlotOf(peer: Peer): void {
    if (peer.playerId >= 0 && this.bySlot[peer.playerId] === peer)
      this.bySlot[peer.playerId] = undefined;
  }

  private sendTcp(peer: Peer, msg: ServerTcpMessage): void {
    this.sendBytesTcp(peer, encodeMessage(msg));
  }

  private broadcastTcp(msg: ServerTcpMessage): void {
    const bytes = encodeMessage(msg);
    for (const p of [...this.peers]) {
      if (p.state === 'playing') this.sendBytesTcp(p, bytes);
    }
  }

  /** Sends, and drops a player that reads so little that its backlog passes the bound. */
  private sendBytesTcp(peer: Peer, bytes: Uint8Array): void {
    peer.conn.send(bytes);
    if (
      peer.conn.bufferedBytes > MAX_TCP_BACKLOG_BYTES &&
      peer.state === 'playing' &&
      !peer.dropping
    ) {
      this.warn('buffer-full', `player ${peer.playerId} does not read its TCP connection`, {
        playerId: peer.playerId,
        address: peer.address,
      });
      this.dropPeer(peer, 'error', 'not reading its connection');
    }
  }

  // ------------------------------------------------------------------------------------
  // UDP: inputs in, frames out.

  private onInputs(msg: InputsPacket, d: Datagram): void {
    const peer = this.byToken.get(msg.token);
    if (!peer) {
      // Still in flight from a player who just left: expected, not a warning.
      const retired = this.retired.get(msg.token);
      if (retired && retired.address === d.address && retired.port === d.port) return;
      const known = this.findByAddress(d.address, d.port);
      if (known)
        this.warn('bad-token', 'a datagram with a token that is not its own', {
          playerId: known.playerId,
          address: d.address,
          port: d.port,
        });
      else
        this.warn('unknown-sender', 'a datagram from an address that never joined', {
          address: d.address,
          port: d.port,
        });
      return;
    }
    if (peer.address === d.address && peer.udpPort !== d.port && !peer.udpHeard) {
      // The first datagram with this token, from the player's own IP but another port: a
      // NAT in between rewrote the port. That port is the player's from now on.
      peer.udpPort = d.port;
    }
    if (peer.address !== d.address || peer.udpPort !== d.port) {
      this.warn('bad-token', `player ${peer.playerId}'s token from another address`, {
        playerId: peer.playerId,
        address: d.address,
        port: d.port,
      });
      return;
    }
    peer.udpHeard = true;
    peer.lastHeardAt = performance.now();
    peer.meter.onReceived(d.data.length, msg.seq, msg.sentAt);
    peer.meter.onPeerLoss(msg.rxLoss);
    if (msg.linkReport) peer.meter.onPeerRtt(msg.linkReport.rttMs, msg.linkReport.jitterMs);
    if (msg.frameAck > peer.frameAck) {
      peer.frameAck = msg.frameAck;
      peer.window$?.next({ type: 'ack', key: msg.frameAck });
    }
    for (const c of msg.checksums) {
      if (c.tick <= peer.checksumAck) continue;
      // A checksum is of a state after a confirmed frame this player had: anything else is
      // not trusted (acknowledged, so it is not sent again, and reported).
      if (c.tick >= this.head || c.tick < peer.startTick) {
        if (c.tick >= this.head) break; // not confirmed yet: taken when it is
        peer.checksumAck = c.tick;
        this.warn('lockstep', `checksum for tick ${c.tick}, before the player joined`, {
          playerId: peer.playerId,
        });
        continue;
      }
      peer.checksumAck = c.tick;
      this.onChecksum(peer.playerId, c.tick, c.checksum);
    }
    const inputs$ = peer.inputs$;
    if (!inputs$) return;
    // Inputs the assembler would refuse (too far ahead) are neither fed nor acknowledged:
    // the client sends them again, and they are taken once the game has caught up.
    const limit = this.head + this.maxTicksAhead;
    for (let i = 0; i < msg.inputs.length; i++) {
      const tick = msg.firstTick + i;
      if (tick <= peer.inputAck) continue; // already have it
      if (tick >= limit) break;
      inputs$.next({ tick, input: msg.inputs[i] });
      if (peer.state !== 'playing') return;
    }
  }

  private findByAddress(address: string, port: number): Peer | undefined {
    for (const p of this.peers)
      if (p.state === 'playing' && p.address === address && p.udpPort === port) return p;
    return undefined;
  }

  private onFrame(frame: ConfirmedFrame): void {
    this.head = frame.tick + 1;
    this.joinBytes.delete(frame.tick);
    if (frame.left) {
      for (const l of frame.left) {
        const peer = this.bySlot[l.playerId];
        if (!peer) continue;
        peer.leaveConfirmed = true;
        // The assembler timed it out: tell the client and close.
        if (peer.state === 'playing') this.dropPeer(peer, l.reason, 'stalled the game', false);
        else this.freeSlotOf(peer);
      }
    }
    const push = { type: 'push', item: frame } as const; // one command for every player
    for (const peer of this.bySlot) {
      if (!peer || peer.state !== 'playing' || frame.tick < peer.startTick) continue;
      peer.window$!.next(push);
      peer.dirty = true;
    }
    this.scheduleFlush();
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

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After every datagram of this event-loop turn: one send per player for all of them.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.closing) return;
      this.bodies.clear();
      for (const peer of this.bySlot)
        if (peer && peer.dirty && peer.state === 'playing') this.sendFrames(peer);
    });
  }

  /** Resends to players not sent to for a tick, and drops the silent ones. */
  private onTick(): void {
    const now = performance.now();
    this.bodies.clear();
    for (const peer of [...this.peers]) {
      if (peer.state !== 'playing') continue;
      if (now - peer.lastHeardAt > this.disconnectTimeoutMs) {
        this.dropPeer(peer, 'timeout', `nothing heard for ${this.disconnectTimeoutMs} ms`);
        continue;
      }
      if (now - peer.lastSentAt >= this.tickMs * 1.5) this.sendFrames(peer);
    }
  }

  private sendFrames(peer: Peer): void {
    peer.dirty = false;
    peer.window$!.next(SEND);
    const echo = peer.meter.echo();
    const { bytes } = encodeFramesPacket(
      {
        type: MessageType.Frames,
        seq: peer.meter.takeSeq(),
        echoSentAt: echo.echoSentAt,
        echoDelayMs: echo.echoDelayMs,
        inputAck: peer.inputAck,
        rxLoss: peer.meter.rxLossByte(),
        checksumAck: peer.checksumAck,
        frames: peer.batch,
      },
      this.ctx,
      this.datagramBytes,
      this.bodies,
    );
    // Only frames packets count for the resend cadence (they carry the acks too): world
    // state sent every tick must not hold back a lost frame's resend.
    peer.lastSentAt = performance.now();
    this.sendUdp(peer, bytes);
  }

  private sendUdp(peer: Peer, bytes: Uint8Array): void {
    peer.meter.onSent(bytes.length);
    this.udp.send(bytes, peer.udpPort, peer.address);
  }

  // ------------------------------------------------------------------------------------
  // Desync detection and statistics.

  /**
   * One player's checksum for a tick: compared with the other players' for the same tick.
   * The first tick where two differ is reported once, to the server and every client.
   */
  private onChecksum(playerId: number, tick: number, checksum: number): void {
    if (this.desync) return;
    if (tick >= this.head + 1024) {
      this.warn('lockstep', `checksum for tick ${tick} is far ahead of the game`, { playerId });
      return;
    }
    let forTick = this.checksums.get(tick);
    if (!forTick) {
      forTick = new Map();
      this.checksums.set(tick, forTick);
      // Bound: keep the newest 1024 ticks.
      if (this.checksums.size > 1024) {
        const oldest = Math.min(...this.checksums.keys());
        this.checksums.delete(oldest);
      }
    }
    forTick.set(playerId, checksum);
    for (const other of forTick.values()) {
      if (other === checksum) continue;
      const event: DesyncEvent = {
        type: 'desync',
        tick,
        checksums: [...forTick]
          .map(([id, c]) => ({ playerId: id, checksum: c }))
          .sort((a, b) => a.playerId - b.playerId),
      };
      this.desync = event;
      this.checksums.clear();
      this.eventsSubject.next(event);
      this.broadcastTcp({ type: MessageType.Desync, tick, checksums: event.checksums });
      return;
    }
  }

  /** The desync found, if any (the first tick whose checksums differ). */
  get desyncDetected(): DesyncEvent | undefined {
    return this.desync;
  }

  private takeSamples(): void {
    for (const peer of this.bySlot) {
      if (!peer || peer.state !== 'playing' || !peer.samples$) continue;
      peer.samples$.next(
        peer.meter.sample(peer.unacked, Math.max(0, this.head - 1 - peer.frameAck)),
      );
    }
  }

  private onLockstepWarning(w: LockstepWarning): void {
    const code: WarningCode = w.code === 'too-far-ahead' ? 'input-too-far-ahead' : 'lockstep';
    this.warn(code, w.message, { playerId: w.playerId });
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}

/** Bytes queued on one TCP connection before its player is dropped for not reading. */
const MAX_TCP_BACKLOG_BYTES = 256 * 1024;

/** The send command, one object for every send (this runs per player per tick). */
const SEND = { type: 'send' } as const;

/** Join events (names) one frame may carry; more joins at once go to the next ticks. */
const JOIN_BYTES_PER_TICK = 300;

/**
 * The largest frames packet of one frame: every slot with a changed input, a leave event
 * naming every slot, the joins a frame may carry, and the largest header.
 */
function worstFramePacketBytes(maxPlayers: number, inputSize: number): number {
  const bits = maxPlayers + 1 + maxPlayers * (1 + 8 * inputSize);
  return Math.ceil(bits / 8) + Math.ceil(maxPlayers / 8) + 15 + JOIN_BYTES_PER_TICK + 60;
}

/**
 * Starts a lockstep server: a TCP listener for joins and chat, and one UDP socket for
 * every player's inputs and frames.
 *
 * Resolves once both sockets listen; `server.address` has the ports (0 picks free ones).
 *
 * @example
 * const server = await createServer({ port: 0, tickRate: 60, inputSize: 2, maxPlayers: 4 });
 * server.frames$.subscribe((f) => console.log(f.tick, f.inputs));
 * // ...
 * await server.close();
 *
 * @param options Where to listen and the rules of the match; every option has a default.
 * @returns The running server.
 */
export async function createServer(options: ServerOptions = {}): Promise<GameServer> {
  const host = options.host ?? '127.0.0.1';
  const inputSize = options.inputSize ?? 2;
  const maxPlayers = options.maxPlayers ?? 8;
  const tickRate = options.tickRate ?? 60;
  if (!Number.isInteger(inputSize) || inputSize < 1 || inputSize > Limits.maxInputSize)
    throw new RangeError(`inputSize must be an integer in 1..${Limits.maxInputSize}`);
  if (!Number.isInteger(maxPlayers) || maxPlayers < 1 || maxPlayers > Limits.maxPlayers)
    throw new RangeError(`maxPlayers must be an integer in 1..${Limits.maxPlayers}`);
  if (!Number.isInteger(tickRate) || tickRate < 1 || tickRate > 1000)
    throw new RangeError('tickRate must be an integer in 1..1000');
  const datagramBytes = options.datagramBytes ?? Limits.datagramBytes;
  if (
    !Number.isInteger(datagramBytes) ||
    datagramBytes < 256 ||
    datagramBytes > Limits.maxDatagramBytes
  )
    throw new RangeError(`datagramBytes must be an integer in 256..${Limits.maxDatagramBytes}`);
  const worst = worstFramePacketBytes(maxPlayers, inputSize);
  if (worst > datagramBytes)
    throw new RangeError(
      `${maxPlayers} players with ${inputSize}-byte inputs make frames of up to ${worst} bytes, ` +
        `over the ${datagramBytes}-byte datagram budget: lower maxPlayers or inputSize`,
    );
  const positiveInteger = (name: string, value: number | undefined, min = 1): void => {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= min))
      throw new RangeError(`${name} must be an integer >= ${min}`);
  };
  const positiveTime = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(value > 0)) throw new RangeError(`${name} must be > 0`);
  };
  positiveInteger('maxPendingJoins', options.maxPendingJoins);
  positiveInteger('maxUnackedFrames', options.maxUnackedFrames);
  // A burst of joins is spread over this many ticks at most: the assembler must take them.
  const joinSpread = Math.ceil(
    (maxPlayers * (12 + 4 * Limits.usernameLength)) / JOIN_BYTES_PER_TICK,
  );
  positiveInteger('maxTicksAhead', options.maxTicksAhead, joinSpread + 1);
  positiveTime('disconnectTimeoutMs', options.disconnectTimeoutMs);
  positiveTime('joinTimeoutMs', options.joinTimeoutMs);
  positiveTime('statsIntervalMs', options.statsIntervalMs);
  const transport = options.transport ?? nodeTransport;
  const udp = await transport.bindDatagrams({ host, port: options.udpPort ?? 0 });
  let tcp: MessageListener;
  try {
    // Room for the largest client message: a state snapshot.
    tcp = await transport.listen({
      host,
      port: options.port ?? 0,
      maxMessageBytes: Limits.tcpMessageBytes,
    });
  } catch (err) {
    await udp.close();
    throw err;
  }
  try {
    return new GameServer(udp, tcp, { ...options, host });
  } catch (err) {
    await Promise.all([udp.close(), tcp.close()]);
    throw err;
  }
}
