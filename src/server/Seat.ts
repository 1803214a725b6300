// A player's seat on the server, by slot: it outlives connections; its link, datagram channel and catch-up are those of its current session.
import { Subject, type Subscription } from 'rxjs';
import { Link } from '../link/Link.js';
import { sendCopies } from '../link/sendCopies.js';
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
import type { DatagramChannel, TransportPeer } from '../transport/Transport.js';
import type { ConfirmedFrame, PlayerInfo } from '../types.js';
import type { ResolvedServerOptions } from './options.js';
import { CATCH_UP_BACKLOG_BYTES, pumpFrames, sinkOf } from './catchUp.js';
import type { PeerSession } from './PeerSession.js';

/** What a seat needs from its server. */
export interface SeatHost {
  readonly match: Match;
  readonly ctx: CodecContext;
  readonly options: ResolvedServerOptions;
  readonly warn: Warn;
  /** Statistics of one player, each `statsIntervalMs`. */
  readonly onStats: (stats: PlayerStats) => void;
  /** An away seat whose frames are paused is heard from again on its datagram channel. */
  readonly onHeardAgain: (seat: Seat, frameAck: number) => void;
  /** An away seat whose player sends new inputs again. */
  readonly onInputsAgain: (seat: Seat) => void;
}

/** The states of a seat. */
export const SeatState = {
  /** Held for a player who is not ready yet: not in the frames. */
  Holding: 'holding',
  /** In the frames, its inputs taken. */
  Playing: 'playing',
  /** In the frames, its input substituted: silent, or its connection lost. */
  Away: 'away',
  /** Released: nothing is left of it. */
  Gone: 'gone',
} as const;
export type SeatState = (typeof SeatState)[keyof typeof SeatState];

/** 16 random bytes from a cryptographic generator. */
export function newReconnectToken(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(16));
}

/** Compares two tokens in time that depends on their length only. */
export function tokensEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * One player in one slot. The seat is the player's place in the match: it is held before
 * the player is ready, kept while it is away, and given to the session of a reconnect. What
 * belongs to one connection (the link, the datagram channel, the catch-up over the reliable
 * channel) is made anew at each {@link Seat.attach}.
 *
 * Frames reach the player in two ways, with no gap and no duplicate: first the frames it
 * lacks, from the match's log, in CatchUp messages over the reliable channel, paced by what
 * the connection has queued; then, from the tick named in CaughtUp on, every new frame
 * through its link, redundantly over datagrams until acknowledged.
 */
export class Seat {
  state: SeatState = SeatState.Holding;
  /** The session of its current connection, if it has one. */
  session: PeerSession | undefined;
  /** What a Reconnect to this seat must show (a new one at each reconnect). */
  token: Uint8Array = newReconnectToken();
  /** Its first frame in the match (its join tick) once ready. */
  startTick: number | undefined;
  link: Link<ConfirmedFrame>;
  /** Frames were pushed since the last send. */
  dirty = false;
  /** The next frame to send over the reliable channel; undefined once the frames are live. */
  private catchUpNext: number | undefined;
  /** The highest tick of a checksum report taken from this player. */
  private checksumAck = -1;
  private snapshotTaken = false;
  private channel: DatagramChannel | undefined;
  private channelSub: Subscription | undefined;
  private samples = new Subject<LinkSample>();
  private statsSub: Subscription | undefined;
  /** Counts the connections, so a channel that opens late for an old one is closed. */
  private generation = 0;

  constructor(
    readonly player: PlayerInfo,
    private readonly host: SeatHost,
  ) {
    this.link = this.newLink(0);
  }

  get playerId(): number {
    return this.player.playerId;
  }

  /** Its frames are held back: it is away, and gets a catch-up when heard again. */
  private paused = false;

  /** Whether its frames are held back (away, not heard from since). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether its frames go out over datagrams (the catch-up is over, it is not away). */
  get live(): boolean {
    return this.catchUpNext === undefined && this.session !== undefined && !this.paused;
  }

  /** No more frames over datagrams: the player is away (a catch-up follows its return). */
  pause(): void {
    this.paused = true;
    this.link.clear();
  }

  /** Whether it is catching up over the reliable channel. */
  get catchingUp(): boolean {
    return this.catchUpNext !== undefined;
  }

  private newLink(inputsFrom: number): Link<ConfirmedFrame> {
    const { options } = this.host;
    return new Link<ConfirmedFrame>({
      key: (f) => f.tick,
      capacity: options.maxUnackedFrames,
      sendFrom: 0,
      receiveFrom: inputsFrom,
      resendAfterMs: (1000 / options.tickRate) * 1.5,
    });
  }

