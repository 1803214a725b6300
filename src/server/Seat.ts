// A player's seat on the server: its link, its datagram channel, its inputs in and frames out.
import { Subject, type Subscription } from 'rxjs';
import { Link } from '../link/Link.js';
import { serviceDatagrams, type Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import { networkStats } from '../operators/networkStats.js';
import {
  MessageType,
  decodeClientUdp,
  encodeFramesPacket,
  encodeMessage,
  type CodecContext,
  type FramesBodyCache,
  type InputsPacket,
} from '../protocol/index.js';
import type { LinkSample, PlayerStats } from '../stats.js';
import type { DatagramChannel, SendSignal, TransportPeer } from '../transport/Transport.js';
import type { ConfirmedFrame, PlayerInfo } from '../types.js';
import type { ResolvedServerOptions } from './options.js';

/** What a seat needs from its server. */
export interface SeatHost {
  readonly match: Match;
  readonly ctx: CodecContext;
  readonly options: ResolvedServerOptions;
  readonly warn: Warn;
  /** Statistics of one player, each `statsIntervalMs`. */
  readonly onStats: (stats: PlayerStats) => void;
}

/**
 * The playing state of a session: one player in one slot. Inputs come in on its datagram
 * channel and go to the match; the match's frames go out through its link, redundantly,
 * until the player acknowledges them.
 */
export class Seat {
  readonly link: Link<ConfirmedFrame>;
  /** Frames were pushed since the last send. */
  dirty = false;
  /** The highest tick of a checksum report taken from this player. */
  private checksumAck = -1;
  private snapshotTaken = false;
  private channel: DatagramChannel | undefined;
  private channelSub: Subscription | undefined;
  private readonly samples = new Subject<LinkSample>();
  private closed = false;

  constructor(
    readonly player: PlayerInfo,
    /** The first tick this player sends an input for, and its first frame. */
    readonly startTick: number,
    private readonly host: SeatHost,
  ) {
    const { options } = host;
    this.link = new Link<ConfirmedFrame>({
      key: (f) => f.tick,
      capacity: options.maxUnackedFrames,
      sendFrom: startTick,
      receiveFrom: startTick,
      resendAfterMs: (1000 / options.tickRate) * 1.5,
    });
    this.samples.pipe(networkStats()).subscribe((st) => {
      const path = this.channel?.path;
      host.onStats({ playerId: player.playerId, ...st, ...(path ? { path } : {}) });
    });
  }

  get playerId(): number {
    return this.player.playerId;
  }

  /**
   * Opens the player's datagram channel over its transport (signals go to the client through
   * `signal`); `onLost` is told when it does not open, or fails later.
   */
  open(peer: TransportPeer, signal: SendSignal, onLost: (message: string) => void): void {
    peer.openDatagrams(signal).then(
      (channel) => {
        if (this.closed) channel.close();
        else
          this.attach(channel, (error) => {
            this.host.warn('socket-error', `datagram channel failed: ${error.message}`, {
              playerId: this.playerId,
              error,
            });
            onLost('datagram channel failed');
          });
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.host.warn('join-failed', `datagram channel did not open: ${error.message}`, {
          playerId: this.playerId,
          address: peer.remoteAddress,
          error,
        });
        onLost('datagram channel did not open');
      },
    );
  }

  /** The datagram channel opened: inputs can come in and frames go out. */
  private attach(channel: DatagramChannel, onFailure: (err: Error) => void): void {
    this.channel = channel;
    const { conditioner } = this.host.options;
    this.channelSub = serviceDatagrams({
      channel,
      // Each player's link its own pseudo-random stream, reproducible from the seed.
      conditioner: conditioner && {
        ...conditioner,
        seed: (conditioner.seed ?? 1) + this.playerId,
      },
      decode: (bytes) => decodeClientUdp(bytes, this.host.ctx),
      onMessage: (msg, bytes) => this.onInputs(msg, bytes),
      onFailure,
      onDecodeError: (error) =>
        this.host.warn('decode-error', `bad datagram: ${error.message}`, {
          playerId: this.playerId,
          error,
        }),
    });
  }

  /** One inputs packet from this player. */
  private onInputs(msg: InputsPacket, bytes: number): void {
    const { link } = this;
    const { match } = this.host;
    link.heard();
    link.meter.onReceived(bytes, msg.seq, msg.sentAt);
    link.meter.onPeerLoss(msg.rxLoss);
    if (msg.linkReport) link.meter.onPeerRtt(msg.linkReport.rttMs, msg.linkReport.jitterMs);
    link.acknowledged(msg.frameAck);
    for (const c of msg.checksums) {
      if (c.tick <= this.checksumAck) continue;
      if (!match.checksum(this.playerId, c.tick, c.checksum)) break; // not confirmed yet
      this.checksumAck = c.tick;
    }
    // Inputs the match would refuse (too far ahead) are neither fed nor acknowledged: the
    // client sends them again, and they are taken once the game has caught up.
    const [from, to] = link.receive(msg.firstTick, msg.inputs.length, match.inputLimit);
    for (let i = from; i < to && !this.closed; i++) {
      // A frame this input completes may drop this player (its window full): then stop.
      match.input(this.playerId, msg.firstTick + i, msg.inputs[i]);
    }
  }

  /**
   * Holds a confirmed frame for this player until acknowledged.
   * @returns false when its window is full (it acknowledged nothing for `maxUnackedFrames` frames).
   */
  pushFrame(frame: ConfirmedFrame): boolean {
    if (frame.tick < this.startTick) return true;
    if (this.link.push(frame)) return false;
    this.dirty = true;
    return true;
  }

  /** Sends every unacknowledged frame that fits, with this side's acknowledgements. */
  sendFrames(bodies: FramesBodyCache): void {
    this.dirty = false;
    const { link } = this;
    const echo = link.meter.echo();
    const { bytes } = encodeFramesPacket(
      {
        type: MessageType.Frames,
        seq: link.meter.takeSeq(),
        echoSentAt: echo.echoSentAt,
        echoDelayMs: echo.echoDelayMs,
        inputAck: link.received,
        rxLoss: link.meter.rxLossByte(),
        checksumAck: this.checksumAck,
        frames: link.outgoing(),
      },
      this.host.ctx,
      this.host.options.datagramBytes,
      bodies,
    );
    // Only frames packets count for the resend cadence (they carry the acks too): world
    // state sent every tick must not hold back a lost frame's resend.
    link.sent(bytes.length);
    this.channel?.send(bytes);
  }

  /** Opaque bytes for this player, latest wins. */
  sendWorldState(data: Uint8Array): void {
    const bytes = encodeMessage({
      type: MessageType.WorldState,
      seq: this.link.nextWorldSeq(),
      data,
    });
    this.link.meter.onSent(bytes.length);
    this.channel?.send(bytes);
  }

  /**
   * A state snapshot for the desync tick: taken once per player.
   * @returns false if one was taken already.
   */
  takeSnapshot(): boolean {
    if (this.snapshotTaken) return false;
    this.snapshotTaken = true;
    return true;
  }

  /** Counters for the statistics. */
  sample(): void {
    const behind = this.host.match.head - 1 - this.link.acknowledgedByPeer;
    this.samples.next(this.link.meter.sample(this.link.unacked, Math.max(0, behind)));
  }

  /** Closes the datagram channel and completes the statistics. */
  close(): void {
    this.closed = true;
    this.channelSub?.unsubscribe();
    this.channel?.close();
    this.samples.complete();
    this.link.clear();
  }
}
