// Which tick a join takes effect at: the next one, unless that frame's joins are full.
import { JOIN_BYTES_PER_TICK, joinEventBytes } from '../protocol/datagramBudget.js';

/**
 * Spreads joins over ticks so that every frame's join events fit in one datagram: a join gets
 * the next tick to confirm (the head), unless the joins already given that tick would pass
 * `JOIN_BYTES_PER_TICK` with it; then the first later tick with room. A join never gets an
 * earlier tick than one already given: a player told that its first frame is `t` sees every
 * later join in its frames, not before them.
 *
 * @example
 * ```ts
 * const tick = schedule.peek(username, head);
 * if (tick < head + maxTicksAhead) assembler.join(slot, username, schedule.reserve(username, head));
 * frames$.subscribe((frame) => schedule.confirmed(frame.tick));
 * ```
 */
export class JoinSchedule {
  /** Join-event bytes given out, by tick (ticks not confirmed yet). */
  private readonly bytes = new Map<number, number>();
  /** The latest tick given out; no join gets an earlier one. */
  private lastTick = -Infinity;

  /**
   * The tick a join of `username` would get now, without reserving it.
   *
   * @param head The next tick to confirm.
   */
  peek(username: string, head: number): number {
    return this.find(joinEventBytes(username), head);
  }

  /**
   * Gives a join of `username` its tick (see {@link JoinSchedule.peek}) and counts its bytes
   * there.
   *
   * @param head The next tick to confirm.
   * @returns The tick.
   */
  reserve(username: string, head: number): number {
    const need = joinEventBytes(username);
    const tick = this.find(need, head);
    this.bytes.set(tick, (this.bytes.get(tick) ?? 0) + need);
    this.lastTick = tick;
    return tick;
  }

  /** Forgets the ticks up to `tick`: their frames are confirmed. */
  confirmed(tick: number): void {
    if (this.bytes.size === 0) return;
    for (const t of this.bytes.keys()) if (t <= tick) this.bytes.delete(t);
  }

  private find(need: number, head: number): number {
    let tick = Math.max(head, this.lastTick);
    while ((this.bytes.get(tick) ?? 0) + need > JOIN_BYTES_PER_TICK) tick += 1;
    return tick;
  }
}