  /**
   * Gives the seat to `session`'s connection: a new link, the frames from `firstFrame` on
   * (a catch-up, then live), and its datagram channel opened over `peer` (signals go to the
   * client through the session); `onLost` is told when it does not open, or fails later.
   */
  attach(session: PeerSession, firstFrame: number, onLost: (message: string) => void): void {
    this.detach();
    this.session = session;
    this.generation += 1;
    const generation = this.generation;
    this.link = this.newLink(this.startTick ?? 0);
    this.paused = false;
    this.samples = new Subject<LinkSample>();
    this.statsSub = this.samples.pipe(networkStats()).subscribe((st) => {
      const path = this.channel?.path;
      this.host.onStats({ playerId: this.playerId, ...st, ...(path ? { path } : {}) });
    });
    this.catchUpNext = firstFrame;
    const peer: TransportPeer = session.peer;
    peer
      .openDatagrams((data) => session.signal(data))
      .then(
        (channel) => {
          if (generation !== this.generation || this.session !== session) channel.close();
          else
            this.openChannel(channel, (error) => {
              this.host.warn('socket-error', `datagram channel failed: ${error.message}`, {
                playerId: this.playerId,
                error,
              });
              onLost('datagram channel failed');
            });
        },
        (err: unknown) => {
          if (generation !== this.generation) return;
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

  /** Its connection is gone: the datagram channel closed, the link dropped. */
  detach(): void {
    this.generation += 1;
    this.session = undefined;
    this.catchUpNext = undefined;
    this.channelSub?.unsubscribe();
    this.channelSub = undefined;
    this.channel?.close();
    this.channel = undefined;
    this.link.clear();
    this.samples.complete();
    this.statsSub?.unsubscribe();
  }

  /**
   * The player is seated from `tick` (its join, or its return): inputs are taken from
   * `tick` on, and the client is told.
   */
  seat(tick: number): void {
    this.startTick ??= tick;
    this.link.resetReceive(tick - 1);
    this.session?.send({ type: MessageType.Seated, tick });
  }

  /**
   * Goes back to the catch-up over the reliable channel from `tick` (an away player heard
   * again, whose datagrams missed frames): no frame goes out over datagrams until it is over.
   */
  catchUpFrom(tick: number): void {
    if (this.session === undefined) return;
    this.link.clear();
    this.paused = false;
    this.catchUpNext = tick;
  }

  /**
   * Sends CatchUp messages while the connection has room, from the log: at most a few per
   * call, so that one newcomer's catch-up never holds the event loop for long.
   * @returns false if the frames it needs are no longer in the log.
   */
  pumpCatchUp(): boolean {
    const session = this.session;
    const next = this.catchUpNext;
    if (session === undefined || next === undefined) return true;
    const { match, ctx } = this.host;
    const done = pumpFrames(sinkOf(session), match.log, ctx, next, match.head);
    this.catchUpNext = done.next;
    if (done.state === 'lost') return false;
    if (done.state === 'done') {
      // Every frame confirmed so far is sent: the next ones go out live, over datagrams.
      this.catchUpNext = undefined;
      this.link.restartSending(done.next);
      session.send({ type: MessageType.CaughtUp, tick: done.next });
    }
    return true;
  }

  /** Whether a catch-up has more to send and the connection has room for it now. */
  get catchUpHasRoom(): boolean {
    const session = this.session;
    return (
      this.catchUpNext !== undefined &&
      session !== undefined &&
      session.peer.messages.bufferedBytes < CATCH_UP_BACKLOG_BYTES
    );
  }

  /** The datagram channel opened: inputs can come in and frames go out. */
  private openChannel(channel: DatagramChannel, onFailure: (err: Error) => void): void {
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
    if (this.live) link.acknowledged(msg.frameAck);
    if (this.state === SeatState.Away) {
      // Heard again: its frames resume (a catch-up of those it missed first).
      if (this.paused) this.host.onHeardAgain(this, msg.frameAck);
      // Back in the match once it sends inputs again (not mere keepalives: a player that
      // stays connected but does not play stays away, and leaves at the end of the grace).
      if (msg.inputs.length > 0 && msg.firstTick + msg.inputs.length - 1 > link.received)
        this.host.onInputsAgain(this);
      return;
    }
    if (this.state !== SeatState.Playing) return;
    for (const c of msg.checksums) {
      if (c.tick <= this.checksumAck) continue;
      if (!match.checksum(this.playerId, c.tick, c.checksum)) break; // not confirmed yet
      this.checksumAck = c.tick;
    }
    // Inputs the match would refuse (too far ahead) are neither fed nor acknowledged: the
    // client sends them again, and they are taken once the game has caught up.
    const [from, to] = link.receive(msg.firstTick, msg.inputs.length, match.inputLimit);
    for (let i = from; i < to && this.state === SeatState.Playing; i++) {
      // A frame this input completes may make this player away (its window full): then stop.
      match.input(this.playerId, msg.firstTick + i, msg.inputs[i]);
    }
  }

  /**
   * Holds a confirmed frame for this player until acknowledged, once its frames are live.
   * @returns false when its window is full (it acknowledged nothing for `maxUnackedFrames` frames).
   */
  pushFrame(frame: ConfirmedFrame): boolean {
    if (!this.live || frame.tick < this.link.acknowledgedByPeer + 1) return true;
    if (this.link.push(frame)) return false;
    this.dirty = true;
    return true;
  }

  /** Sends every unacknowledged frame that fits, with this side's acknowledgements. */
  sendFrames(bodies: FramesBodyCache): void {
    this.dirty = false;
    const { link } = this;
    if (this.channel === undefined) return;
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
        frames: this.live ? link.outgoing() : [],
        inputLead: this.host.match.inputLead(this.playerId), // issue 15: paces ticks$
      },
      this.host.ctx,
      this.host.options.datagramBytes,
      bodies,
    );
    // Only frames packets count for the resend cadence (they carry the acks too): world
    // state sent every tick must not hold back a lost frame's resend.
    link.sent(bytes.length);
    sendCopies(this.channel, bytes, link, this.host.options.maxCopies); // copies under loss
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
    if (this.session === undefined) return;
    const behind = this.host.match.head - 1 - this.link.acknowledgedByPeer;
    this.samples.next(this.link.meter.sample(this.link.unacked, Math.max(0, behind)));
  }

  /** Releases the seat: its connection's parts closed; its token is dead. */
  close(): void {
    this.detach();
    this.state = SeatState.Gone;
  }
}
