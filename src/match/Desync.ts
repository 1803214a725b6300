// Desync detection: every player's state checksum per tick, compared; the first difference found.
import type { DesyncEvent } from '../events.js';

/** How many ticks of checksums are kept (the newest). */
const KEPT_TICKS = 1024;

/** The checksums reported for one tick, by player. */
interface TickChecksums {
  readonly tick: number;
  readonly byPlayer: Map<number, number>;
}

/**
 * Compares the state checksums players report: per tick, by player, for the newest 1024
 * ticks. The first tick found where two players differ is reported once; after that every
 * report is ignored.
 *
 * <span class="informal">Bounded by construction: a ring of 1024 places indexed by tick, so a
 * report for a tick 1024 or more after one kept replaces it, and a report for a tick older
 * than the one in its place is dropped.</span>
 *
 * @example
 * ```ts
 * const event = desync.report(playerId, tick, checksum);
 * if (event) events.next(event);
 * ```
 */
export class Desync {
  private readonly ticks: (TickChecksums | undefined)[] = new Array<TickChecksums | undefined>(
    KEPT_TICKS,
  ).fill(undefined);
  private found: DesyncEvent | undefined;

  /** The desync found, once there is one. */
  get desync(): DesyncEvent | undefined {
    return this.found;
  }

  /**
   * Player `playerId`'s checksum of its state after frame `tick` (a later report from the
   * same player for the same tick replaces its earlier one).
   *
   * @returns The desync, if this report is the first to differ from another player's for
   * the same tick; else undefined (also for a tick that is not a safe integer, and for every
   * report once a desync is found).
   */
  report(playerId: number, tick: number, checksum: number): DesyncEvent | undefined {
    if (this.found !== undefined || !Number.isSafeInteger(tick)) return undefined;
    const i = ((tick % KEPT_TICKS) + KEPT_TICKS) % KEPT_TICKS;
    let forTick = this.ticks[i];
    if (forTick === undefined || forTick.tick < tick) {
      forTick = { tick, byPlayer: new Map() };
      this.ticks[i] = forTick;
    } else if (forTick.tick > tick) {
      return undefined; // older than every tick kept
    }
    forTick.byPlayer.set(playerId, checksum);
    for (const other of forTick.byPlayer.values()) {
      if (other === checksum) continue;
      const event: DesyncEvent = {
        type: 'desync',
        tick,
        checksums: [...forTick.byPlayer]
          .map(([id, c]) => ({ playerId: id, checksum: c }))
          .sort((a, b) => a.playerId - b.playerId),
      };
      this.found = event;
      this.ticks.fill(undefined);
      return event;
    }
    return undefined;
  }
}
