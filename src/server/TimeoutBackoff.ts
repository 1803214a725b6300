// Who timed out lately (by account and by address) and how long their next join must wait: a small bounded map.
import type { SchedulerLike } from 'rxjs';

/** Entries kept at most; past it the oldest goes. */
const MAX_ENTRIES = 4096;
/** The first repeat waits this long; each more timeout doubles it. */
const BASE_MS = 1000;
/** The longest wait. */
const MAX_MS = 60_000;
/** A key that has not timed out for this long starts again from nothing. */
const FORGET_MS = 10 * 60_000;

interface Entry {
  count: number;
  last: number;
}

/**
 * Remembers timeouts by key (`user:<name>`, `addr:<address>`): after the second timeout in a
 * row, a key waits `1 s · 2^(n-2)` (at most a minute) after its last before it may join
 * again, so joining, sending nothing and timing out over and over costs the others little.
 * Bounded: at most 4096 keys, the oldest forgotten first.
 *
 * @example
 * backoff.timedOut(`user:${name}`);
 * if (backoff.waitMs(`user:${name}`) > 0) refuse();
 */
export class TimeoutBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly scheduler: SchedulerLike) {}

  /** `key` timed out now. */
  timedOut(key: string): void {
    const now = this.scheduler.now();
    const entry = this.entries.get(key);
    const count = entry && now - entry.last < FORGET_MS ? entry.count + 1 : 1;
    this.entries.delete(key); // re-inserted: the map's order is oldest first
    this.entries.set(key, { count, last: now });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** How long `key` must still wait before a join (0: it may join). */
  waitMs(key: string): number {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.count < 2) return 0;
    const wait = Math.min(MAX_MS, BASE_MS * 2 ** (entry.count - 2));
    return Math.max(0, entry.last + wait - this.scheduler.now());
  }
}
