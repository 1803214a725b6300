import * as net from 'node:net';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { ChecksumReport } from '../protocol/messages.js';
import {
  ConnectTimeoutError,
  ConnectionError,
  DecodeError,
  DisconnectedError,
  JoinRefusedError,
  type GameNetworkError,
} from '../errors.js';
import type { DesyncEvent, DisconnectedEvent, NetworkEvent, WarningEvent } from '../events.js';
import { networkStats } from '../operators/networkStats.js';
import { playout } from '../operators/playout.js';
import type { LinkSample, NetworkStats } from '../stats.js';
import { typedEmitter } from '../emitter.js';
import { LinkMeter } from '../link/LinkMeter.js';
import type { LinkConditionerOptions } from '../operators/conditionLink.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import { inOrder } from '../operators/inOrder.js';
import { sendWindow, type SendWindowCommand } from '../operators/sendWindow.js';
import {
  Limits,
  MessageType,
  PROTOCOL_VERSION,
  decodeServerTcp,
  decodeServerUdp,
  encodeInputsPacket,
  encodeMessage,
  type ClientTcpMessage,
  type CodecContext,
  type JoinAccepted,
  type ServerUdpMessage,
} from '../protocol/index.js';
import type { Datagram } from '../sources/fromUdpSocket.js';
import { nodeTransport } from '../transport/nodeTransport.js';
import type { DatagramEndpoint, MessageConnection, Transport } from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame, PlayerInfo } from '../types.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The server's host. */
  host: string;
  /** The server's TCP port (`server.address.tcpPort`). */
  port: number;
  username: string;
  /** Default `''`. */
  password?: string;
  /** How long to wait for the connection and the join answer. Default `5000`. */
  connectTimeoutMs?: number;
  /** Local address for the UDP socket. Default: the server's host if it is a loopback address, else all interfaces. */
  localHost?: string;
  /** Inputs held until acknowledged; beyond it `sendInput` is refused with a warning. Default `256`. */
  maxUnackedInputs?: number;
  /** Byte budget of one datagram. Default `1200`. */
  datagramBytes?: number;
  /** Link conditioner applied to every datagram the client receives (tests, demos). Default: none. */
  conditioner?: LinkConditionerOptions;
  /**
   * Input delay in ticks: the input given to `sendInput` at local tick t is for tick
   * t + inputDelay, so on a good link its frame arrives before the game needs it. The first
   * `inputDelay` ticks get neutral (all-zero) inputs. Change it later with `setInputDelay`.
   * Default `0`.
   */
  inputDelay?: number;
  /**
   * Playout buffer: when set, `frames$` releases frames one per tick after holding the first
   * this many ms, instead of in bursts after a loss. Default: none (frames as they confirm).
   */
  playoutDelayMs?: number;
  /** How often `stats$` emits, in ms. Default `1000`. */
  statsIntervalMs?: number;
  /** The network underneath. Default: the Node transport (UDP + TCP). */
  transport?: Transport;
  /**
   * Called after a desync with the desync tick; what it returns (at most 60000 bytes) is sent
   * to the server as this player's state snapshot for that tick. Default: none.
   */
  snapshot?: (tick: number) => Uint8Array | undefined;
}

/** The typed-emitter events of a client: the streams, for code that does not use RxJS. */
export type ClientEvents = {
  frame: (frame: ConfirmedFrame) => void;
  worldState: (bytes: Uint8Array) => void;
  chat: (message: ChatMessage) => void;
  warning: (event: WarningEvent) => void;
  disconnected: (event: DisconnectedEvent) => void;
  desync: (event: DesyncEvent) => void;
  stats: (stats: NetworkStats) => void;
};

/**
 * A player's connection to a lockstep server. Made by {@link connect}.
 *
 * Call `sendInput` once per local tick; run the simulation on `frames$`.
 */
