import type { LinkSample } from '../stats.js';

/** Sequence numbers are 7-bit: a positive fixint, one byte in msgpack. */
const SEQ_MASK = 0x7f;
/** The most distinct sequence numbers one loss window counts. */
const MAX_SEEN = 65536;

/**
 * Per-link bookkeeping shared by the server (one per player) and the client: packet
 * sequence numbers, the timestamp echo that gives the round-trip time, and counters.
 *
 * Sequence numbers travel modulo 2^7 (one byte on the wire; loss is counted right while
 * fewer than 64 packets in a row are lost), timestamps modulo 2^16.
 */
export class LinkMeter {
  private nextSeq = 0;
  packetsSent = 0;
  bytesSent = 0;
  packetsReceived = 0;
  bytesReceived = 0;

  // What to echo: the peer's latest timestamp and when it arrived (local ms).
  private echoSentAt = 0;
  private echoReceivedAt = -1;

  // Receive-side loss from the peer's sequence numbers, unwrapped.
  private highestSeq = -1;
  private lastRawSeq = 0;
  private firstSeq = -1;
  /**
   * Distinct sequence numbers received in the current loss window: a bit per number from
   * `firstSeq` on (at most MAX_SEEN), and how many bits are set.
   */
  private seenBits = new Uint32Array(8);
  private seenCount = 0;
  /** Words of `seenBits` written since the last window began. */
  private seenWords = 0;

  /** Smoothed round-trip time in ms (RFC 6298 style), or null before the first sample. */
  srttMs: number | null = null;
  /** Mean deviation of the round-trip time in ms, or null before the first sample. */
  rttVarMs: number | null = null;
  /** Latest raw round-trip sample in ms. */
  lastRttMs: number | null = null;
  /** Loss of the peer's packets over the last sampling window (0..1). */
  lossIn = 0;
  /** Loss of our packets as the peer last reported it (0..1), or null. */
  lossOut: number | null = null;

  /** The echo fields of the last echo taken (a copy's are the same: taken once). */
  private lastEchoSentAt = -1;
  private lastEchoDelayMs = -1;

  constructor(private readonly now: () => number = defaultNow) {}

  /** The sequence number for the next packet sent. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & SEQ_MASK;
    return seq;
  }

  /** This side's clock, modulo 2^16 ms, for the `sentAt` field. */
  clock16(): number {
    return Math.floor(this.now()) & 0xffff;
  }

  onSent(bytes: number): void {
    this.packetsSent++;
    this.bytesSent += bytes;
  }

  /**
   * A valid packet from the peer, with its sequence number and timestamp (if it has one).
   * For loss, only distinct sequence numbers of the current window count: a duplicate, or a
   * packet older than the window, is not a packet more received.
   */
  onReceived(bytes: number, seq: number, peerSentAt?: number): void {
    this.packetsReceived++;
    this.bytesReceived += bytes;
    if (this.highestSeq < 0) {
      if (peerSentAt !== undefined) this.keepEcho(peerSentAt);
      this.highestSeq = seq;
      this.lastRawSeq = seq;
      this.firstSeq = seq;
      this.markSeen(0);
      return;
    }
    // Unwrap: a difference over half the range is a wrap-around or an old packet.
    let delta = (seq - this.lastRawSeq) & SEQ_MASK;
    if (delta > SEQ_MASK >> 1) delta -= SEQ_MASK + 1;
    const unwrapped = this.highestSeq + delta;
    if (delta > 0) {
      this.highestSeq = unwrapped;
      this.lastRawSeq = seq;
      // Only the newest packet's timestamp is echoed: a late one would inflate the RTT.
      if (peerSentAt !== undefined) this.keepEcho(peerSentAt);
    }
    if (unwrapped >= this.firstSeq) this.markSeen(unwrapped - this.firstSeq);
  }

