// Desync detection: every player's state checksum per tick, compared across all reporters; who disagrees with the majority.
import type { DesyncEvent } from '../events.js';

/** How many ticks of checksums are kept (the newest). */
const KEPT_TICKS = 1024;

/** Options of a `Desync`. */
export interface DesyncOptions {
  /**
   * How many players are expected to report tick `tick`: a tick with a difference is decided
   * once that many have reported (or once `settleTicks` later ticks have reports). Default:
   * decided at the first difference.
   */
  readonly reporters?: (tick: number) => number;
  /** A tick with a difference is decided at the latest this many ticks after it. Default `64`. */
  readonly settleTicks?: number;
  /** After a desync, the next is reported for a tick at least this many ticks later. Default `60`. */
  readonly minTicksBetween?: number;
}

/** The checksums reported for one tick, by player. */
interface TickChecksums {
  readonly tick: number;
  readonly byPlayer: Map<number, number>;
  /** A difference was found and reported (or passed over by the rate limit). */
  decided: boolean;
}

/**
 * The players whose checksum differs from the majority's (more than half of the reporters
 * agree on one); every reporter when there is no majority. Sorted by player id.
 */
export function disagreeingPlayers(
  checksums: ReadonlyArray<{ readonly playerId: number; readonly checksum: number }>,
): number[] {
  const votes = new Map<number, number>();
  for (const c of checksums) votes.set(c.checksum, (votes.get(c.checksum) ?? 0) + 1);
  let majority: number | undefined;
  for (const [checksum, n] of votes) if (n * 2 > checksums.length) majority = checksum;
  return checksums
    .filter((c) => majority === undefined || c.checksum !== majority)
    .map((c) => c.playerId)
    .sort((a, b) => a - b);
}

/**
 * Compares the state checksums players report: per tick, across every reporter, for the
 * newest 1024 ticks. A tick where checksums differ is reported with the players who
 * disagree with the majority (all of them when there is none), once enough players have
 * reported it. Detection goes on after a desync, rate limited: the next is reported for a
 * tick `minTicksBetween` or more later. What a desync costs the players named is for the
 * application to decide (kick them, resync them, or end the match).
 *
 * <span class="informal">Bounded by construction: a ring of 1024 places indexed by tick, so a
 * report for a tick 1024 or more after one kept replaces it, and a report for a tick older
 * than the one in its place is dropped.</span>
 *
 * @example
 * ```ts
 * const event = desync.report(playerId, tick, checksum);
 * if (event) events.next(event); // event.disagreeing: who to blame
 * ```
 */
export class Desync {
  private readonly ticks: (TickChecksums | undefined)[] = new Array<TickChecksums | undefined>(
    KEPT_TICKS,
  ).fill(undefined);
  private first: DesyncEvent | undefined;
  private last: DesyncEvent | undefined;
  private readonly settleTicks: number;
  private readonly minTicksBetween: number;

  constructor(private readonly options: DesyncOptions = {}) {
    this.settleTicks = Math.min(options.settleTicks ?? 64, KEPT_TICKS - 1);
    this.minTicksBetween = options.minTicksBetween ?? 60;
  }

  /** The first desync found, once there is one. */
  get desync(): DesyncEvent | undefined {
    return this.first;
  }

  /** The newest desync reported. */
  get latest(): DesyncEvent | undefined {
    return this.last;
  }

  /**
   * Player `playerId`'s checksum of its state after frame `tick` (a later report from the
   * same player for the same tick replaces its earlier one).
   *
   * @returns A desync this report decides: the tick's checksums differ and enough players
   * have reported it (or, for an earlier tick, this report is `settleTicks` after it), and
   * it is `minTicksBetween` ticks or more after the last desync reported; else undefined
   * (also for a tick that is not a safe integer).
   */
  report(playerId: number, tick: number, checksum: number): DesyncEvent | undefined {
    if (!Number.isSafeInteger(tick)) return undefined;
    const i = ((tick % KEPT_TICKS) + KEPT_TICKS) % KEPT_TICKS;
    let forTick = this.ticks[i];
    if (forTick === undefined || forTick.tick < tick) {
      forTick = { tick, byPlayer: new Map(), decided: false };
      this.ticks[i] = forTick;
    } else if (forTick.tick > tick) {
      return undefined; // older than every tick kept
    }
    forTick.byPlayer.set(playerId, checksum);
    // A tick with a difference long enough ago is decided with the reports it has.
    const old = this.ticks[(((tick - this.settleTicks) % KEPT_TICKS) + KEPT_TICKS) % KEPT_TICKS];
    const settled =
      old !== undefined && old.tick === tick - this.settleTicks
        ? this.decide(old, true)
        : undefined;
    return this.decide(forTick, false) ?? settled;
  }

  private decide(forTick: TickChecksums, settled: boolean): DesyncEvent | undefined {
    if (forTick.decided) return undefined;
    const values = new Set(forTick.byPlayer.values());
    if (values.size < 2) return undefined;
    const expected = this.options.reporters?.(forTick.tick);
    if (!settled && expected !== undefined && forTick.byPlayer.size < expected) return undefined;
    forTick.decided = true;
    if (this.last !== undefined && forTick.tick < this.last.tick + this.minTicksBetween)
      return undefined; // rate limited
    const checksums = [...forTick.byPlayer]
      .map(([id, c]) => ({ playerId: id, checksum: c }))
      .sort((a, b) => a.playerId - b.playerId);
    const event: DesyncEvent = {
      type: 'desync',
      tick: forTick.tick,
      checksums,
      disagreeing: disagreeingPlayers(checksums),
    };
    this.first ??= event;
    this.last = event;
    return event;
  }
}
