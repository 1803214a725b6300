// The client's checksum reports: held in tick order until the server acknowledges them, bounded.
import { Limits, type ChecksumReport } from '../protocol/index.js';

/** Reports held until acknowledged, at most; the oldest go beyond it. */
export const MAX_PENDING_CHECKSUMS = 64;

/**
 * Checksums of this player's state after a tick, waiting to travel in input packets until
 * the server acknowledges them (its `checksumAck`).
 */
export class ChecksumReports {
  private readonly held: ChecksumReport[] = [];

  /** The reports not yet acknowledged, oldest first (sent as they are). */
  get pending(): readonly ChecksumReport[] {
    return this.held;
  }

  /**
   * Holds a report.
   * @returns The report dropped to make room (the oldest), if one was.
   * @throws {RangeError} for a tick or checksum out of range, or a tick not after the last.
   */
  add(tick: number, checksum: number): ChecksumReport | undefined {
    ChecksumReports.check(tick, checksum);
    const last = this.held[this.held.length - 1];
    if (last && tick <= last.tick)
      throw new RangeError('checksums must be reported in increasing tick order');
    const dropped = this.held.length >= MAX_PENDING_CHECKSUMS ? this.held.shift() : undefined;
    this.held.push({ tick, checksum });
    return dropped;
  }

  /** @throws {RangeError} for a tick or a checksum out of range. */
  static check(tick: number, checksum: number): void {
    if (!Number.isInteger(tick) || tick < 0 || tick > Limits.maxTick)
      throw new RangeError('tick must be a tick number');
    if (!Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff)
      throw new RangeError('checksum must be an unsigned 32-bit integer');
  }

  /** The server has every report up to `tick`. */
  acknowledged(tick: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n].tick <= tick) n++;
    if (n > 0) this.held.splice(0, n);
  }
}
