// A player's session with a server: inputs out, confirmed frames in, chat, world state, stats.
import { Observable, Subject, Subscription, map } from 'rxjs';
import { disagreeingPlayers } from '../match/Desync.js';
import type { ClientNetworkEvent, DisconnectedEvent } from '../events.js';
import { typedEmitter } from '../emitter.js';
import { Link } from '../link/Link.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import {
  Limits,
  MessageType,
  decodeServerTcp,
  decodeServerUdp,
  encodeMessage,
  type ClientTcpMessage,
  type CodecContext,
  type JoinAccepted,
  type WatchAccepted,
  type ServerUdpMessage,
} from '../protocol/index.js';
import type { NetworkStats } from '../stats.js';
import type {
  DatagramChannel,
  DatagramPath,
  TransportPeer,
  TransportWarning,
} from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerInfo } from '../types.js';
import { ChecksumReports, MAX_PENDING_CHECKSUMS } from './ChecksumReports.js';
import { ClientConnection, type Connection, type ConnectionOwner } from './ClientConnection.js';
import { emitNetworkEvent, type ClientEvents } from './ClientEvents.js';
import { ClientInputs, type TickInput } from './ClientInputs.js';
import { ClientStats } from './ClientStats.js';
import { FrameDelivery, MAX_HELD_FRAMES } from './FrameDelivery.js';
import { Reconnector } from './Reconnector.js';
import { TickClock } from './TickClock.js';
import { chooseInputDelay } from './autoInputDelay.js';
import { inputsPacket } from './inputsPacket.js';
import { checkInputDelay, type ResolvedConnectOptions } from './options.js';
import { takeSnapshot } from './snapshots.js';

export type { ClientEvents } from './ClientEvents.js';
export type { Connection } from './ClientConnection.js';

/**
 * A player's session with a lockstep server, across reconnects. Made by `connect`.
 *
 * The server holds a seat for it at once; the match's frames come from its first tick (a
 * catch-up over the reliable channel, then live). The player takes part in the frames once
 * it is ready: call `ready()` when the game has loaded, or just start calling `sendInput`
 * once per local tick (the first call says ready). Run the simulation on `frames$`.
 */
export class GameClient extends typedEmitter<ClientEvents>() implements ConnectionOwner {
  /** This player's slot: its index in every frame's `inputs` (-1 for a spectator). */
  readonly playerId: number;
  /** It watches the match (`spectate: true`): no slot, no input. */
  readonly spectating: boolean;
  /** A spectator's frames come this many ticks after they are confirmed (0 for a player). */
  readonly spectatorDelayTicks: number;
  /** The name this player joined with. */
  readonly username: string;
  /** Ticks per second the match runs at (the server's `tickRate`). */
  readonly tickRate: number;
  /** Bytes in one player's input for one tick (the server's `inputSize`). */
  readonly inputSize: number;
  /** Player slots in the match (the server's `maxPlayers`): the length of every frame's `inputs`. */
  readonly maxPlayers: number;
  /** The tick of the first frame `frames$` delivers (0, or a snapshot's tick). */
  readonly firstTick: number;
  /** The players in the match just before `firstTick`. */
  readonly initialPlayers: readonly PlayerInfo[];
  /**
   * The world before frame `firstTick`, when the match is longer than the server's frame
   * log: the game starts from it (see `provideSnapshot`) instead of its initial world.
   */
  readonly snapshot:
    | {
        /** The tick of the first frame after it (`firstTick`). */
        readonly tick: number;
        /** The bytes the game's `provideSnapshot` gave. */
        readonly data: Uint8Array;
      }
    | undefined;

