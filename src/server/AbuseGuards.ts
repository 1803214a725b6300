// The server's abuse guards wired together (issue 18): chat budgets, stall shares, timeout backoff, backlog.
import type { SchedulerLike } from 'rxjs';
import { ChatBudget } from './ChatBudget.js';
import { maxTcpBacklog, type ResolvedServerOptions } from './options.js';
import type { Seat } from './Seat.js';
import { SeatState } from './Seat.js';
import { StallShare } from './StallShare.js';
import { TimeoutBackoff } from './TimeoutBackoff.js';

/** A player to drop for stalling the others more than its share, and why. */
export interface Staller {
  /** Its slot. */
  readonly playerId: number;
  /** Why it is dropped. */
  readonly message: string;
}

/** What guards a match against players who abuse it: one per room (the timeout backoff shared by the server's rooms). */
export class AbuseGuards {
  /** Repeated timeouts by account and address (issue 18). */
  readonly backoff: TimeoutBackoff;
  /** Unread bytes past which a player is dropped as not reading its connection. */
  readonly maxBacklog: number;
  /** Each player's share of the time it stalls the others. */
  private readonly stallShare: StallShare;
  /** Each player's chat budget (issue 18). */
  private readonly chatBudgets = new WeakMap<Seat, ChatBudget>();

  /**
   * @param lateMs A wait shorter than this stalls no one.
   * @param backoff The timeout backoff, shared by every room of a server (made here if not given).
   */
  constructor(
    private readonly options: ResolvedServerOptions,
    lateMs: number,
    private readonly scheduler: SchedulerLike,
    backoff?: TimeoutBackoff,
  ) {
    this.backoff = backoff ?? new TimeoutBackoff(scheduler);
    this.maxBacklog = maxTcpBacklog(options);
    this.stallShare = new StallShare(
      options.stallShareWindowMs,
      options.maxStallShare,
      lateMs,
      scheduler,
    );
  }

  /** The chat budget of the player in `seat` (made at its first line). */
  chatBudget(seat: Seat): ChatBudget {
    let budget = this.chatBudgets.get(seat);
    if (!budget)
      this.chatBudgets.set(
        seat,
        (budget = new ChatBudget(this.options.chatBudget, this.scheduler)),
      );
    return budget;
  }

  /** A player timed out: its account, and its address if it has a connection, back off. */
  timedOut(username: string, address: string | undefined): void {
    this.backoff.timedOut(`user:${username.toLowerCase()}`);
    if (address !== undefined) this.backoff.timedOut(`addr:${address}`);
  }

  /** A join from `address` timed out: the address backs off. */
  joinTimedOut(address: string): void {
    this.backoff.timedOut(`addr:${address}`);
  }

  /** Each tick: the players in the match at `head` who stall the others more than their share. */
  *stallers(head: number, seats: Iterable<Seat>): Generator<Staller> {
    const samples = [];
    for (const seat of seats)
      if (seat.state === SeatState.Playing && (seat.startTick ?? Infinity) <= head)
        samples.push({ playerId: seat.playerId, received: seat.link.received });
    const { maxStallShare, stallShareWindowMs } = this.options;
    for (const playerId of this.stallShare.tick(head, samples)) {
      const message = `stalled the others over ${Math.round(maxStallShare * 100)}% of ${stallShareWindowMs} ms`;
      yield { playerId, message };
    }
  }
}
