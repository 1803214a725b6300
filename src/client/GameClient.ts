// A player's session with a server: inputs out, confirmed frames in, chat, world state, stats.
import { Subject, Subscription, type Observable } from 'rxjs';
import type {
  ClientNetworkEvent,
  DesyncEvent,
  DisconnectedEvent,
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
  type ServerUdpMessage,
} from '../protocol/index.js';
import type { LinkSample, NetworkStats } from '../stats.js';
import type { DatagramChannel, TransportPeer } from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerInfo } from '../types.js';
import { ChecksumReports, MAX_PENDING_CHECKSUMS } from './ChecksumReports.js';
import { InputSchedule } from './InputSchedule.js';
import type { ResolvedConnectOptions } from './options.js';

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
  /** Each value of `stats$`. */
  stats: (stats: NetworkStats) => void;
};

/** One input for one tick, held until the server acknowledges it. */
interface TickInput {
  readonly tick: number;
  readonly input: Uint8Array;
}

/**
 * A player's connection to a lockstep server. Made by `connect`.
 *
 * Call `sendInput` once per local tick; run the simulation on `frames$`.
 */
export class GameClient extends typedEmitter<ClientEvents>() {
  /** This player's slot: its index in every frame's `inputs`. */
  readonly playerId: number;
  /** The name this player joined with. */
  readonly username: string;
  /** The first tick this player sends an input for, and its first frame. */
  readonly startTick: number;
  /** Ticks per second the match runs at (the server's `tickRate`). */
  readonly tickRate: number;
  /** Bytes in one player's input for one tick (the server's `inputSize`). */
  readonly inputSize: number;
  /** Player slots in the match (the server's `maxPlayers`): the length of every frame's `inputs`. */
  readonly maxPlayers: number;
  /** The players already in the match when this one joined. */
  readonly initialPlayers: readonly PlayerInfo[];

  /** Confirmed frames from `startTick` on: consecutive ticks, each once, in order. */
  readonly frames$: Observable<ConfirmedFrame>;
  /** World-state bytes the server sent to this player (newest only; some may be lost). */
  readonly worldState$: Observable<Uint8Array>;
  /** Chat lines from every player and the server. */
  readonly chat$: Observable<ChatMessage>;
  /** Warnings, desyncs, and `disconnected` when the session ends. */
  readonly events$: Observable<ClientNetworkEvent>;
  /** Network statistics about once every `statsIntervalMs` (default a second). */
  readonly stats$: Observable<NetworkStats>;
  /** Resolves with the reason once the session has ended, whoever ended it. */
  readonly closed: Promise<DisconnectedEvent>;
  /** @internal Resolves once datagrams can flow; rejects if they never can. */
  readonly opened: Promise<void>;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly worldSubject = new Subject<Uint8Array>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<ClientNetworkEvent>();
  /** Frames in order, each once, before the playout buffer (if any). */
  private readonly ordered = new Subject<ConfirmedFrame>();
  private readonly statsSubject = new Subject<NetworkStats>();
  private readonly samples = new Subject<LinkSample>();
  private readonly subs = new Subscription();
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private readonly keepalive: ReturnType<typeof setInterval>;
  private readonly link: Link<TickInput>;
  private readonly schedule: InputSchedule;
  /** Who is in each slot, as of the last frame delivered in order. */
  private readonly roster: Roster;
  private readonly ctx: CodecContext;
  private readonly checksums = new ChecksumReports();
  private channel: DatagramChannel | undefined;
  private lastStats: NetworkStats | undefined;
  private windowFull = false;
  private newestFrameSeen: number;
  private lastDelivered: number;
  private ended = false;
  private resolveClosed!: (e: DisconnectedEvent) => void;

