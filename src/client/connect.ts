import * as net from 'node:net';
import type * as dgram from 'node:dgram';
import { Subject, type Observable, type Subscription } from 'rxjs';
import {
  ConnectTimeoutError,
  ConnectionError,
  DecodeError,
  DisconnectedError,
  JoinRefusedError,
  type GameNetworkError,
} from '../errors.js';
import type { DisconnectedEvent, NetworkEvent, WarningCode, WarningEvent } from '../events.js';
import { typedEmitter } from '../emitter.js';
import { LinkMeter } from '../link/LinkMeter.js';
import { conditionLink, type LinkConditionerOptions } from '../operators/conditionLink.js';
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
import {
  bindUdpSocket,
  fromUdpSocket,
  udpSender,
  type Datagram,
  type UdpSend,
} from '../sources/fromUdpSocket.js';
import { connectTcp } from '../sources/fromTcpServer.js';
import { fromTcpSocket, writeMessage } from '../sources/fromTcpSocket.js';
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
}

/** The typed-emitter events of a client: the streams, for code that does not use RxJS. */
export type ClientEvents = {
  frame: (frame: ConfirmedFrame) => void;
  worldState: (bytes: Uint8Array) => void;
  chat: (message: ChatMessage) => void;
  warning: (event: WarningEvent) => void;
  disconnected: (event: DisconnectedEvent) => void;
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
  /** Resolves with the reason once the session has ended, whoever ended it. */
  readonly closed: Promise<DisconnectedEvent>;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly worldSubject = new Subject<Uint8Array>();
  private readonly chatSubject = new Subject<ChatMessage>();
  private readonly eventsSubject = new Subject<NetworkEvent>();
  private readonly incomingFrames = new Subject<ConfirmedFrame>();
  private readonly window$ = new Subject<SendWindowCommand<{ tick: number; input: Uint8Array }>>();
  private readonly subs: Subscription[] = [];
  private readonly send: UdpSend;
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
  private lastWorldSeq = 0;
  private lastSentAt = 0;
  private batch: readonly { tick: number; input: Uint8Array }[] = [];
  private ended = false;

  /** @internal Use {@link connect}. */
  constructor(
    private readonly tcp: net.Socket,
    tcpMessages: Subject<Uint8Array>,
    earlyMessages: readonly Uint8Array[],
    private readonly udp: dgram.Socket,
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
    this.serverAddress = tcp.remoteAddress ?? options.host;
    this.ctx = { inputSize: accepted.inputSize, maxPlayers: accepted.maxPlayers };
    this.datagramBytes = options.datagramBytes ?? Limits.datagramBytes;
    this.tickMs = 1000 / accepted.tickRate;
    this.nextTick = accepted.startTick;
    this.frameAck = accepted.startTick - 1;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    this.frames$ = this.framesSubject.asObservable();
    this.worldState$ = this.worldSubject.asObservable();
    this.chat$ = this.chatSubject.asObservable();
    this.events$ = this.eventsSubject.asObservable();
    this.framesSubject.subscribe((f) => this.emit('frame', f));
    this.worldSubject.subscribe((w) => this.emit('worldState', w));
    this.chatSubject.subscribe((c) => this.emit('chat', c));
    this.eventsSubject.subscribe((e) => {
      if (e.type === 'warning') this.emit('warning', e);
      else if (e.type === 'disconnected') this.emit('disconnected', e);
    });

    this.send = udpSender(udp, (err) =>
      this.warn('socket-error', `UDP send failed: ${err.message}`, { error: err }),
    );

    // Inputs not yet acknowledged, sent again in every packet until they are.
    this.subs.push(
      this.window$
        .pipe(
          sendWindow({
            key: (i) => i.tick,
            capacity: options.maxUnackedInputs ?? 256,
            budgetBytes: Limits.maxTicksPerPacket,
            sendOnPush: false,
            onWarning: (w) =>
              this.warn('buffer-full', `input for tick ${w.key} refused: ${w.message}`),
          }),
        )
        .subscribe((b) => (this.batch = b.items)),
    );

    // Frames from the server, in order, each once.
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
          this.framesSubject.next(frame);
        }),
    );

    let datagrams$ = fromUdpSocket(udp);
    if (options.conditioner) datagrams$ = datagrams$.pipe(conditionLink(options.conditioner));
    this.subs.push(
      datagrams$.subscribe({
        next: (d) => this.onDatagram(d),
        error: (err: Error) => this.end('connection-lost', `UDP socket failed: ${err.message}`),
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
      if (performance.now() - this.lastSentAt >= this.tickMs * 0.9) this.sendPacket();
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

  /** Bytes and packets sent and received over UDP, and the smoothed round-trip time. */
  get link(): {
    bytesSent: number;
    bytesReceived: number;
    packetsSent: number;
    packetsReceived: number;
    rttMs: number | null;
  } {
    const m = this.meter;
    return {
      bytesSent: m.bytesSent,
      bytesReceived: m.bytesReceived,
      packetsSent: m.packetsSent,
      packetsReceived: m.packetsReceived,
      rttMs: m.srttMs,
    };
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
    this.window$.next({ type: 'push', item: { tick: this.nextTick, input: input.slice() } });
    this.nextTick++;
    this.sendPacket();
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
    this.window$.next({ type: 'send' });
    const batch = this.batch;
    const { bytes } = encodeInputsPacket(
      {
        type: MessageType.Inputs,
        token: this.token,
        seq: this.meter.takeSeq(),
        sentAt: this.meter.clock16(),
        frameAck: this.frameAck,
        firstTick: batch.length > 0 ? batch[0].tick : this.nextTick,
        inputs: batch.map((i) => i.input),
      },
      this.ctx,
      this.datagramBytes,
    );
    this.lastSentAt = performance.now();
    this.meter.onSent(bytes.length);
    this.send(bytes, this.serverUdpPort, this.serverAddress);
  }

  private onDatagram(d: Datagram): void {
    if (
      d.port !== this.serverUdpPort ||
      plainAddress(d.address) !== plainAddress(this.serverAddress)
    ) {
      this.warn('unknown-sender', 'a datagram from something that is not the server', {
        address: d.address,
        port: d.port,
      });
      return;
    }
    let msg: ServerUdpMessage;
    try {
      msg = decodeServerUdp(d.data, this.ctx);
    } catch (err) {
      this.warn('decode-error', `bad datagram: ${(err as Error).message}`, {
        address: d.address,
        port: d.port,
        error: err as Error,
      });
      return;
    }
    if (msg.type === MessageType.WorldState) {
      if (msg.seq > this.lastWorldSeq) {
        this.lastWorldSeq = msg.seq;
        this.worldSubject.next(msg.data);
      }
      return;
    }
    this.meter.onReceived(d.data.length, msg.seq);
    this.meter.onEcho(msg.echoSentAt, msg.echoDelayMs);
    if (msg.inputAck >= this.startTick) this.window$.next({ type: 'ack', key: msg.inputAck });
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
      default:
        this.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
  }

  private sendTcp(msg: ClientTcpMessage): void {
    if (this.tcp.destroyed || !this.tcp.writable) return;
    writeMessage(this.tcp, encodeMessage(msg));
  }

  private end(reason: DisconnectedEvent['reason'], message: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    for (const s of this.subs) s.unsubscribe();
    this.tcp.end();
    setTimeout(() => this.tcp.destroy(), 1000).unref();
    try {
      this.udp.close();
    } catch {
      // already closed
    }
    const event: DisconnectedEvent = { type: 'disconnected', reason, message };
    this.eventsSubject.next(event);
    this.framesSubject.complete();
    this.worldSubject.complete();
    this.chatSubject.complete();
    this.eventsSubject.complete();
    this.incomingFrames.complete();
    this.window$.complete();
    this.resolveClosed(event);
  }

  private warn(
    code: WarningCode,
    message: string,
    details: Omit<WarningEvent, 'type' | 'code' | 'message'> = {},
  ): void {
    if (this.eventsSubject.closed) return;
    this.eventsSubject.next({ type: 'warning', code, message, ...details });
  }
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
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
  const udp = await bindUdpSocket({ host: localHost, port: 0 });
  let tcp: net.Socket;
  try {
    tcp = await connectTcp({ host: options.host, port: options.port, timeoutMs });
  } catch (err) {
    udp.close();
    throw err;
  }
  tcp.on('error', () => undefined); // reported through the message stream
  // One subscription to the socket for the whole session: the join answer first, then the rest.
  const messages = new Subject<Uint8Array>();
  const tcpSub = fromTcpSocket(tcp, { maxMessageBytes: Limits.tcpMessageBytes }).subscribe(
    messages,
  );

  const fail = (err: Error): never => {
    tcpSub.unsubscribe();
    tcp.destroy();
    try {
      udp.close();
    } catch {
      // already closed
    }
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
    writeMessage(
      tcp,
      encodeMessage({
        type: MessageType.Join,
        protocolVersion: PROTOCOL_VERSION,
        username: options.username,
        password: options.password ?? '',
        udpPort: udp.address().port,
      }),
    );
  });
  joinSub?.unsubscribe();
  if (accepted instanceof Error) return fail(accepted);
  return new GameClient(tcp, messages, early, udp, accepted, options);
}
