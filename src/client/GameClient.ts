// A player's session with a server: inputs out, confirmed frames in, chat, world state, stats.
import { Observable, Subject, Subscription, map } from 'rxjs';
import { disagreeingPlayers } from '../match/Desync.js';
import { JoinRefusedError } from '../errors.js';
import type {
  CaughtUpEvent,
  ClientNetworkEvent,
  DesyncEvent,
  DisconnectedEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  SeatedEvent,
  WarningEvent,
} from '../events.js';
import { typedEmitter } from '../emitter.js';
import { Link } from '../link/Link.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import { Roster } from '../match/Roster.js';
import { networkStats } from '../operators/networkStats.js';
import { playout } from '../operators/playout.js';
import {
  Limits,
  MessageType,
  decodeServerTcp,
  decodeServerUdp,
  encodeInputsPacket,
  encodeMessage,
  type ClientTcpMessage,
  type CodecContext,
  type JoinAccepted,
  type WatchAccepted,
  type ServerUdpMessage,
} from '../protocol/index.js';
import type { LinkSample, NetworkStats } from '../stats.js';
import type {
  DatagramChannel,
  DatagramPath,
  TransportPeer,
  TransportWarning,
} from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerInfo } from '../types.js';
import { ChecksumReports, MAX_PENDING_CHECKSUMS } from './ChecksumReports.js';
import { InputSchedule } from './InputSchedule.js';
import { TickClock } from './TickClock.js';
import { chooseInputDelay } from './autoInputDelay.js';
import { checkInputDelay, type ResolvedConnectOptions } from './options.js';

/** The typed-emitter events of a client: the streams, for code that does not use RxJS. */
export type ClientEvents = {
  /** Each value of `frames$`. */
  frame: (frame: ConfirmedFrame) => void;
  /** Each value of `worldState$`. */
  worldState: (bytes: Uint8Array) => void;
  /** Each value of `chat$`. */
  chat: (message: ChatMessage) => void;
  /** Each warning of `events$`. */
  warning: (event: WarningEvent) => void;
  /** The end of the session, as in `events$`. */
  disconnected: (event: DisconnectedEvent) => void;
  /** A desync, as in `events$`. */
  desync: (event: DesyncEvent) => void;
  /** This player's inputs count from a tick on, as in `events$`. */
  seated: (event: SeatedEvent) => void;
  /** The catch-up is over, as in `events$`. */
  caughtUp: (event: CaughtUpEvent) => void;
  /** A reconnect is tried, as in `events$`. */
  reconnecting: (event: ReconnectingEvent) => void;
  /** The seat is back on a new connection, as in `events$`. */
  reconnected: (event: ReconnectedEvent) => void;
  /** Each value of `stats$`. */
  stats: (stats: NetworkStats) => void;
};

/** One connection of a client to its server (a reconnect makes a new one). @internal */
export interface Connection {
  /** Resolves once its datagrams can flow; rejects if they never can. */
  readonly opened: Promise<void>;
  onMessage(bytes: Uint8Array): void;
  onClosed(error: Error | undefined): void;
  /** Ends `sub` with this connection. */
  own(sub: Subscription): void;
  /** The handshake did not complete: the connection is given up. */
  abandon(message: string): void;
}

/** A frame waiting to be delivered, or the point where the catch-up ends. */
type Held =
  { readonly frame: ConfirmedFrame; readonly catchUp: boolean } | { readonly caughtUp: number };

/**
 * Frames held for a game that does not read `frames$`, at most (more than the default frame
 * log holds of any match): past it the session ends, rather than memory growing.
 */
const MAX_HELD_FRAMES = 1 << 20;

/** Backoff of the reconnects: the first delay, and the longest. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2000;

/** One input for one tick, held until the server acknowledges it. */
interface TickInput {
  readonly tick: number;
  readonly input: Uint8Array;
}

