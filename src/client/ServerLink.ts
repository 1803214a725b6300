// A client's link to its server across reconnects: the connection, its datagrams in and out,
// the reliable channel's messages, a lost connection and the reconnect that replaces it.
import type {
  DesyncEvent,
  DisconnectedEvent,
  ReconnectedEvent,
  ReconnectingEvent,
} from '../events.js';
import { disagreeingPlayers } from '../match/Desync.js';
import { Link } from '../link/Link.js';
import { sendCopies } from '../link/sendCopies.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import {
  MessageType,
  decodeServerTcp,
  decodeServerUdp,
  encodeMessage,
  type ClientTcpMessage,
  type CodecContext,
  type JoinAccepted,
  type ServerUdpMessage,
} from '../protocol/index.js';
import type {
  DatagramChannel,
  DatagramPath,
  TransportPeer,
  TransportWarning,
} from '../transport/Transport.js';
import type { ChatMessage, ConfirmedFrame } from '../types.js';
import { ChecksumReports } from './ChecksumReports.js';
import { ClientConnection, type Connection, type ConnectionOwner } from './ClientConnection.js';
import type { TickInput } from './ClientInputs.js';
import { Reconnector } from './Reconnector.js';
import { inputsPacket } from './inputsPacket.js';
import type { ResolvedConnectOptions } from './options.js';

/** The session a server link serves (the `GameClient`). @internal */
export interface ServerLinkHost {
  /** A spectator: no datagram channel, no reconnect. */
  readonly spectating: boolean;
  /** Ticks per second the match runs at. */
  readonly tickRate: number;
  /** The session has ended. */
  ended(): boolean;
  /** Ends the session. */
  end(reason: DisconnectedEvent['reason'], message: string): void;
  /** Reports a warning. */
  readonly warn: Warn;
  /** A `reconnecting` or `reconnected` event. */
  event(e: ReconnectingEvent | ReconnectedEvent): void;
  /** The tick the next input goes to (0 before the seat). */
  nextTick(): number;
  /** The player is seated: its inputs are acknowledged. */
  hasSeat(): boolean;
  /** World-state bytes from the server. */
  world(data: Uint8Array): void;
  /** The server's input lead, in ticks. */
  inputLead(ticks: number): void;
  /** Frames: live from a datagram, or from the reliable channel (a catch-up). */
  frames(frames: readonly ConfirmedFrame[], catchUp: boolean): void;
  /** A chat line. */
  chat(message: ChatMessage): void;
  /** The server found a desync. */
  desync(event: DesyncEvent): void;
  /** The catch-up ends at `tick`. */
  caughtUp(tick: number): void;
  /** The player's inputs count from `tick` on. */
  seated(tick: number): void;
  /** The server asks for the world before frame `tick`. */
  snapshotRequest(tick: number): void;
}

/** The client's link to its server, across reconnects. @internal */
export class ServerLink implements ConnectionOwner {
  /** Checksum reports, waiting for the server's acknowledgement. */
  readonly checksums = new ChecksumReports();
  /** The send window and watermark of the current connection. */
  link: Link<TickInput>;
  readonly ctx: CodecContext;
  private readonly reconnector: Reconnector;
  private peer: TransportPeer;
  private conn!: ClientConnection;
  private token: Uint8Array;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  /** A spectator was told CaughtUp: the CatchUp messages after it carry live frames. */
  private watchingLive = false;

  constructor(
    private readonly host: ServerLinkHost,
    peer: TransportPeer,
    firstTick: number,
    token: Uint8Array,
    private readonly options: ResolvedConnectOptions,
    redial: (token: Uint8Array, lastTick: number) => Promise<void>,
    ctx: CodecContext,
  ) {
    this.peer = peer;
    this.token = token;
    this.ctx = ctx;
    this.link = this.newLink(firstTick);
    this.reconnector = new Reconnector({
      timeoutMs: options.reconnectTimeoutMs,
      redial: () => redial(this.token, this.link.received),
      onAttempt: (attempt, message) => host.event({ type: 'reconnecting', attempt, message }),
      onGiveUp: (message) => host.end('connection-lost', message),
      ended: () => host.ended(),
    });
  }