export class GameClient extends typedEmitter<ClientEvents>() {
  /** This player's slot: its index in every frame's `inputs`. */
  readonly playerId: number;
  readonly username: string;
  /** The first tick this player sends an input for, and its first frame. */
  readonly startTick: number;
  readonly tickRate: number;
  readonly inputSize: number;
  readonly maxPlayers: number;
  /** The players already in the match when this one joined. */
  readonly initialPlayers: readonly PlayerInfo[];

  /** Confirmed frames from `startTick` on: consecutive ticks, each once, in order. */
  readonly frames$: Observable<ConfirmedFrame>;
  /** World-state bytes the server sent to this player (newest only; some may be lost). */
  readonly worldState$: Observable<Uint8Array>;
  /** Chat lines from every player and the server. */
  readonly chat$: Observable<ChatMessage>;
  /** Warnings, and `disconnected` when the session ends. */
  readonly events$: Observable<NetworkEvent>;
  /** Network statistics about once every `statsIntervalMs` (default a second). */
  readonly stats$: Observable<NetworkStats>;
  /** Resolves with the reason once the session has ended, whoever ended it. */
  readonly closed: Promise<DisconnectedEvent>;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly worldSubject = new Subject<Uint8Array>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<NetworkEvent>();
  private readonly incomingFrames = new Subject<ConfirmedFrame>();
  private readonly statsSubject = new Subject<NetworkStats>();
  private readonly samples = new Subject<LinkSample>();
  private readonly statsTimer: NodeJS.Timeout;
  private lastStats: NetworkStats | undefined;
  private readonly pendingChecksums: ChecksumReport[] = [];
  private readonly snapshotProvider: ((tick: number) => Uint8Array | undefined) | undefined;
  private delay: number;
  private localTick: number;
  private lastInput: Uint8Array;
  private unackedInputs = 0;
  private readonly maxUnacked: number;
  private inputAck: number;
  private windowFull = false;
  private newestFrameSeen: number;
  /** Who is in each slot, as of the last frame delivered in order. */
  private readonly members: (string | undefined)[] = [];
  private readonly window$ = new Subject<SendWindowCommand<{ tick: number; input: Uint8Array }>>();
  private readonly subs: Subscription[] = [];
  private readonly ctx: CodecContext;
  private readonly token: number;
  private readonly serverUdpPort: number;
  private readonly serverAddress: string;
  private readonly datagramBytes: number;
  private readonly tickMs: number;
  private readonly keepalive: NodeJS.Timeout;
  private readonly meter = new LinkMeter();
  private resolveClosed!: (e: DisconnectedEvent) => void;

  private nextTick: number;
  private frameAck: number;
  private lastDelivered = -1;
  private lastWorldSeq = 0;
  private lastSentAt = 0;
  private batch: readonly { tick: number; input: Uint8Array }[] = [];
  private ended = false;