/**
 * A player's session with a lockstep server, across reconnects. Made by `connect`.
 *
 * The server holds a seat for it at once; the match's frames come from its first tick (a
 * catch-up over the reliable channel, then live). The player takes part in the frames once
 * it is ready: call `ready()` when the game has loaded, or just start calling `sendInput`
 * once per local tick (the first call says ready). Run the simulation on `frames$`.
 */
export class GameClient extends typedEmitter<ClientEvents>() {
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

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly worldSubject = new Subject<Uint8Array>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<ClientNetworkEvent>();
  /** Live frames in order, each once, before the playout buffer (if any). */
  private readonly ordered = new Subject<ConfirmedFrame>();
  private readonly statsSubject = new Subject<NetworkStats>();
  private readonly samples = new Subject<LinkSample>();
  private readonly subs = new Subscription();
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private readonly keepalive: ReturnType<typeof setInterval>;
  private link: Link<TickInput>;
  private schedule: InputSchedule | undefined;
  /** Inputs given before the seat was taken: they go to the ticks from `startTick` on. */
  private early: Uint8Array[] = [];
  /** Who is in each slot, as of the last frame received in order. */
  private readonly roster: Roster;
  private readonly ctx: CodecContext;
  private readonly checksums = new ChecksumReports();
  private peer: TransportPeer;
  private conn: ClientConnection;
  private token: Uint8Array;
  private seatedAt = -1;
  private readySent = false;
  private started = false;
  private readonly held: Held[] = [];
  private heldStart = 0;
  private flushing = false;
  private deliveringCatchUp = false;
  /** The last tick pushed into the playout buffer (equal to lastDelivered when it is empty). */
  private lastOrdered: number;
  private lastDelivered: number;
  private newestFrameSeen: number;
  /** A snapshot the server asked for: the tick it is of. */
  private snapshotAsked: number | undefined;
  private everCaughtUp = false;
  /** A spectator was told CaughtUp: the CatchUp messages after it carry live frames. */
  private watchingLive = false;
  private reconnecting = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastStats: NetworkStats | undefined;
  private windowFull = false;
  private earlyFull = false;
  private checksumsFull = false;
  private ended = false;
  private resolveClosed!: (e: DisconnectedEvent) => void;
  private resolveSeated!: (tick: number) => void;
  private resolveCaughtUp!: (tick: number) => void;

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
    this.newestFrameSeen = accepted.firstTick - 1;
    this.lastDelivered = accepted.firstTick - 1;
    this.lastOrdered = accepted.firstTick - 1;
    this.roster = new Roster(accepted.players);
    this.link = this.newLink(accepted.firstTick);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.seated = new Promise((resolve) => (this.resolveSeated = resolve));
    this.caughtUp = new Promise((resolve) => (this.resolveCaughtUp = resolve));