  /**
   * Confirmed frames from `firstTick` on: consecutive ticks, each once, in order, across
   * reconnects. They are held until `frames$` has its first subscriber (or the first
   * `on('frame')` listener), so whenever the game subscribes, it gets them all.
   */
  readonly frames$: Observable<ConfirmedFrame>;
  /**
   * The game's tick clock: emits the local tick (`currentTick`) each time the game should
   * sample its controller and call `sendInput`, about `tickRate` times a second, paced by the
   * server so this player's inputs arrive in step with the others' (the Frames packets'
   * `inputLead`): a little slower when they arrive ahead, faster when behind (by at most a
   * quarter, changing a little each tick; no bursts after a throttled tab). It runs while
   * subscribed, and completes when the session ends.
   *
   * @example
   * ```ts
   * client.ticks$.pipe(map(readController)).subscribe((input) => client.sendInput(input));
   * client.frames$.subscribe((frame) => world.step(frame));
   * ```
   */
  readonly ticks$: Observable<number>;
  private readonly clock: TickClock;
  /** World-state bytes the server sent to this player (newest only; some may be lost). */
  readonly worldState$: Observable<Uint8Array>;
  /** Chat lines from every player and the server. */
  readonly chat$: Observable<ChatMessage>;
  /**
   * Warnings, desyncs, `seated`, `caught-up`, `reconnecting`, `reconnected`, and
   * `disconnected` when the session ends.
   */
  readonly events$: Observable<ClientNetworkEvent>;
  /** Network statistics about once every `statsIntervalMs` (default a second). */
  readonly stats$: Observable<NetworkStats>;
  /** Resolves with the reason once the session has ended, whoever ended it. */
  readonly closed: Promise<DisconnectedEvent>;
  /** Resolves with `startTick` once this player's join has taken effect (after `ready()`). */
  readonly seated: Promise<number>;
  /**
   * Resolves with the first live tick once `frames$` has delivered every frame the match had
   * confirmed when this player joined (the catch-up).
   */
  readonly caughtUp: Promise<number>;

  private readonly worldSubject = new Subject<Uint8Array>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<ClientNetworkEvent>();
  private readonly subs = new Subscription();
  private readonly keepalive: ReturnType<typeof setInterval>;
  private readonly delivery: FrameDelivery;
  private readonly inputs: ClientInputs;
  private readonly statistics: ClientStats;
  private readonly reconnector: Reconnector;
  private link: Link<TickInput>;
  private readonly ctx: CodecContext;
  private readonly checksums = new ChecksumReports();
  private peer: TransportPeer;
  private conn: ClientConnection;
  private token: Uint8Array;
  private seatedAt = -1;
  private readySent = false;
  /** A snapshot the server asked for: the tick it is of. */
  private snapshotAsked: number | undefined;
  /** A spectator was told CaughtUp: the CatchUp messages after it carry live frames. */
  private watchingLive = false;
  private checksumsFull = false;
  private ended = false;
  private resolveClosed!: (e: DisconnectedEvent) => void;
  private resolveSeated!: (tick: number) => void;