  /** @internal Use {@link connect}. */
  constructor(
    private readonly tcp: MessageConnection,
    tcpMessages: Subject<Uint8Array>,
    earlyMessages: readonly Uint8Array[],
    private readonly udp: DatagramEndpoint,
    accepted: JoinAccepted,
    options: ConnectOptions,
  ) {
    super();
    this.playerId = accepted.playerId;
    this.username = options.username;
    this.startTick = accepted.startTick;
    this.tickRate = accepted.tickRate;
    this.inputSize = accepted.inputSize;
    this.maxPlayers = accepted.maxPlayers;
    this.initialPlayers = accepted.players;
    this.token = accepted.token;
    this.serverUdpPort = accepted.udpPort;
    this.serverAddress = tcp.remoteAddress || options.host;
    this.ctx = { inputSize: accepted.inputSize, maxPlayers: accepted.maxPlayers };
    this.datagramBytes = options.datagramBytes ?? Limits.datagramBytes;
    this.tickMs = 1000 / accepted.tickRate;
    this.nextTick = accepted.startTick;
    this.localTick = accepted.startTick;
    this.inputAck = accepted.startTick - 1;
    this.maxUnacked = options.maxUnackedInputs ?? 256;
    this.frameAck = accepted.startTick - 1;
    this.newestFrameSeen = accepted.startTick - 1;
    this.delay = checkDelay(options.inputDelay ?? 0);
    this.lastInput = new Uint8Array(accepted.inputSize);
    this.snapshotProvider = options.snapshot;
    for (const p of accepted.players) this.members[p.playerId] = p.username;
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
      else if (e.type === 'desync') this.emit('desync', e);
    });

    // Inputs not yet acknowledged, sent again in every packet until they are.
    this.subs.push(
      this.window$
        .pipe(
          sendWindow({
            key: (i) => i.tick,
            capacity: this.maxUnacked,
            budgetBytes: Limits.maxTicksPerPacket,
            sendOnPush: false,
            onWarning: (w) =>
              this.warn('buffer-full', `input for tick ${w.key} refused (${w.code}): ${w.message}`),
          }),
        )
        .subscribe((b) => {
          this.batch = b.items;
          this.unackedInputs = b.unacked;
        }),
    );

    // Frames from the server, in order, each once; acknowledged as soon as they are in
    // order, delivered through the playout buffer if there is one.
    const ordered$ = new Subject<ConfirmedFrame>();
    this.subs.push(
      this.incomingFrames
        .pipe(
          inOrder({
            key: (f) => f.tick,
            start: accepted.startTick,
            capacity: 1024,
            onWarning: (w) => this.warn('buffer-full', w.message),
          }),
        )
        .subscribe((frame) => {
          this.frameAck = frame.tick;
          ordered$.next(this.withNames(frame));
        }),
    );
    const delivered$ =
      options.playoutDelayMs !== undefined
        ? ordered$.pipe(playout({ delayMs: options.playoutDelayMs, intervalMs: this.tickMs }))
        : ordered$;
    this.subs.push(
      delivered$.subscribe((frame) => {
        this.lastDelivered = frame.tick;
        this.framesSubject.next(frame);
      }),
    );

    // Statistics: counters sampled on a timer, turned into rates.
    this.subs.push(
      this.samples.pipe(networkStats()).subscribe((st) => {
        this.lastStats = st;
        this.statsSubject.next(st);
      }),
    );
    this.statsTimer = setInterval(() => this.takeSample(), options.statsIntervalMs ?? 1000);
    this.statsTimer.unref();
    this.takeSample();

    this.subs.push(
      serviceDatagrams({
        endpoint: udp,
        conditioner: options.conditioner,
        // Only the server's datagrams are decoded: a stranger's cost nothing but a warning.
        admit: (d) => {
          if (d.port === this.serverUdpPort && d.address === this.serverAddress) return true;
          this.warn('unknown-sender', 'a datagram from something that is not the server', {
            address: d.address,
            port: d.port,
          });
          return false;
        },
        decode: (bytes) => decodeServerUdp(bytes, this.ctx),
        onMessage: (msg, d) => this.onServerDatagram(msg, d),
        onFailure: (err) => this.end('connection-lost', `UDP socket failed: ${err.message}`),
        warn: this.warn,
      }),
    );

    for (const bytes of earlyMessages) this.onTcpMessage(bytes);
    this.subs.push(
      tcpMessages.subscribe({
        next: (bytes) => this.onTcpMessage(bytes),
        error: (err: GameNetworkError) =>
          this.end('connection-lost', `connection to the server failed: ${err.message}`),
        complete: () => this.end('connection-lost', 'the server closed the connection'),
      }),
    );

    // Keep the server hearing from us (acks, resends) when the game sends no input.
    this.keepalive = setInterval(() => {
      if (performance.now() - this.lastSentAt >= this.tickMs * 1.5) this.sendPacket();
    }, this.tickMs);
  }

  /** Ticks of input sent so far; the next `sendInput` is for tick `startTick + inputsSent`. */
  get inputsSent(): number {
    return this.nextTick - this.startTick;
  }

  /** The last tick up to which every frame has arrived (`startTick - 1` before the first). */
  get lastFrameTick(): number {
    return this.frameAck;
  }

  /** The current input delay in ticks. */
  get inputDelay(): number {
    return this.delay;
  }

  /** The local tick the next `sendInput` is sampled at (its input goes to `localTick + inputDelay`). */
  get currentTick(): number {
    return this.localTick;
  }

  /**
   * Changes the input delay, safely at any time. A longer delay fills the ticks it skips
   * with the last input sent (a held button stays held); a shorter one drops the inputs
   * sampled for ticks that already have one, until local time catches up.
   * @param ticks 0 or more.
   */
  setInputDelay(ticks: number): void {
    this.delay = checkDelay(ticks);
  }

  /** Network statistics now (rates and loss are those of the last interval). */
  getStats(): NetworkStats {
    const base = this.lastStats;
    const m = this.meter;
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
      unacked: this.unackedInputs,
      framesBehind: this.framesBehind(),
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
    if (!Number.isInteger(tick) || tick < 0 || tick > Limits.maxTick)
      throw new RangeError('tick must be a tick number');
    if (!Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff)
      throw new RangeError('checksum must be an unsigned 32-bit integer');
    if (this.ended) return;
    const last = this.pendingChecksums[this.pendingChecksums.length - 1];
    if (last && tick <= last.tick)
      throw new RangeError('checksums must be reported in increasing tick order');
    if (this.pendingChecksums.length >= 64) {
      const dropped = this.pendingChecksums.shift()!;
      this.warn(
        'buffer-full',
        `checksum report for tick ${dropped.tick} dropped: 64 unacknowledged`,
      );
    }
    this.pendingChecksums.push({ tick, checksum });
  }

  /**
   * Applies a frame's joins and leaves to who is in each slot, in tick order, and names the
   * players leaving (their names are not on the wire).
   */
  private withNames(frame: ConfirmedFrame): ConfirmedFrame {
    if (frame.joined) for (const p of frame.joined) this.members[p.playerId] = p.username;
    if (!frame.left) return frame;
    const left = frame.left.map((l) => ({ ...l, username: this.members[l.playerId] ?? '' }));
    for (const l of left) this.members[l.playerId] = undefined;
    return { ...frame, left };
  }

  /** Now and then (every 32nd packet), this side's RTT for the server's statistics. */
  private linkReport(): { rttMs: number; jitterMs: number } | undefined {
    const m = this.meter;
    if ((this.meter.packetsSent & 31) !== 0 || m.srttMs === null || m.rttVarMs === null)
      return undefined;
    return {
      rttMs: Math.min(0xffff, Math.ceil(m.srttMs)),
      jitterMs: Math.min(0xffff, Math.ceil(m.rttVarMs)),
    };
  }

  /** Checksum reports not yet acknowledged by the server (wait for 0 before closing, to be sure every report arrived). */
  get unacknowledgedChecksums(): number {
    return this.pendingChecksums.length;
  }

  private framesBehind(): number {
    const delivered = this.lastDelivered < 0 ? this.startTick - 1 : this.lastDelivered;
    return Math.max(0, this.newestFrameSeen - delivered);
  }

  private takeSample(): void {
    this.samples.next(this.meter.sample(this.unackedInputs, this.framesBehind()));
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
    const target = this.localTick + this.delay;
    this.localTick++;
    if (target < this.nextTick) return; // the delay shrank: this tick already has its input
    // The delay grew (or this is the start, or the window was full): the ticks in between
    // keep the last input.
    let room = true;
    while (room && this.nextTick < target) room = this.pushInput(this.lastInput);
    this.lastInput = input.slice();
    if (room) this.pushInput(this.lastInput);
    this.sendPacket();
  }

  /** Queues an input for `nextTick`, unless the window is full (then reports it once). */
  private pushInput(input: Uint8Array): boolean {
    if (this.nextTick - this.inputAck - 1 >= this.maxUnacked) {
      if (!this.windowFull) {
        this.windowFull = true;
        this.warn(
          'buffer-full',
          `input for tick ${this.nextTick} refused (window-full): ${this.maxUnacked} inputs unacknowledged`,
        );
      }
      return false;
    }
    this.windowFull = false;
    this.window$.next({ type: 'push', item: { tick: this.nextTick, input } });
    this.nextTick++;
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

  private sendPacket(): void {
    if (this.ended) return;
    this.window$.next(SEND);
    const batch = this.batch;
    const { bytes } = encodeInputsPacket(
      {
        type: MessageType.Inputs,
        token: this.token,
        seq: this.meter.takeSeq(),
        // A timestamp in every fourth packet is plenty for the round-trip time.
        sentAt: (this.meter.packetsSent & 3) === 0 ? this.meter.clock16() : undefined,
        frameAck: this.frameAck,
        rxLoss: this.meter.rxLossByte(),
        firstTick: batch.length > 0 ? batch[0].tick : this.nextTick,
        inputs: batch.map((i) => i.input),
        checksums: this.pendingChecksums,
        linkReport: this.linkReport(),
      },
      this.ctx,
      this.datagramBytes,
    );
    this.lastSentAt = performance.now();
    this.meter.onSent(bytes.length);
    this.udp.send(bytes, this.serverUdpPort, this.serverAddress);
  }

  private onServerDatagram(msg: ServerUdpMessage, d: Datagram): void {
    if (msg.type === MessageType.WorldState) {
      if (msg.seq > this.lastWorldSeq) {
        this.lastWorldSeq = msg.seq;
        this.worldSubject.next(msg.data);
      }
      return;
    }
    this.meter.onReceived(d.data.length, msg.seq);
    this.meter.onEcho(msg.echoSentAt, msg.echoDelayMs);
    this.meter.onPeerLoss(msg.rxLoss);
    if (msg.inputAck > this.inputAck) {
      this.inputAck = msg.inputAck;
      this.window$.next({ type: 'ack', key: msg.inputAck });
    }
    const pending = this.pendingChecksums;
    let acked = 0;
    while (acked < pending.length && pending[acked].tick <= msg.checksumAck) acked++;
    if (acked > 0) pending.splice(0, acked);
    const n = msg.frames.length;
    if (n > 0) this.newestFrameSeen = Math.max(this.newestFrameSeen, msg.frames[n - 1].tick);
    for (const frame of msg.frames) {
      if (frame.tick <= this.frameAck) continue;
      this.incomingFrames.next(frame);
      if (this.ended) return;
    }
  }

  private onTcpMessage(bytes: Uint8Array): void {
    let msg;
    try {
      msg = decodeServerTcp(bytes);
    } catch (err) {
      this.warn('decode-error', `bad TCP message: ${(err as DecodeError).message}`, {
        error: err as Error,
      });
      return;
    }
    switch (msg.type) {
      case MessageType.ChatBroadcast:
        this.chatSubject.next({ from: msg.from, text: msg.text });
        return;
      case MessageType.Goodbye:
        this.end(msg.reason, msg.message);
        return;
      case MessageType.Desync: {
        this.eventsSubject.next({ type: 'desync', tick: msg.tick, checksums: msg.checksums });
        let data: Uint8Array | undefined;
        try {
          data = this.snapshotProvider?.(msg.tick);
        } catch (err) {
          this.warn(
            'unexpected-message',
            `the snapshot function threw: ${(err as Error).message}`,
            {
              error: err as Error,
            },
          );
          return;
        }
        if (data && data.length <= Limits.maxSnapshotBytes)
          this.sendTcp({ type: MessageType.Snapshot, tick: msg.tick, data });
        else if (data)
          this.warn('buffer-full', `snapshot over ${Limits.maxSnapshotBytes} bytes not sent`);
        return;
      }
      default:
        this.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
  }

  private sendTcp(msg: ClientTcpMessage): void {
    this.tcp.send(encodeMessage(msg));
  }

  private end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    clearInterval(this.statsTimer);
    for (const s of this.subs) s.unsubscribe();
    this.tcp.end();
    void this.udp.close();
    const event: DisconnectedEvent = { type: 'disconnected', reason, message };
    this.eventsSubject.next(event);
    this.framesSubject.complete();
    this.worldSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.statsSubject.complete();
    this.samples.complete();
    this.incomingFrames.complete();
    this.window$.complete();
    this.resolveClosed(event);
  }

  private readonly warn: Warn = (code, message, details = {}) => {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  };
}

