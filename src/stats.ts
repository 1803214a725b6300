import type { DatagramPath } from './transport/Transport.js';

/** Network statistics of one link (a client's link to the server, or the server's to one player). */
export interface NetworkStats {
  /**
   * How datagrams travel now, where the transport says: `'webrtc'`, or `'websocket'` for a
   * browser player on the fallback (slower under loss). Absent when the transport does not say.
   */
  readonly path?: DatagramPath;
  /** Smoothed round-trip time in ms, from timestamps echoed in acks; null before the first echo. */
  readonly rttMs: number | null;
  /** Mean deviation of the round-trip time in ms (jitter); null before the first echo. */
  readonly jitterMs: number | null;
  /** Fraction (0..1) of the peer's packets that did not arrive, over the last interval. */
  readonly lossIn: number;
  /** Fraction (0..1) of this side's packets the peer reports lost; null until it reports. */
  readonly lossOut: number | null;
  /** Bytes per second received over UDP, over the last interval. */
  readonly bytesInPerSec: number;
  /** Bytes per second sent over UDP, over the last interval. */
  readonly bytesOutPerSec: number;
  /** Packets received since the link started. */
  readonly packetsIn: number;
  /** Packets sent since the link started. */
  readonly packetsOut: number;
  /** Bytes received since the link started. */
  readonly bytesIn: number;
  /** Bytes sent since the link started. */
  readonly bytesOut: number;
  /** Items this side sent that the peer has not acknowledged (inputs, or frames). */
  readonly unacked: number;
  /**
   * How many frames this side is behind: on a client, the newest tick the server is known to
   * have confirmed minus the last frame delivered; on the server, the last confirmed tick
   * minus the last frame the player acknowledged.
   */
  readonly framesBehind: number;
}

/** Network statistics of one player, as the server sees its link. */
export interface PlayerStats extends NetworkStats {
  /** The player this link is to. */
  readonly playerId: number;
}

/** Raw counters of a link at one moment, the input of the `networkStats` operator. */
export interface LinkSample {
  /** When it was taken, in ms (any monotonic clock). */
  readonly at: number;
  /** Packets received so far (a running total). */
  readonly packetsIn: number;
  /** Packets sent so far (a running total). */
  readonly packetsOut: number;
  /** Bytes received so far (a running total). */
  readonly bytesIn: number;
  /** Bytes sent so far (a running total). */
  readonly bytesOut: number;
  /** As {@link NetworkStats.rttMs}, now. */
  readonly rttMs: number | null;
  /** As {@link NetworkStats.jitterMs}, now. */
  readonly jitterMs: number | null;
  /** As {@link NetworkStats.lossIn}, now. */
  readonly lossIn: number;
  /** As {@link NetworkStats.lossOut}, now. */
  readonly lossOut: number | null;
  /** As {@link NetworkStats.unacked}, now. */
  readonly unacked: number;
  /** As {@link NetworkStats.framesBehind}, now. */
  readonly framesBehind: number;
}