  /** Sequence number `firstSeq + offset` received: counted once. */
  private markSeen(offset: number): void {
    if (offset >= MAX_SEEN) return;
    const word = offset >>> 5;
    if (word >= this.seenBits.length) {
      const grown = new Uint32Array(
        Math.min(MAX_SEEN >>> 5, Math.max(word + 1, this.seenBits.length * 2)),
      );
      grown.set(this.seenBits);
      this.seenBits = grown;
    }
    const bit = 1 << (offset & 31);
    if (this.seenBits[word] & bit) return;
    this.seenBits[word] |= bit;
    this.seenCount++;
    if (word >= this.seenWords) this.seenWords = word + 1;
  }

  private keepEcho(peerSentAt: number): void {
    this.echoSentAt = peerSentAt;
    this.echoReceivedAt = this.now();
  }

  /** The echo fields for a packet sent now: the peer's last timestamp and how long we held it. */
  echo(): { echoSentAt: number; echoDelayMs: number } {
    if (this.echoReceivedAt < 0) return { echoSentAt: 0, echoDelayMs: 0xffff };
    const held = Math.min(0xfffe, Math.max(0, Math.round(this.now() - this.echoReceivedAt)));
    return { echoSentAt: this.echoSentAt, echoDelayMs: held };
  }

  /** An echo came back: one round-trip sample (ignored if the peer had nothing to echo). */
  onEcho(echoSentAt: number, echoDelayMs: number): void {
    if (echoDelayMs === 0xffff) return;
    // The same echo again (a copy of one packet, sent under loss): one sample, not k alike.
    if (echoSentAt === this.lastEchoSentAt && echoDelayMs === this.lastEchoDelayMs) return;
    this.lastEchoSentAt = echoSentAt;
    this.lastEchoDelayMs = echoDelayMs;
    const rtt = ((this.clock16() - echoSentAt) & 0xffff) - echoDelayMs;
    if (rtt < 0 || rtt > 30_000) return;
    this.lastRttMs = rtt;
    if (this.srttMs === null || this.rttVarMs === null) {
      this.srttMs = rtt;
      this.rttVarMs = rtt / 2;
    } else {
      this.rttVarMs = 0.75 * this.rttVarMs + 0.25 * Math.abs(this.srttMs - rtt);
      this.srttMs = 0.875 * this.srttMs + 0.125 * rtt;
    }
  }

  /** The peer measured the round trip itself and told us (the server's side of a link). */
  onPeerRtt(rttMs: number, jitterMs: number): void {
    this.srttMs = rttMs;
    this.rttVarMs = jitterMs;
    this.lastRttMs = rttMs;
  }

  /** The peer's report of how many of our packets it lost, scaled 0..255. */
  onPeerLoss(scaled: number): void {
    this.lossOut = scaled / 255;
  }

  /** `lossIn` scaled to 0..255, for the `rxLoss` field of packets sent. */
  rxLossByte(): number {
    return Math.round(this.lossIn * 255);
  }

  /** Counters now; ends the current loss window (`lossIn` is updated). */
  sample(unacked: number, framesBehind: number): LinkSample {
    this.lossIn = this.takeReceiveLoss();
    return {
      at: this.now(),
      packetsIn: this.packetsReceived,
      packetsOut: this.packetsSent,
      bytesIn: this.bytesReceived,
      bytesOut: this.bytesSent,
      rttMs: this.srttMs,
      jitterMs: this.rttVarMs,
      lossIn: this.lossIn,
      lossOut: this.lossOut,
      unacked,
      framesBehind,
    };
  }

  /**
   * Fraction of the peer's packets lost since the last call (0 when nothing was expected),
   * and starts a new window.
   */
  takeReceiveLoss(): number {
    if (this.firstSeq < 0) return 0;
    const expected = this.highestSeq - this.firstSeq + 1;
    // Nothing at all from a peer heard before: every packet of the window was lost (peers
    // send at least a keepalive every two ticks).
    if (expected <= 0) return 1;
    const loss = Math.max(0, 1 - this.seenCount / expected);
    this.firstSeq = this.highestSeq + 1;
    this.seenBits.fill(0, 0, this.seenWords);
    this.seenWords = 0;
    this.seenCount = 0;
    return loss;
  }
}

function defaultNow(): number {
  return performance.now();
}
