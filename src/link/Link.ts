// One end of a lockstep link, the same on the server (one per player) and the client.
import { Limits } from '../protocol/messages.js';
import { LinkMeter } from './LinkMeter.js';
import type { LossCopies } from './LossCopies.js';
import { SendWindow, type SendWindowWarning } from './SendWindow.js';

/** Options of a {@link Link}. */
export interface LinkOptions<Out> {
  /** The key of an item sent: consecutive ticks. */
  readonly key: (item: Out) => number;
  /** The most items held unacknowledged (`maxUnackedFrames`, `maxUnackedInputs`). */
  readonly capacity: number;
  /** The first key this side sends. */
  readonly sendFrom: number;
  /** The first key the peer sends (its items before it are never expected). */
  readonly receiveFrom: number;
  /** Nothing sent for this long: a packet is due anyway (acks, keepalive). */
  readonly resendAfterMs: number;
  /** The clock, in ms. Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * One end of a link: what this side sends redundantly until acknowledged (frames on the
 * server, inputs on the client), the watermark of what it has received from the peer in
 * order, the packet meter, the resend cadence and the latest-wins world-state sequence.
 *
 * Every datagram of the protocol carries a run of consecutive items starting no later than
 * the receiver's acknowledgement + 1 (the sender offers its oldest unacknowledged first), so
 * the receiver needs no reorder buffer: one number, the watermark, says what it has.
 */
export class Link<Out> {
  readonly meter: LinkMeter;
  private readonly window: SendWindow<Out>;
  private watermark: number;
  /** The peer's last acknowledgement of our items. */
  private peerAck: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private packets = 0;
  /**
   * How many copies of each datagram to send under the loss the peer reports (`sendCopies`):
   * made at the first loss reported.
   */
  copies: LossCopies | undefined;
  private lastHeardAt: number;
  private worldSeqOut = 0;
  private worldSeqIn = 0;
  private readonly now: () => number;

  constructor(private readonly options: LinkOptions<Out>) {
    this.now = options.now ?? defaultNow;
    this.meter = new LinkMeter(this.now);
    // Every unacknowledged item is offered (one "byte" each, up to the protocol's ticks per
    // packet): the encoder takes as many as fit in the datagram.
    this.window = new SendWindow<Out>({
      key: options.key,
      capacity: options.capacity,
      budgetBytes: MAX_OFFERED,
    });
    this.watermark = options.receiveFrom - 1;
    this.peerAck = options.sendFrom - 1;
    this.lastHeardAt = this.now();
  }

  // --- Sending -------------------------------------------------------------------------

  /**
   * Holds an item to send until the peer acknowledges it.
   * @returns undefined when held; why not when refused (`window-full` once `capacity` are
   * unacknowledged).
   */
  push(item: Out): SendWindowWarning | undefined {
    return this.window.push(item);
  }

  /** The peer acknowledges every item up to `key`. */
  acknowledged(key: number): void {
    if (!(key > this.peerAck)) return;
    this.peerAck = key;
    this.window.ack(key);
  }

  /** The last key up to which the peer has every item of ours (`sendFrom - 1` before any). */
  get acknowledgedByPeer(): number {
    return this.peerAck;
  }

  /** Items sent and not acknowledged. */
  get unacked(): number {
    return this.window.unacked;
  }

  /** The unacknowledged items, oldest first, for the next packet (a fresh array). */
  outgoing(): readonly Out[] {
    return this.window.batch().items;
  }

  /** A packet of `bytes` is sent now. */
  sent(bytes: number): void {
    this.lastSentAt = this.now();
    this.packets += 1;
    this.meter.onSent(bytes);
  }

  /** The link's clock, in ms (`options.now`, or `performance.now`). */
  get clock(): () => number {
    return this.now;
  }

  /**
   * Packets made and sent with {@link Link.sent} so far: the copies sent under loss
   * (`sendCopies`) count as datagrams on the meter, not here, so what is put in every n-th
   * packet stays in every n-th packet however many copies go out.
   */
  get packetsMade(): number {
    return this.packets;
  }

  /** Nothing was sent for `resendAfterMs`: a packet is due (resend, acks, keepalive). */
  get resendDue(): boolean {
    return this.now() - this.lastSentAt >= this.options.resendAfterMs;
  }

  /**
   * Starts sending afresh from key `from`: what is held is dropped, and the peer is taken to
   * have every item before `from` (a catch-up brought them some other way).
   */
  restartSending(from: number): void {
    this.window.reset();
    this.peerAck = from - 1;
  }

  /** The sequence number of the next world state sent (latest wins at the other end). */
  nextWorldSeq(): number {
    this.worldSeqOut += 1;
    return this.worldSeqOut;
  }

  // --- Receiving -----------------------------------------------------------------------

  /** The last key up to which every item from the peer is in (`receiveFrom - 1` before any). */
  get received(): number {
    return this.watermark;
  }

  /**
   * A run of `count` consecutive items from the peer, the first with key `first`. Takes the
   * ones that are new and extend what is held without a gap, below `limit` (items at or past
   * it are neither taken nor acknowledged: the peer sends them again).
   * @returns The index in the run of the first item taken and the index after the last;
   * equal when there is none. The watermark has moved past them.
   */
  receive(first: number, count: number, limit = Number.POSITIVE_INFINITY): [number, number] {
    const from = this.watermark + 1 - first;
    if (from < 0) return [0, 0]; // a gap before the run: never from an honest peer
    const to = Math.min(count, limit - first);
    if (to <= from) return [0, 0];
    this.watermark = first + to - 1;
    return [from, to];
  }

  /**
   * Expects the peer's items from `watermark + 1` on: those before are never taken (a
   * receiver that starts afresh, such as a player seated from a later tick).
   */
  resetReceive(watermark: number): void {
    this.watermark = watermark;
  }

  /** A world state with `seq` came: true if it is newer than every one before (keep it). */
  acceptWorld(seq: number): boolean {
    if (!(seq > this.worldSeqIn)) return false;
    this.worldSeqIn = seq;
    return true;
  }

  /** A valid packet came from the peer now. */
  heard(): void {
    this.lastHeardAt = this.now();
  }

  /** Ms since the last valid packet from the peer (or since the link was made). */
  get silentForMs(): number {
    return this.now() - this.lastHeardAt;
  }

  /** Drops what is held. */
  clear(): void {
    this.window.clear();
  }
}

/** Items offered for one packet at most: the protocol's ticks per packet. */
const MAX_OFFERED = Limits.maxTicksPerPacket;

function defaultNow(): number {
  return performance.now();
}
