// One timer per interval for every room of a process: the rooms' ticks run in one wake-up.
import { TickLoop } from './TickLoop.js';

/** What one room does each time its interval comes round. */
export interface TickMember {
  /** Finds the silent players: deferred to the next turn of the event loop after a late tick. */
  readonly silence: () => void;
  /** The rest of the tick, done at once. */
  readonly rest: () => void;
}

/**
 * The process's tick timers, one per interval: every room ticking at 60 Hz is ticked by one
 * `setInterval`, in one wake-up (a wake-up costs more than the work of a small room). A
 * timer exists while a member has its interval.
 */
export class SharedTicks {
  private readonly loops = new Map<number, { loop: TickLoop; members: Set<TickMember> }>();

  /**
   * @param lateMs A tick this late after the last means the process itself stalled.
   */
  constructor(private readonly lateMs: number) {}

  /**
   * Ticks `member` every `intervalMs` from the next time that interval's timer fires.
   * @returns a function that stops it (the timer stops with its last member).
   */
  add(intervalMs: number, member: TickMember): () => void {
    let entry = this.loops.get(intervalMs);
    if (!entry) {
      const members = new Set<TickMember>();
      const loop = new TickLoop(intervalMs, this.lateMs, {
        closing: () => false,
        silence: () => {
          for (const m of members) m.silence();
        },
        rest: () => {
          for (const m of members) m.rest();
        },
      });
      entry = { loop, members };
      this.loops.set(intervalMs, entry);
    }
    entry.members.add(member);
    const { members, loop } = entry;
    return () => {
      if (!members.delete(member) || members.size > 0) return;
      loop.stop();
      if (this.loops.get(intervalMs)?.members === members) this.loops.delete(intervalMs);
    };
  }

  /** How many timers run (one per interval in use). */
  get timers(): number {
    return this.loops.size;
  }

  /** Stops every timer. */
  stop(): void {
    for (const { loop } of this.loops.values()) loop.stop();
    this.loops.clear();
  }
}