/** The send command, one object for every packet. */
const SEND = { type: 'send' } as const;

function checkDelay(ticks: number): number {
  if (!Number.isInteger(ticks) || ticks < 0 || ticks > 128)
    throw new RangeError('inputDelay must be an integer in 0..128');
  return ticks;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

/**
 * Joins a lockstep server: connects over TCP, sends the join request with this client's
 * UDP port, and resolves once the server accepts.
 *
 * @example
 * const client = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
 * client.frames$.subscribe((frame) => simulate(frame));
 * setInterval(() => client.sendInput(readController()), 1000 / client.tickRate);
 *
 * @param options The server's address and this player's credentials.
 * @returns The connected client.
 * @throws JoinRefusedError with the reason if the server refuses; ConnectTimeoutError if no
 * answer comes within `connectTimeoutMs`; ConnectionError if the server cannot be reached.
 */
export async function connect(options: ConnectOptions): Promise<GameClient> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const deadline = performance.now() + timeoutMs;
  const localHost =
    options.localHost ??
    (isLoopback(options.host)
      ? options.host === 'localhost'
        ? '127.0.0.1'
        : options.host
      : net.isIPv6(options.host)
        ? '::'
        : '0.0.0.0');
  const transport = options.transport ?? nodeTransport;
  const udp = await transport.bindDatagrams({ host: localHost, port: 0 });
  let tcp: MessageConnection;
  try {
    tcp = await transport.connect({
      host: options.host,
      port: options.port,
      timeoutMs,
      maxMessageBytes: Limits.tcpMessageBytes,
    });
  } catch (err) {
    await udp.close();
    throw err;
  }
  // One subscription to the connection for the whole session: the join answer first, then
  // the rest.
  const messages = new Subject<Uint8Array>();
  const tcpSub = tcp.messages$.subscribe(messages);

  const fail = async (err: Error): Promise<never> => {
    tcpSub.unsubscribe();
    tcp.destroy();
    await udp.close();
    throw err;
  };

  // Messages that arrive after the answer, before the client takes over, are kept.
  const early: Uint8Array[] = [];
  let answered = false;
  let joinSub: Subscription | undefined;
  const accepted = await new Promise<JoinAccepted | Error>((resolve) => {
    const timer = setTimeout(
      () => resolve(new ConnectTimeoutError(timeoutMs)),
      Math.max(0, deadline - performance.now()),
    );
    const answer = (result: JoinAccepted | Error): void => {
      clearTimeout(timer);
      answered = true;
      resolve(result);
    };
    joinSub = messages.subscribe({
      next: (bytes) => {
        if (answered) {
          early.push(bytes);
          return;
        }
        try {
          const msg = decodeServerTcp(bytes);
          if (msg.type === MessageType.JoinAccepted) answer(msg);
          else if (msg.type === MessageType.JoinRefused) answer(new JoinRefusedError(msg.reason));
          else
            answer(new ConnectionError(`unexpected answer to the join request (type ${msg.type})`));
        } catch (err) {
          const e = err as DecodeError;
          answer(
            e.code === 'bad-version'
              ? new JoinRefusedError('version-mismatch')
              : new ConnectionError(`bad answer to the join request: ${e.message}`, { cause: e }),
          );
        }
      },
      error: (err: Error) => {
        if (!answered)
          answer(
            new ConnectionError(`connection failed during the join: ${err.message}`, {
              cause: err,
            }),
          );
      },
      complete: () => {
        if (!answered)
          answer(new DisconnectedError('the server closed the connection during the join'));
      },
    });
    tcp.send(
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: PROTOCOL_VERSION,
        username: options.username,
        password: options.password ?? '',
        udpPort: udp.port,
      }),
    );
  });
  joinSub?.unsubscribe();
  if (accepted instanceof Error) return fail(accepted);
  return new GameClient(tcp, messages, early, udp, accepted, options);
}