  /** @internal Use `connect`. */
  constructor(
    peer: TransportPeer,
    accepted: JoinAccepted | WatchAccepted,
    private readonly options: ResolvedConnectOptions,
    /** Opens a new connection to the seat (a reconnect); rejects if it cannot. */
    private readonly redial: (token: Uint8Array, lastTick: number) => Promise<void>,
    /** This session began with a reconnect (after a restart): it is seated already. */
    resumed = false,
  ) {
    super();
    this.peer = peer;
    const seated = accepted.type === MessageType.JoinAccepted ? accepted : undefined;
    this.spectating = seated === undefined;
    this.spectatorDelayTicks = seated ? 0 : (accepted as WatchAccepted).delayTicks;
    this.playerId = seated ? seated.playerId : -1;
    this.username = options.username;
    this.tickRate = accepted.tickRate;
    this.inputSize = accepted.inputSize;
    this.maxPlayers = accepted.maxPlayers;
    this.firstTick = accepted.firstTick;
    this.initialPlayers = accepted.players;
    this.snapshot = accepted.snapshot && { tick: accepted.firstTick, data: accepted.snapshot };
    this.token = seated ? seated.reconnectToken : new Uint8Array(0);
    this.readySent = resumed || this.spectating;
    this.ctx = { inputSize: accepted.inputSize, maxPlayers: accepted.maxPlayers };
    this.inputs = new ClientInputs({
      inputSize: accepted.inputSize,
      maxUnackedInputs: options.maxUnackedInputs,
      inputDelay: () => this.options.inputDelay,
      link: () => this.link,
      warn: this.warn,
    });
    this.link = this.newLink(accepted.firstTick);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.seated = new Promise((resolve) => (this.resolveSeated = resolve));
    // Frames wait for the game; live ones go through the playout buffer if there is one.
    this.delivery = new FrameDelivery({
      firstTick: accepted.firstTick,
      players: accepted.players,
      tickRate: accepted.tickRate,
      playoutDelayMs: options.playoutDelayMs,
      receive: (first, count) => this.link.receive(first, count),
      delivered: (tick) => {
        if (this.snapshotAsked === tick + 1) this.sendStateSnapshot(tick + 1);
      },
      caughtUp: (tick) => this.eventsSubject.next({ type: 'caught-up', tick }),
      overflow: (held) => {
        this.warn('buffer-full', `${held} frames held: frames$ is not read`);
        this.end('connection-lost', `${MAX_HELD_FRAMES} frames held and not read from frames$`);
      },
      ended: () => this.ended,
    });
    this.caughtUp = this.delivery.caughtUp;
    this.frames$ = this.delivery.frames$;
    this.autoDelay = options.autoInputDelay;
    this.clock = new TickClock({ tickRate: accepted.tickRate });
    this.clock.start(accepted.firstTick);
    this.ticks$ = this.clock.ticks$.pipe(map((n) => this.inputs.schedule?.localTick ?? n));
    this.worldState$ = this.worldSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.reconnector = new Reconnector({
      timeoutMs: options.reconnectTimeoutMs,
      redial: () => this.redial(this.token, this.link.received),
      onAttempt: (attempt, message) =>
        this.eventsSubject.next({ type: 'reconnecting', attempt, message }),
      onGiveUp: (message) => this.end('connection-lost', message),
      ended: () => this.ended,
    });
    this.delivery.framesSubject.subscribe((f) => this.emit('frame', f));
    this.worldSubject.subscribe((w) => this.emit('worldState', w));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => emitNetworkEvent(this, e));
    this.subs.add(this.delivery.playing);

    // Statistics: counters sampled on a timer, turned into rates.
    this.statistics = new ClientStats({
      intervalMs: options.statsIntervalMs,
      link: () => this.link,
      framesBehind: () => this.delivery.framesBehind(),
      path: () => this.pathNow(),
      sampled: (stats) => {
        if (!this.autoDelay) return;
        const { rttMs, jitterMs } = stats.now();
        const { inputDelay: current, tickRate } = this;
        const next = chooseInputDelay({ rttMs, jitterMs, tickRate, current });
        if (next !== current) this.applyInputDelay(next);
      },
    });
    this.subs.add(this.statistics.sampling);
    this.stats$ = this.statistics.stats.asObservable();
    this.statistics.stats.subscribe((st) => this.emit('stats', st));