  /** @internal Use `connect`. */
  constructor(
    private readonly peer: TransportPeer,
    accepted: JoinAccepted,
    private readonly options: ResolvedConnectOptions,
  ) {
    super();
    this.playerId = accepted.playerId;
    this.username = options.username;
    this.startTick = accepted.startTick;
    this.tickRate = accepted.tickRate;
    this.inputSize = accepted.inputSize;
    this.maxPlayers = accepted.maxPlayers;
    this.initialPlayers = accepted.players;
    this.ctx = { inputSize: accepted.inputSize, maxPlayers: accepted.maxPlayers };
    this.newestFrameSeen = accepted.startTick - 1;
    this.lastDelivered = accepted.startTick - 1;
    this.roster = new Roster(accepted.players);
    this.schedule = new InputSchedule(accepted.startTick, accepted.inputSize, options.inputDelay);
    const tickMs = 1000 / accepted.tickRate;
    this.link = new Link<TickInput>({
      key: (i) => i.tick,
      capacity: options.maxUnackedInputs,
      sendFrom: accepted.startTick,
      receiveFrom: accepted.startTick,
      resendAfterMs: tickMs * 1.5,
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    this.frames$ = this.framesSubject.asObservable();
    this.worldState$ = this.worldSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.stats$ = this.statsSubject.asObservable();
    this.statsSubject.subscribe((st) => this.emit('stats', st));
    this.framesSubject.subscribe((f) => this.emit('frame', f));
    this.worldSubject.subscribe((w) => this.emit('worldState', w));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => {
      if (e.type === 'warning') this.emit('warning', e);
      else if (e.type === 'disconnected') this.emit('disconnected', e);
      else this.emit('desync', e);
    });

    // Frames in order, delivered through the playout buffer if there is one.
    const delivered$ =
      options.playoutDelayMs !== undefined
        ? this.ordered.pipe(playout({ delayMs: options.playoutDelayMs, intervalMs: tickMs }))
        : this.ordered;
    this.subs.add(
      delivered$.subscribe((frame) => {
        this.lastDelivered = frame.tick;
        this.framesSubject.next(frame);
      }),
    );

    // Statistics: counters sampled on a timer, turned into rates.
    this.subs.add(
      this.samples.pipe(networkStats()).subscribe((sample) => {
        const path = this.channel?.path;
        const st = path ? { ...sample, path } : sample;
        this.lastStats = st;
        this.statsSubject.next(st);
      }),
    );
    this.statsTimer = setInterval(() => this.takeSample(), options.statsIntervalMs);
    unref(this.statsTimer);
    this.takeSample();

    this.subs.add(
      peer.warnings$.subscribe((w) =>
        this.warn(w.code, w.message, { address: w.address, port: w.port, error: w.error }),
      ),
    );
    // The transport's signals go to the server over the reliable channel.
    this.opened = peer
      .openDatagrams((data) => this.sendTcp({ type: MessageType.SignalToServer, data }))
      .then((channel) => this.attach(channel));
    // Keep the server hearing from us (acks, resends) when the game sends no input.
    this.keepalive = setInterval(() => {
      if (this.link.resendDue) this.sendPacket();
    }, tickMs);
  }

  private attach(channel: DatagramChannel): void {
    if (this.ended) {
      channel.close();
      return;
    }
    this.channel = channel;
    this.subs.add(
      serviceDatagrams({
        channel,
        conditioner: this.options.conditioner,
        decode: (bytes) => decodeServerUdp(bytes, this.ctx),
        onMessage: (msg, bytes) => this.onServerDatagram(msg, bytes),
        onFailure: (err) => this.end('connection-lost', `datagram channel failed: ${err.message}`),
        onDecodeError: (error) =>
          this.warn('decode-error', `bad datagram: ${error.message}`, { error }),
      }),
    );
    this.sendPacket(); // the server learns where this client is from its first datagram
  }

  /** Ticks of input sent so far; the next `sendInput` is for tick `startTick + inputsSent`. */
  get inputsSent(): number {
    return this.schedule.nextTick - this.startTick;
  }

  /** The last tick up to which every frame has arrived (`startTick - 1` before the first). */
  get lastFrameTick(): number {
    return this.link.received;
  }

  /** The current input delay in ticks. */
  get inputDelay(): number {
    return this.schedule.delay;
  }

  /** The local tick the next `sendInput` is sampled at (its input goes to `localTick + inputDelay`). */
  get currentTick(): number {
    return this.schedule.localTick;
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
    this.schedule.delay = ticks;
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
      ...(this.channel?.path ? { path: this.channel.path } : {}),
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
    if (dropped)
      this.warn(
        'buffer-full',
        `checksum report for tick ${dropped.tick} dropped: ${MAX_PENDING_CHECKSUMS} unacknowledged`,
      );
  }

  /**
   * Sends this player's input for the next tick (`startTick`, then one more each call),
   * with every input the server has not acknowledged yet. Does nothing once closed.
   * @param input Exactly `inputSize` bytes. It is copied.
   * @throws RangeError if it is not `inputSize` bytes.
   */
  sendInput(input: Uint8Array): void {
    if (!(input instanceof Uint8Array) || input.length !== this.inputSize)
      throw new RangeError(`an input is ${this.inputSize} bytes`);
    if (this.ended) return;
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
    const channel = this.channel;
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
        firstTick: batch.length > 0 ? batch[0].tick : this.schedule.nextTick,
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
    link.acknowledged(msg.inputAck);
    this.checksums.acknowledged(msg.checksumAck);
    const { frames } = msg;
    if (frames.length === 0) return;
    this.newestFrameSeen = Math.max(this.newestFrameSeen, frames[frames.length - 1].tick);
    // Taken in order, each once: the watermark moves before each frame goes out.
    const [from, to] = link.receive(frames[0].tick, frames.length);
    for (let i = from; i < to && !this.ended; i++) this.ordered.next(this.roster.apply(frames[i]));
  }

  /** A message on the reliable channel, after the join. */
  onMessage(bytes: Uint8Array): void {
    let msg;
    try {
      msg = decodeServerTcp(bytes);
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
        this.eventsSubject.next({ type: 'desync', tick: msg.tick, checksums: msg.checksums });
        this.sendSnapshot(msg.tick);
        return;
      case MessageType.SignalToClient:
        this.peer.signal(msg.data);
        return;
      default:
        this.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
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

  /** The reliable channel ended (`error` set when it failed). */
  onClosed(error: Error | undefined): void {
    this.end(
      'connection-lost',
      error
        ? `connection to the server failed: ${error.message}`
        : 'the server closed the connection',
    );
  }

  /** Ends `sub` with the session. */
  own(sub: Subscription): void {
    this.subs.add(sub);
  }

  private framesBehind(): number {
    return Math.max(0, this.newestFrameSeen - this.lastDelivered);
  }

  private takeSample(): void {
    this.samples.next(this.link.meter.sample(this.link.unacked, this.framesBehind()));
  }

  private sendTcp(msg: ClientTcpMessage): void {
    this.peer.messages.send(encodeMessage(msg));
  }

  /** @internal Ends the session: every socket closed, every stream completed. */
  end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    clearInterval(this.statsTimer);
    this.subs.unsubscribe();
    this.peer.messages.end();
    this.channel?.close();
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

/** Lets the process exit while a timer runs (Node); nothing elsewhere. */
function unref(timer: ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.();
}