  /** The first connection, and the keepalive that keeps the server hearing from us. */
  start(): void {
    this.conn = new ClientConnection(this, this.peer);
    // Keep the server hearing from us (acks, resends) when the game sends no input.
    this.keepalive = setInterval(() => {
      // A frozen server, or a path that died without a reset (issue 18).
      const silent = this.link.silentForMs;
      if (!this.reconnector.active && silent > this.options.serverTimeoutMs)
        return this.lose(`nothing heard from the server for ${Math.round(silent)} ms`);
      if (this.link.resendDue) this.sendPacket();
    }, 1000 / this.host.tickRate);
  }

  /** The spectating flag of the session (its connections open no datagram channel). */
  get spectating(): boolean {
    return this.host.spectating;
  }

  /** The current connection. */
  get connection(): ClientConnection {
    return this.conn;
  }

  /** The seat's current reconnect token. */
  get reconnectToken(): Uint8Array {
    return this.token;
  }

  /** The path datagrams take now (stats are sampled once before the first connection is set). */
  pathNow(): DatagramPath | undefined {
    const conn = this.conn as ClientConnection | undefined;
    return conn?.channel?.path;
  }

  /** Sends an Inputs packet, if the datagram channel is open. */
  sendPacket(): void {
    const channel = this.conn.channel;
    if (this.host.ended() || !channel) return;
    const { link, ctx, options } = this;
    const bytes = inputsPacket(
      link,
      this.host.nextTick(),
      this.checksums,
      ctx,
      options.datagramBytes,
    );
    // Under loss the server reports, the packet goes out several times at once.
    sendCopies(channel, bytes, link, options.maxCopies);
  }

  /** Sends a message on the reliable channel (none while reconnecting). */
  sendTcp(msg: ClientTcpMessage): void {
    if (this.reconnector.active) return; // nobody to send to: the reconnect restores the state
    this.peer.messages.send(encodeMessage(msg));
  }

  /** The datagram channel of connection `conn` opened. */
  attach(conn: ClientConnection, channel: DatagramChannel): void {
    if (this.host.ended() || conn !== this.conn) {
      channel.close();
      return;
    }
    conn.channel = channel;
    conn.own(
      serviceDatagrams({
        channel,
        conditioner: this.options.conditioner,
        // The frames held already (every packet repeats the unacknowledged ones) are checked,
        // not copied out.
        decode: (bytes) => decodeServerUdp(bytes, this.ctx, this.link.received + 1),
        onMessage: (msg, bytes) => this.onServerDatagram(msg, bytes),
        onFailure: (err) => this.lose(`datagram channel failed: ${err.message}`),
        onDecodeError: (error) =>
          this.host.warn('decode-error', `bad datagram: ${error.message}`, { error }),
      }),
    );
    this.sendPacket(); // the server learns where this client is from its first datagram
  }

  /** A message on the reliable channel of `conn`, after the join answer. */
  onMessage(conn: ClientConnection, bytes: Uint8Array): void {
    if (conn !== this.conn || this.host.ended()) return;
    let msg;
    try {
      msg = decodeServerTcp(bytes, this.ctx);
    } catch (err) {
      const error = err as Error;
      this.host.warn('decode-error', `bad TCP message: ${error.message}`, { error });
      return;
    }
    const { host } = this;
    switch (msg.type) {
      case MessageType.ChatBroadcast:
        host.chat({ from: msg.from, text: msg.text });
        return;
      case MessageType.Goodbye:
        host.end(msg.reason, msg.message);
        return;
      case MessageType.Desync:
        host.desync({
          type: 'desync',
          tick: msg.tick,
          checksums: msg.checksums,
          disagreeing: disagreeingPlayers(msg.checksums),
        });
        return;
      case MessageType.SignalToClient:
        conn.peer.signal(msg.data);
        return;
      case MessageType.CatchUp:
        // A spectator's live frames come this way too, after its CaughtUp.
        host.frames(msg.frames, !this.watchingLive);
        return;
      case MessageType.CaughtUp:
        this.watchingLive = host.spectating;
        host.caughtUp(msg.tick);
        return;
      case MessageType.Seated:
        host.seated(msg.tick);
        return;
      case MessageType.SnapshotRequest:
        host.snapshotRequest(msg.tick);
        return;
      default:
        host.warn('unexpected-message', `unexpected message type ${msg.type} after the join`);
    }
  }

