// A player's session with a server: inputs out, confirmed frames in, chat, world state, stats.
import { Observable, Subject, Subscription, map } from 'rxjs';
import type { ClientNetworkEvent, DisconnectedEvent } from '../events.js';
import { typedEmitter } from '../emitter.js';
import type { Warn } from '../link/serviceDatagrams.js';
import { Limits, MessageType, type JoinAccepted, type WatchAccepted } from '../protocol/index.js';
import type { NetworkStats } from '../stats.js';
import type { TransportPeer } from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerInfo } from '../types.js';
import { ChecksumReports, MAX_PENDING_CHECKSUMS } from './ChecksumReports.js';
import type { ClientConnection, Connection } from './ClientConnection.js';
import { emitNetworkEvent, type ClientEvents } from './ClientEvents.js';
import { ClientInputs } from './ClientInputs.js';
import { ClientStats } from './ClientStats.js';
import { FrameDelivery, MAX_HELD_FRAMES } from './FrameDelivery.js';
import { ServerLink } from './ServerLink.js';
import { TickClock } from './TickClock.js';
import { InputDelayControl } from './InputDelayControl.js';
import type { ResolvedConnectOptions } from './options.js';
import { Snapshots } from './snapshots.js';

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
export class GameClient extends typedEmitter<ClientEvents>() {
  /** This player's slot: its index in every frame's `inputs` (-1 for a spectator). */
  readonly playerId: number;
  /** It watches the match (`spectate: true`): no slot, no input. */
  readonly spectating: boolean;
  /** A spectator's frames come this many ticks after they are confirmed (0 for a player). */
  readonly spectatorDelayTicks: number;
  /** The name this player joined with. */
  readonly username: string;
  /**
   * The room this session is in (`connect({ room })`, or the one join-or-create found or
   * made); undefined for a server's default room.
   */
  readonly room: string | undefined;
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
  private readonly delivery: FrameDelivery;
  private readonly inputs: ClientInputs;
  /** The input delay: set, or following the link (`inputDelay: 'auto'`). */
  private readonly delay: InputDelayControl;
  private readonly statistics: ClientStats;
  private readonly server: ServerLink;
  private readonly snapshots: Snapshots;
  private seatedAt = -1;
  private readySent = false;
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
    redial: (token: Uint8Array, lastTick: number) => Promise<void>,
    /** This session began with a reconnect (after a restart): it is seated already. */
    resumed = false,
  ) {
    super();
    const seated = accepted.type === MessageType.JoinAccepted ? accepted : undefined;
    this.spectating = seated === undefined;
    this.spectatorDelayTicks = seated ? 0 : (accepted as WatchAccepted).delayTicks;
    this.playerId = seated ? seated.playerId : -1;
    this.username = options.username;
    this.room = accepted.roomId ?? options.room;
    this.tickRate = accepted.tickRate;
    this.inputSize = accepted.inputSize;
    this.maxPlayers = accepted.maxPlayers;
    this.firstTick = accepted.firstTick;
    this.initialPlayers = accepted.players;
    this.snapshot = accepted.snapshot && { tick: accepted.firstTick, data: accepted.snapshot };
    this.readySent = resumed || this.spectating;
    this.inputs = new ClientInputs({
      inputSize: accepted.inputSize,
      maxUnackedInputs: options.maxUnackedInputs,
      inputDelay: () => this.options.inputDelay,
      link: () => this.server.link,
      warn: this.warn,
    });
    const ctx = { inputSize: accepted.inputSize, maxPlayers: accepted.maxPlayers };
    const token = seated ? seated.reconnectToken : new Uint8Array(0);
    this.server = new ServerLink(
      {
        spectating: this.spectating,
        tickRate: this.tickRate,
        ended: () => this.ended,
        end: (reason, message) => this.end(reason, message),
        warn: this.warn,
        event: (e) => this.eventsSubject.next(e),
        nextTick: () => this.inputs.nextTick,
        hasSeat: () => this.inputs.schedule !== undefined,
        world: (data) => this.worldSubject.next(data),
        inputLead: (ticks) => this.clock.feedback(ticks),
        frames: (frames, catchUp) => this.delivery.receive(frames, catchUp),
        chat: (message) => this.chatSubject.next(message),
        desync: (event) => {
          this.eventsSubject.next(event);
          if (!this.spectating) this.snapshots.desync(event.tick);
        },
        caughtUp: (tick) => this.delivery.caughtUpAt(tick),
        seated: (tick) => this.onSeated(tick),
        snapshotRequest: (tick) => this.snapshots.requested(tick, this.delivery.lastDelivered),
      },
      peer,
      accepted.firstTick,
      token,
      options,
      redial,
      ctx,
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.seated = new Promise((resolve) => (this.resolveSeated = resolve));
    this.snapshots = new Snapshots(options, this.warn, (msg) => this.server.sendTcp(msg));
    // Frames wait for the game; live ones go through the playout buffer if there is one.
    this.delivery = new FrameDelivery({
      firstTick: accepted.firstTick,
      players: accepted.players,
      tickRate: accepted.tickRate,
      playoutDelayMs: options.playoutDelayMs,
      receive: (first, count) => this.server.link.receive(first, count),
      delivered: (tick) => this.snapshots.delivered(tick),
      caughtUp: (tick) => this.eventsSubject.next({ type: 'caught-up', tick }),
      overflow: (held) => {
        this.warn('buffer-full', `${held} frames held: frames$ is not read`);
        this.end('connection-lost', `${MAX_HELD_FRAMES} frames held and not read from frames$`);
      },
      ended: () => this.ended,
    });
    this.caughtUp = this.delivery.caughtUp;
    this.frames$ = this.delivery.frames$;
    this.delay = new InputDelayControl(this.inputs, options, accepted.tickRate);
    this.clock = new TickClock({ tickRate: accepted.tickRate });
    this.clock.start(accepted.firstTick);
    this.ticks$ = this.clock.ticks$.pipe(map((n) => this.inputs.schedule?.localTick ?? n));
    this.worldState$ = this.worldSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.delivery.framesSubject.subscribe((f) => this.emit('frame', f));
    this.worldSubject.subscribe((w) => this.emit('worldState', w));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => emitNetworkEvent(this, e));
    this.subs.add(this.delivery.playing);

    // Statistics: counters sampled on a timer, turned into rates.
    this.statistics = new ClientStats({
      intervalMs: options.statsIntervalMs,
      link: () => this.server.link,
      framesBehind: () => this.delivery.framesBehind(),
      path: () => this.server.pathNow(),
      sampled: (stats) => this.delay.sampled(stats),
    });
    this.subs.add(this.statistics.sampling);
    this.stats$ = this.statistics.stats.asObservable();
    this.statistics.stats.subscribe((st) => this.emit('stats', st));
    this.server.start();
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
    return this.server.reconnectToken.slice();
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
    return this.server.link.received;
  }

  /** The current input delay in ticks. */
  get inputDelay(): number {
    return this.delay.ticks;
  }

  /** The local tick the next `sendInput` is sampled at (its input goes to `localTick + inputDelay`); `-1` until seated. */
  get currentTick(): number {
    return this.inputs.schedule?.localTick ?? -1;
  }

  /** Checksum reports not yet acknowledged by the server (wait for 0 before closing, to be sure every report arrived). */
  get unacknowledgedChecksums(): number {
    return this.server.checksums.pending.length;
  }

  /**
   * Changes the input delay, safely at any time. A longer delay fills the ticks it skips
   * with the last input sent (a held button stays held); a shorter one drops the inputs
   * sampled for ticks that already have one, until local time catches up.
   * @param ticks 0..128.
   */
  setInputDelay(ticks: number): void {
    this.delay.set(ticks);
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
    const dropped = this.server.checksums.add(tick, checksum);
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
    this.server.sendTcp({ type: MessageType.Ready });
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
    if (this.inputs.take(input)) this.server.sendPacket();
  }

  /** Sends a chat line to every player (over TCP). */
  sendChat(text: string): void {
    if (text.length > Limits.chatLength)
      throw new RangeError(`chat is over ${Limits.chatLength} characters`);
    this.server.sendTcp({ type: MessageType.Chat, text });
  }

  /** Leaves the match and closes every socket. Safe to call more than once, or after the server went away. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.server.sendTcp({ type: MessageType.Leave });
      this.end('closed', 'closed by this client');
    }
    await this.closed;
  }

  /** Its inputs count from `tick` on: its join, or its return after being away. */
  private onSeated(tick: number): void {
    this.seatedAt = tick;
    const first = this.inputs.seat(tick);
    this.server.link.restartSending(tick);
    this.eventsSubject.next({ type: 'seated', tick });
    if (first) this.resolveSeated(tick);
    this.inputs.takeEarly(); // the inputs given while waiting, for the ticks from `tick` on
    this.server.sendPacket();
  }

  /** The current connection (the tests close it to play a process that died). */
  private get conn(): ClientConnection {
    return this.server.connection;
  }

  /** @internal A reconnect was accepted on `peer`: this session goes on over it. */
  reattach(peer: TransportPeer, accepted: JoinAccepted): Connection {
    return this.server.reattach(peer, accepted);
  }

  /** @internal Ends the session: every socket closed, every stream completed. */
  end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.server.stop();
    this.statistics.stop();
    this.clock.stop();
    this.subs.unsubscribe();
    this.server.close();
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