    this.conn = new ClientConnection(this, peer);
    // Keep the server hearing from us (acks, resends) when the game sends no input.
    this.keepalive = setInterval(() => {
      // A frozen server, or a path that died without a reset (issue 18).
      const silent = this.link.silentForMs;
      if (!this.reconnector.active && silent > options.serverTimeoutMs)
        return this.lose(`nothing heard from the server for ${Math.round(silent)} ms`);
      if (this.link.resendDue) this.sendPacket();
    }, 1000 / accepted.tickRate);
  }

  /** Listens to an event; a first `frame` listener starts the delivery of frames, as `frames$` does. */
  override on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    super.on(event, listener);
    if (event === 'frame') this.delivery.start();
    return this;
  }

  /** @internal The current connection. */
  get connection(): Connection {
    return this.conn;
  }

  /** @internal Resolves once datagrams can flow on the current connection. */
  get opened(): Promise<void> {
    return this.conn.opened;
  }

  private newLink(receiveFrom: number): Link<TickInput> {
    return new Link<TickInput>({
      key: (i) => i.tick,
      capacity: this.options.maxUnackedInputs,
      sendFrom: this.inputs.nextTick,
      receiveFrom,
      resendAfterMs: (1000 / this.tickRate) * 1.5,
    });
  }

  /** The path datagrams take now (stats are sampled once before the first connection is set). */
  private pathNow(): DatagramPath | undefined {
    const conn = this.conn as ClientConnection | undefined;
    return conn?.channel?.path;
  }

  /** @internal The datagram channel of connection `conn` opened. */
  attach(conn: ClientConnection, channel: DatagramChannel): void {
    if (this.ended || conn !== this.conn) {
      channel.close();
      return;
    }
    conn.channel = channel;
    conn.own(
      serviceDatagrams({
        channel,
        conditioner: this.options.conditioner,
        decode: (bytes) => decodeServerUdp(bytes, this.ctx),
        onMessage: (msg, bytes) => this.onServerDatagram(msg, bytes),
        onFailure: (err) => this.lose(`datagram channel failed: ${err.message}`),
        onDecodeError: (error) =>
          this.warn('decode-error', `bad datagram: ${error.message}`, { error }),
      }),
    );
    this.sendPacket(); // the server learns where this client is from its first datagram
  }

  /**
   * The first tick this player sends an input for, and the first frame naming it in
   * `joined`; `-1` until it is seated (see `seated`). After a return from away, the tick
   * its inputs counted from again.
   */
  get startTick(): number {
    return this.seatedAt;
  }

  /**
   * The single-use token that gets this seat back on a new connection: save it (with
   * `lastFrameTick`) to reconnect after a restart, with `connect({ reconnectToken })`. A
   * new one is issued at each reconnect.
   */
  get reconnectToken(): Uint8Array {
    return this.token.slice();
  }

  /**
   * True while `frames$` delivers a frame of a catch-up (one the match confirmed before this
   * player joined or came back, sent over the reliable channel): a game may skip rendering
   * it and just step its world.
   */
  get catchingUp(): boolean {
    return this.delivery.catchingUp;
  }

  /** Ticks of input sent so far since it was seated (or inputs held before it was). */
  get inputsSent(): number {
    const { schedule } = this.inputs;
    return schedule ? schedule.nextTick - this.seatedAt : this.inputs.earlyCount;
  }

  /** The last tick up to which every frame has arrived (`firstTick - 1` before the first). */
  get lastFrameTick(): number {
    return this.link.received;
  }

  /** The current input delay in ticks. */
  get inputDelay(): number {
    return this.inputs.schedule?.delay ?? this.options.inputDelay;
  }

  /** The local tick the next `sendInput` is sampled at (its input goes to `localTick + inputDelay`); `-1` until seated. */
  get currentTick(): number {
    return this.inputs.schedule?.localTick ?? -1;
  }

  /** Checksum reports not yet acknowledged by the server (wait for 0 before closing, to be sure every report arrived). */
  get unacknowledgedChecksums(): number {
    return this.checksums.pending.length;
  }

  /**
   * Changes the input delay, safely at any time. A longer delay fills the ticks it skips
   * with the last input sent (a held button stays held); a shorter one drops the inputs
   * sampled for ticks that already have one, until local time catches up.
   * @param ticks 0..128.
   */
  setInputDelay(ticks: number): void {
    this.autoDelay = false;
    this.applyInputDelay(ticks);
  }

  /** `inputDelay: 'auto'` until `setInputDelay` is called. */
  private autoDelay: boolean;

  private applyInputDelay(ticks: number): void {
    if (this.inputs.schedule) this.inputs.schedule.delay = ticks;
    else (this.options as { inputDelay: number }).inputDelay = checkInputDelay(ticks);
  }

  /** Network statistics now (rates and loss are those of the last interval). */
  getStats(): NetworkStats {
    return this.statistics.now();
  }

  /**
   * Reports a checksum of this player's simulation state after `tick`. The server compares
   * the checksums of every player for the same tick and reports the first tick where they
   * differ as a `desync` event, on `server.events$` and on every client's `events$`.
   * Reports travel in input packets until acknowledged; at most 64 wait at once (the oldest
   * are dropped beyond that, with a warning).
   * @param tick A tick this client has the frame of.
   * @param checksum An unsigned 32-bit integer.
   */
  reportChecksum(tick: number, checksum: number): void {
    ChecksumReports.check(tick, checksum);
    if (this.ended) return;
    const dropped = this.checksums.add(tick, checksum);
    // Reported once until the reports flow again (away, a long catch-up: one warning, not many).
    if (dropped && !this.checksumsFull)
      this.warn(
        'buffer-full',
        `checksum report for tick ${dropped.tick} dropped: ${MAX_PENDING_CHECKSUMS} unacknowledged (more may follow)`,
      );
    this.checksumsFull = dropped !== undefined;
  }

  /**
   * This player is ready (the game has loaded): its join takes effect at a tick the server
   * names (`seated`, a `seated` event, `startTick`). Until then it holds its seat, gets chat
   * and frames, and stalls nobody. The first `sendInput` calls it. Safe to call again.
   */
  ready(): void {
    if (this.readySent || this.ended) return;
    this.readySent = true;
    this.sendTcp({ type: MessageType.Ready });
  }

  /**
   * Sends this player's input for the next tick (`startTick`, then one more each call),
   * with every input the server has not acknowledged yet. Does nothing once closed.
   *
   * The first call says `ready()`. Inputs given before the seat is taken (before `seated`
   * resolves) are kept, up to `maxUnackedInputs`, and go to the ticks from `startTick` on.
   * @param input Exactly `inputSize` bytes. It is copied.
   * @throws RangeError if it is not `inputSize` bytes; Error for a spectator.
   */
  sendInput(input: Uint8Array): void {
    if (this.spectating) throw new Error('a spectator has no input');
    if (!(input instanceof Uint8Array) || input.length !== this.inputSize)
      throw new RangeError(`an input is ${this.inputSize} bytes`);
    if (this.ended) return;
    this.ready();
    if (this.inputs.take(input)) this.sendPacket();
  }

  /** Sends a chat line to every player (over TCP). */
  sendChat(text: string): void {
    if (text.length > Limits.chatLength)
      throw new RangeError(`chat is over ${Limits.chatLength} characters`);
    this.sendTcp({ type: MessageType.Chat, text });
  }

  /** Leaves the match and closes every socket. Safe to call more than once, or after the server went away. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.sendTcp({ type: MessageType.Leave });
      this.end('closed', 'closed by this client');
    }
    await this.closed;
  }

  private sendPacket(): void {
    const channel = this.conn.channel;
    if (this.ended || !channel) return;
    const { ctx, options } = this;
    channel.send(
      inputsPacket(this.link, this.inputs.nextTick, this.checksums, ctx, options.datagramBytes),
    );
  }

  private onServerDatagram(msg: ServerUdpMessage, bytes: number): void {
    const { link } = this;
    if (msg.type === MessageType.WorldState) {
      if (link.acceptWorld(msg.seq)) this.worldSubject.next(msg.data);
      return;
    }
    link.heard();
    link.meter.onReceived(bytes, msg.seq);
    link.meter.onEcho(msg.echoSentAt, msg.echoDelayMs);
    link.meter.onPeerLoss(msg.rxLoss);
    if (this.inputs.schedule) link.acknowledged(msg.inputAck);
    this.checksums.acknowledged(msg.checksumAck);
    if (msg.inputLead !== undefined) this.clock.feedback(msg.inputLead / 8);
    this.delivery.receive(msg.frames, false);
  }

  /** @internal A message on the reliable channel of `conn`, after the join answer. */
  onMessage(conn: ClientConnection, bytes: Uint8Array): void {
    if (conn !== this.conn || this.ended) return;
    let msg;
    try {
      msg = decodeServerTcp(bytes, this.ctx);
    } catch (err) {
      const error = err as Error;
      this.warn('decode-error', `bad TCP message: ${error.message}`, { error });
      return;
    }
    switch (msg.type) {
      case MessageType.ChatBroadcast:
        this.chatSubject.next({ from: msg.from, text: msg.text });
        return;
      case MessageType.Goodbye:
        this.end(msg.reason, msg.message);
        return;
      case MessageType.Desync:
        this.eventsSubject.next({
          type: 'desync',
          tick: msg.tick,
          checksums: msg.checksums,
          disagreeing: disagreeingPlayers(msg.checksums),
        });
        if (!this.spectating) this.sendSnapshot(msg.tick);
        return;
      case MessageType.SignalToClient:
        conn.peer.signal(msg.data);
        return;
      case MessageType.CatchUp:
        // A spectator's live frames come this way too, after its CaughtUp.
        this.delivery.receive(msg.frames, !this.watchingLive);
        return;
      case MessageType.CaughtUp:
        this.watchingLive = this.spectating;
        this.delivery.caughtUpAt(msg.tick);
        return;
      case MessageType.Seated:
        this.onSeated(msg.tick);
        return;
      case MessageType.SnapshotRequest:
        if (msg.tick > this.delivery.lastDelivered + 1 && this.options.provideSnapshot)
          this.snapshotAsked = msg.tick;
        return;
      default:
        this.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
  }

  /** Its inputs count from `tick` on: its join, or its return after being away. */
  private onSeated(tick: number): void {
    this.seatedAt = tick;
    const first = this.inputs.seat(tick);
    this.link.restartSending(tick);
    this.eventsSubject.next({ type: 'seated', tick });
    if (first) this.resolveSeated(tick);
    this.inputs.takeEarly(); // the inputs given while waiting, for the ticks from `tick` on
    this.sendPacket();
  }

  /** After a desync: this player's state snapshot for the desync tick, if the game gives one. */
  private sendSnapshot(tick: number): void {
    const data = takeSnapshot(this.options.snapshot, tick, this.warn, {
      threwCode: 'snapshot-failed',
      what: 'the snapshot function',
      tooBigCode: 'buffer-full',
    });
    if (data) this.sendTcp({ type: MessageType.Snapshot, tick, data });
  }

  /** The server asked for the world before frame `tick`: it is now (frame `tick - 1` delivered). */
  private sendStateSnapshot(tick: number): void {
    this.snapshotAsked = undefined;
    const data = takeSnapshot(this.options.provideSnapshot, tick, this.warn, {
      threwCode: 'provide-snapshot-failed',
      what: 'provideSnapshot',
      tooBigCode: 'provide-snapshot-failed',
    });
    if (data) this.sendTcp({ type: MessageType.SnapshotOffer, tick, data });
  }

  /** @internal The reliable channel of `conn` ended (`error` set when it failed). */
  onClosed(conn: ClientConnection, error: Error | undefined): void {
    if (conn !== this.conn) return;
    this.lose(
      error
        ? `connection to the server failed: ${error.message}`
        : 'the server closed the connection',
    );
  }

  /**
   * The connection is lost: the client reconnects to its seat, with backoff, for
   * `reconnectTimeoutMs`; `frames$` stays open meanwhile.
   */
  private lose(message: string): void {
    if (this.ended || this.reconnector.active) return;
    if (this.options.reconnectTimeoutMs === 0 || this.spectating)
      return this.end('connection-lost', message);
    this.conn.close();
    this.reconnector.start(message);
  }

  /** @internal A reconnect was accepted on `peer`: this session goes on over it. */
  reattach(peer: TransportPeer, accepted: JoinAccepted): Connection {
    this.conn.close();
    if (accepted.firstTick !== this.link.received + 1)
      this.warn(
        'catch-up-incomplete',
        `the frames go on from tick ${accepted.firstTick}, not ${this.link.received + 1}`,
      );
    this.peer = peer;
    this.token = accepted.reconnectToken;
    this.link = this.newLink(accepted.firstTick);
    this.conn = new ClientConnection(this, peer);
    this.eventsSubject.next({ type: 'reconnected', tick: accepted.firstTick });
    return this.conn;
  }

  /** @internal The handshake on `conn` did not complete. */
  abandoned(conn: ClientConnection, message: string): void {
    if (this.reconnector.active)
      conn.close(); // the reconnect tries again
    else this.end('connection-lost', message);
  }

  /** @internal A transport warning on one of its connections. */
  transportWarning(w: TransportWarning): void {
    this.warn(w.code, w.message, { address: w.address, port: w.port, error: w.error });
  }

  private sendTcp(msg: ClientTcpMessage): void {
    if (this.reconnector.active) return; // nobody to send to: the reconnect restores the state
    this.peer.messages.send(encodeMessage(msg));
  }

  /** @internal Ends the session: every socket closed, every stream completed. */
  end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    this.statistics.stop();
    this.clock.stop();
    this.reconnector.stop();
    this.subs.unsubscribe();
    this.conn.close();
    this.link.clear();
    const event: DisconnectedEvent = { type: 'disconnected', reason, message };
    this.eventsSubject.next(event);
    this.delivery.complete();
    this.worldSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.statistics.complete();
    this.resolveClosed(event);
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}