  /** The reliable channel of `conn` ended (`error` set when it failed). */
  onClosed(conn: ClientConnection, error: Error | undefined): void {
    if (conn !== this.conn) return;
    this.lose(
      error
        ? `connection to the server failed: ${error.message}`
        : 'the server closed the connection',
    );
  }

  /** A reconnect was accepted on `peer`: the session goes on over it. */
  reattach(peer: TransportPeer, accepted: JoinAccepted): Connection {
    this.conn.close();
    if (accepted.firstTick !== this.link.received + 1)
      this.host.warn(
        'catch-up-incomplete',
        `the frames go on from tick ${accepted.firstTick}, not ${this.link.received + 1}`,
      );
    this.peer = peer;
    this.token = accepted.reconnectToken;
    this.link = this.newLink(accepted.firstTick);
    this.conn = new ClientConnection(this, peer);
    this.host.event({ type: 'reconnected', tick: accepted.firstTick });
    return this.conn;
  }

  /** The handshake on `conn` did not complete. */
  abandoned(conn: ClientConnection, message: string): void {
    if (this.reconnector.active)
      conn.close(); // the reconnect tries again
    else this.host.end('connection-lost', message);
  }

  /** A transport warning on one of its connections. */
  transportWarning(w: TransportWarning): void {
    this.host.warn(w.code, w.message, { address: w.address, port: w.port, error: w.error });
  }

  /** Stops the keepalive and any pending reconnect (first of the session's end). */
  stop(): void {
    clearInterval(this.keepalive);
    this.reconnector.stop();
  }

  /** Closes the connection and drops what the link holds (the session ended). */
  close(): void {
    this.conn.close();
    this.link.clear();
  }

  private newLink(receiveFrom: number): Link<TickInput> {
    return new Link<TickInput>({
      key: (i) => i.tick,
      capacity: this.options.maxUnackedInputs,
      sendFrom: this.host.nextTick(),
      receiveFrom,
      resendAfterMs: (1000 / this.host.tickRate) * 1.5,
    });
  }

  private onServerDatagram(msg: ServerUdpMessage, bytes: number): void {
    const { link } = this;
    if (msg.type === MessageType.WorldState) {
      if (link.acceptWorld(msg.seq)) this.host.world(msg.data);
      return;
    }
    link.heard();
    link.meter.onReceived(bytes, msg.seq);
    link.meter.onEcho(msg.echoSentAt, msg.echoDelayMs);
    link.meter.onPeerLoss(msg.rxLoss);
    if (this.host.hasSeat()) link.acknowledged(msg.inputAck);
    this.checksums.acknowledged(msg.checksumAck);
    if (msg.inputLead !== undefined) this.host.inputLead(msg.inputLead / 8);
    this.host.frames(msg.frames, false);
  }

  /**
   * The connection is lost: the client reconnects to its seat, with backoff, for
   * `reconnectTimeoutMs`; `frames$` stays open meanwhile.
   */
  lose(message: string): void {
    if (this.host.ended() || this.reconnector.active) return;
    if (this.options.reconnectTimeoutMs === 0 || this.host.spectating)
      return this.host.end('connection-lost', message);
    this.conn.close();
    this.reconnector.start(message);
  }
}