    // Frames wait for the game: the first subscriber starts the delivery.
    this.frames$ = new Observable<ConfirmedFrame>((subscriber) => {
      const sub = this.framesSubject.subscribe(subscriber);
      this.start();
      return sub;
    });
    this.autoDelay = options.autoInputDelay;
    this.clock = new TickClock({ tickRate: accepted.tickRate });
    this.clock.start(accepted.firstTick);
    this.ticks$ = this.clock.ticks$.pipe(map((n) => this.schedule?.localTick ?? n));
    this.worldState$ = this.worldSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.stats$ = this.statsSubject.asObservable();
    this.statsSubject.subscribe((st) => this.emit('stats', st));
    this.framesSubject.subscribe((f) => this.emit('frame', f));
    this.worldSubject.subscribe((w) => this.emit('worldState', w));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => {
      switch (e.type) {
        case 'warning':
          return this.emit('warning', e);
        case 'disconnected':
          return this.emit('disconnected', e);
        case 'desync':
          return this.emit('desync', e);
        case 'seated':
          return this.emit('seated', e);
        case 'caught-up':
          return this.emit('caughtUp', e);
        case 'reconnecting':
          return this.emit('reconnecting', e);
        case 'reconnected':
          return this.emit('reconnected', e);
      }
    });

    // Live frames in order, delivered through the playout buffer if there is one.
    const tickMs = 1000 / accepted.tickRate;
    const delivered$ =
      options.playoutDelayMs !== undefined
        ? this.ordered.pipe(playout({ delayMs: options.playoutDelayMs, intervalMs: tickMs }))
        : this.ordered;
    this.subs.add(
      delivered$.subscribe((frame) => {
        this.deliver(frame, false);
        if (this.heldCount > 0) this.flush(); // a catch-up waits for the buffer to empty
      }),
    );

    // Statistics: counters sampled on a timer, turned into rates.
    this.subs.add(
      this.samples.pipe(networkStats()).subscribe((sample) => {
        const path = this.pathNow();
        const st = path ? { ...sample, path } : sample;
        this.lastStats = st;
        if (this.autoDelay) {
          const { rttMs, jitterMs } = this.getStats();
          const { inputDelay: current, tickRate } = this;
          const next = chooseInputDelay({ rttMs, jitterMs, tickRate, current });
          if (next !== current) this.applyInputDelay(next);
        }
        this.statsSubject.next(st);
      }),
    );
    this.statsTimer = setInterval(() => this.takeSample(), options.statsIntervalMs);
    unref(this.statsTimer);
    this.takeSample();

    this.conn = new ClientConnection(this, peer);
    // Keep the server hearing from us (acks, resends) when the game sends no input.
    this.keepalive = setInterval(() => {
      // A frozen server, or a path that died without a reset (issue 18).
      const silent = this.link.silentForMs;
      if (!this.reconnecting && silent > options.serverTimeoutMs)
        return this.lose(`nothing heard from the server for ${Math.round(silent)} ms`);
      if (this.link.resendDue) this.sendPacket();
    }, tickMs);
  }

  /** Listens to an event; a first `frame` listener starts the delivery of frames, as `frames$` does. */
  override on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    super.on(event, listener);
    if (event === 'frame') this.start();
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
      sendFrom: this.schedule?.nextTick ?? 0,
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
    return this.deliveringCatchUp;
  }

  /** Ticks of input sent so far since it was seated (or inputs held before it was). */
  get inputsSent(): number {
    return this.schedule ? this.schedule.nextTick - this.seatedAt : this.early.length;
  }

  /** The last tick up to which every frame has arrived (`firstTick - 1` before the first). */
  get lastFrameTick(): number {
    return this.link.received;
  }

  /** The current input delay in ticks. */
  get inputDelay(): number {
    return this.schedule?.delay ?? this.options.inputDelay;
  }

  /** The local tick the next `sendInput` is sampled at (its input goes to `localTick + inputDelay`); `-1` until seated. */
  get currentTick(): number {
    return this.schedule?.localTick ?? -1;
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
    if (this.schedule) this.schedule.delay = ticks;
    else (this.options as { inputDelay: number }).inputDelay = checkInputDelay(ticks);
  }

  /** Network statistics now (rates and loss are those of the last interval). */
  getStats(): NetworkStats {
    const base = this.lastStats;
    const m = this.link.meter;
    return {
      rttMs: m.srttMs,
      jitterMs: m.rttVarMs,
      lossIn: m.lossIn,
      lossOut: m.lossOut,
      bytesInPerSec: base?.bytesInPerSec ?? 0,
      bytesOutPerSec: base?.bytesOutPerSec ?? 0,
      packetsIn: m.packetsReceived,
      packetsOut: m.packetsSent,
      bytesIn: m.bytesReceived,
      bytesOut: m.bytesSent,
      unacked: this.link.unacked,
      framesBehind: this.framesBehind(),
      ...(this.pathNow() ? { path: this.pathNow() } : {}),
    };
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
    if (!this.schedule) {
      if (this.early.length < this.options.maxUnackedInputs) this.early.push(input.slice());
      else if (!this.earlyFull) {
        this.earlyFull = true;
        this.warn(
          'buffer-full',
          `input refused: ${this.options.maxUnackedInputs} inputs held before the seat was taken`,
        );
      }
      return;
    }
    if (this.schedule.take(input, (tick, i) => this.queueInput(tick, i))) this.sendPacket();
  }

  /** Holds an input until acknowledged, unless the window is full (then reports it once). */
  private queueInput(tick: number, input: Uint8Array): boolean {
    const refused = this.link.push({ tick, input });
    if (refused) {
      if (!this.windowFull) {
        this.windowFull = true;
        this.warn(
          'buffer-full',
          `input for tick ${tick} refused (window-full): ${this.options.maxUnackedInputs} inputs unacknowledged`,
        );
      }
      return false;
    }
    this.windowFull = false;
    return true;
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

  /** Now and then (every 32nd packet), this side's RTT for the server's statistics. */
  private linkReport(): { rttMs: number; jitterMs: number } | undefined {
    const m = this.link.meter;
    if ((m.packetsSent & 31) !== 0 || m.srttMs === null || m.rttVarMs === null) return undefined;
    return {
      rttMs: Math.min(0xffff, Math.ceil(m.srttMs)),
      jitterMs: Math.min(0xffff, Math.ceil(m.rttVarMs)),
    };
  }

  private sendPacket(): void {
    const channel = this.conn.channel;
    if (this.ended || !channel) return;
    const { link } = this;
    const batch = link.outgoing();
    const { bytes } = encodeInputsPacket(
      {
        type: MessageType.Inputs,
        seq: link.meter.takeSeq(),
        // A timestamp in every fourth packet is plenty for the round-trip time.
        sentAt: (link.meter.packetsSent & 3) === 0 ? link.meter.clock16() : undefined,
        frameAck: link.received,
        rxLoss: link.meter.rxLossByte(),
        firstTick: batch.length > 0 ? batch[0].tick : (this.schedule?.nextTick ?? 0),
        inputs: batch.map((i) => i.input),
        checksums: this.checksums.pending,
        linkReport: this.linkReport(),
      },
      this.ctx,
      this.options.datagramBytes,
    );
    link.sent(bytes.length);
    channel.send(bytes);
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
    if (this.schedule) link.acknowledged(msg.inputAck);
    this.checksums.acknowledged(msg.checksumAck);
    if (msg.inputLead !== undefined) this.clock.feedback(msg.inputLead / 8);
    this.receiveFrames(msg.frames, false);
  }

  /** Frames from the server (datagrams or a catch-up): the new ones, in order, each once. */
  private receiveFrames(frames: readonly ConfirmedFrame[], catchUp: boolean): void {
    if (frames.length === 0) return;
    this.newestFrameSeen = Math.max(this.newestFrameSeen, frames[frames.length - 1].tick);
    // Taken in order, each once: the watermark moves before each frame goes out.
    if (this.heldCount + frames.length > MAX_HELD_FRAMES) {
      this.warn('buffer-full', `${this.heldCount} frames held: frames$ is not read`);
      this.end('connection-lost', `${MAX_HELD_FRAMES} frames held and not read from frames$`);
      return;
    }
    const [from, to] = this.link.receive(frames[0].tick, frames.length);
    for (let i = from; i < to; i++)
      this.held.push({ frame: this.roster.apply(frames[i]), catchUp });
    this.flush();
  }

  /** Frames may flow to the game from now on. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.flush();
  }

  /**
   * Delivers what is held, in order: live frames into the playout buffer (if any), frames of
   * a catch-up straight to `frames$` once that buffer is empty.
   */
  private flush(): void {
    if (this.flushing || !this.started) return;
    this.flushing = true;
    try {
      while (this.heldCount > 0 && !this.ended) {
        const next = this.held[this.heldStart];
        if ('caughtUp' in next) {
          if (this.lastOrdered !== this.lastDelivered) break; // the buffer is not empty
          this.takeHeld();
          this.onCaughtUp(next.caughtUp);
        } else if (next.catchUp) {
          if (this.lastOrdered !== this.lastDelivered) break;
          this.takeHeld();
          this.lastOrdered = next.frame.tick;
          this.deliver(next.frame, true);
        } else {
          this.takeHeld();
          this.lastOrdered = next.frame.tick;
          this.ordered.next(next.frame);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Entries held, not delivered yet. */
  private get heldCount(): number {
    return this.held.length - this.heldStart;
  }

  /** Drops the oldest held entry (a queue over an array: compacted when empty). */
  private takeHeld(): void {
    this.heldStart += 1;
    if (this.heldStart === this.held.length) {
      this.held.length = 0;
      this.heldStart = 0;
    } else if (this.heldStart >= 4096 && this.heldStart * 2 >= this.held.length) {
      this.held.splice(0, this.heldStart);
      this.heldStart = 0;
    }
  }

  private deliver(frame: ConfirmedFrame, catchUp: boolean): void {
    this.lastDelivered = frame.tick;
    this.deliveringCatchUp = catchUp;
    try {
      this.framesSubject.next(frame);
    } finally {
      this.deliveringCatchUp = false;
    }
    if (this.snapshotAsked === frame.tick + 1) this.sendStateSnapshot(frame.tick + 1);
  }

  private onCaughtUp(tick: number): void {
    this.eventsSubject.next({ type: 'caught-up', tick });
    if (!this.everCaughtUp) {
      this.everCaughtUp = true;
      this.resolveCaughtUp(tick);
    }
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
        this.receiveFrames(msg.frames, !this.watchingLive);
        return;
      case MessageType.CaughtUp:
        this.watchingLive = this.spectating;
        this.held.push({ caughtUp: msg.tick });
        this.flush();
        return;
      case MessageType.Seated:
        this.onSeated(msg.tick);
        return;
      case MessageType.SnapshotRequest:
        if (msg.tick > this.lastDelivered + 1 && this.options.provideSnapshot)
          this.snapshotAsked = msg.tick;
        return;
      default:
        this.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
  }

  /** Its inputs count from `tick` on: its join, or its return after being away. */
  private onSeated(tick: number): void {
    const first = this.schedule === undefined;
    this.seatedAt = tick;
    if (first) this.schedule = new InputSchedule(tick, this.inputSize, this.options.inputDelay);
    else this.schedule!.restart(tick);
    this.link.restartSending(tick);
    this.windowFull = false;
    this.eventsSubject.next({ type: 'seated', tick });
    if (first) this.resolveSeated(tick);
    // The inputs given while waiting, for the ticks from `tick` on.
    const early = this.early;
    this.early = [];
    for (const input of early) this.schedule!.take(input, (t, i) => this.queueInput(t, i));
    this.sendPacket();
  }

  /** After a desync: this player's state snapshot for the desync tick, if the game gives one. */
  private sendSnapshot(tick: number): void {
    let data: Uint8Array | undefined;
    try {
      data = this.options.snapshot?.(tick);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.warn('snapshot-failed', `the snapshot function threw: ${error.message}`, { error });
      return;
    }
    if (data && data.length <= Limits.maxSnapshotBytes)
      this.sendTcp({ type: MessageType.Snapshot, tick, data });
    else if (data)
      this.warn('buffer-full', `snapshot over ${Limits.maxSnapshotBytes} bytes not sent`);
  }

  /** The server asked for the world before frame `tick`: it is now (frame `tick - 1` delivered). */
  private sendStateSnapshot(tick: number): void {
    this.snapshotAsked = undefined;
    let data: Uint8Array | undefined;
    try {
      data = this.options.provideSnapshot?.(tick);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.warn('provide-snapshot-failed', `provideSnapshot threw: ${error.message}`, { error });
      return;
    }
    if (data && data.length <= Limits.maxSnapshotBytes)
      this.sendTcp({ type: MessageType.SnapshotOffer, tick, data });
    else if (data)
      this.warn(
        'provide-snapshot-failed',
        `snapshot over ${Limits.maxSnapshotBytes} bytes not sent`,
      );
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
    if (this.ended || this.reconnecting) return;
    if (this.options.reconnectTimeoutMs === 0 || this.spectating)
      return this.end('connection-lost', message);
    this.conn.close();
    this.reconnecting = true;
    const deadline = performance.now() + this.options.reconnectTimeoutMs;
    let attempt = 0;
    let delay = RECONNECT_FIRST_MS;
    const retry = (): void => {
      this.retryTimer = undefined;
      if (this.ended) return;
      attempt += 1;
      this.eventsSubject.next({ type: 'reconnecting', attempt, message });
      this.redial(this.token, this.link.received).then(
        () => {
          this.reconnecting = false;
        },
        (err: unknown) => {
          if (this.ended) return;
          if (err instanceof JoinRefusedError)
            return this.end('connection-lost', `reconnect refused: ${err.reason}`);
          if (performance.now() + delay > deadline)
            return this.end('connection-lost', `${message}; no reconnect within the grace`);
          this.retryTimer = setTimeout(retry, delay);
          delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        },
      );
    };
    retry();
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
    if (this.reconnecting)
      conn.close(); // the reconnect tries again
    else this.end('connection-lost', message);
  }

  /** @internal A transport warning on one of its connections. */
  transportWarning(w: TransportWarning): void {
    this.warn(w.code, w.message, { address: w.address, port: w.port, error: w.error });
  }

  private framesBehind(): number {
    return Math.max(0, this.newestFrameSeen - this.lastDelivered);
  }

  private takeSample(): void {
    this.samples.next(this.link.meter.sample(this.link.unacked, this.framesBehind()));
  }

  private sendTcp(msg: ClientTcpMessage): void {
    if (this.reconnecting) return; // nobody to send to: the reconnect restores the state
    this.peer.messages.send(encodeMessage(msg));
  }

  /** @internal Ends the session: every socket closed, every stream completed. */
  end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    clearInterval(this.statsTimer);
    this.clock.stop();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.subs.unsubscribe();
    this.conn.close();
    this.link.clear();
    const event: DisconnectedEvent = { type: 'disconnected', reason, message };
    this.eventsSubject.next(event);
    this.framesSubject.complete();
    this.worldSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.statsSubject.complete();
    this.samples.complete();
    this.ordered.complete();
    this.resolveClosed(event);
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}

/** One connection of a client: its peer, its datagram channel, what it subscribed to. */
class ClientConnection implements Connection {
  channel: DatagramChannel | undefined;
  readonly opened: Promise<void>;
  private readonly subs = new Subscription();
  private closed = false;

  constructor(
    private readonly client: GameClient,
    readonly peer: TransportPeer,
  ) {
    this.subs.add(peer.warnings$.subscribe((w) => client.transportWarning(w)));
    // A spectator's frames all come over the reliable channel: no datagram channel.
    if (client.spectating) {
      this.opened = Promise.resolve();
      return;
    }
    // The transport's signals go to the server over the reliable channel.
    this.opened = peer
      .openDatagrams((data) =>
        peer.messages.send(encodeMessage({ type: MessageType.SignalToServer, data })),
      )
      .then((channel) => client.attach(this, channel));
  }

  onMessage(bytes: Uint8Array): void {
    this.client.onMessage(this, bytes);
  }

  onClosed(error: Error | undefined): void {
    if (!this.closed) this.client.onClosed(this, error);
  }

  own(sub: Subscription): void {
    this.subs.add(sub);
  }

  abandon(message: string): void {
    this.client.abandoned(this, message);
  }

  /** Closes its sockets and stops reading. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.unsubscribe();
    this.peer.messages.end();
    this.channel?.close();
  }
}

/** Lets the process exit while a timer runs (Node); nothing elsewhere. */
function unref(timer: ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.();
}
