// How many copies of each datagram one side of a link sends at once, from the loss its peer reports.
import { asyncScheduler, type SchedulerLike } from 'rxjs';

/** The largest `maxCopies` the server and the client take as an option. */
export const MAX_COPIES = 8;

/**
 * The default `maxCopies` of the server and the client: enough for 0.1% left at 20% loss
 * (0.2^5 = 0.03%; 4 would leave 0.16%, which shows in a p99 over four players).
 */
export const DEFAULT_MAX_COPIES = 5;

/** Options of a {@link LossCopies}. */
export interface LossCopiesOptions {
  /** The most copies of one datagram, 1 or more (1: never more than one). */
  readonly maxCopies: number;
  /**
   * The share of datagrams that may still be lost after the copies, (0, 1): the copies are
   * the fewest `k` with `loss^k <= residual`. Default `0.001`.
   */
  readonly residual?: number;
  /**
   * Fewer copies only once the reported loss has called for fewer, with room to spare
   * (`margin`), for this long in ms. More copies are sent at once. Default `5000`.
   */
  readonly holdMs?: number;
  /**
   * The loss is taken `margin` times higher when deciding to send fewer copies, so a loss
   * right at a boundary keeps the higher count. Default `1.5`.
   */
  readonly margin?: number;
  /** The clock of `holdMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** The clock of `holdMs` as a function, in ms (a link's own); before `scheduler` if given. */
  readonly now?: () => number;
}

/**
 * The fewest copies `k`, from 1 to `maxCopies`, for which `loss^k <= residual`: the number
 * of copies of a datagram that makes losing all of them (independent losses) as rare as
 * `residual`. 1 for no loss; `maxCopies` for a loss of 1 or more.
 *
 * @example
 * copiesFor(0.02, 0.001, 5); // 2
 * copiesFor(0.05, 0.001, 5); // 3
 * copiesFor(0.2, 0.001, 5); // 5
 */
export function copiesFor(loss: number, residual: number, maxCopies: number): number {
  if (!(loss > residual)) return 1; // NaN too
  if (loss >= 1) return maxCopies;
  // A tiny slack, so that a loss exactly at a boundary (10%: 0.1^3 = 0.001) gives 3, not 4.
  const k = Math.ceil(Math.log(residual) / Math.log(loss) - 1e-9);
  return Math.max(1, Math.min(maxCopies, k));
}

/**
 * Decides how many copies of each datagram to send at once on a lossy link: redundancy in
 * space where the protocol's own redundancy (every packet repeats what is unacknowledged)
 * is in time, a tick later.
 *
 * <span class="informal">Loss goes up: more copies at once. Loss goes down: fewer, once it
 * has stayed down for a while. No loss: one, as if there were no such thing.</span>
 *
 * The loss is the peer's report of how many of this side's datagrams it lost (the `rxLoss`
 * of its packets: `LinkMeter.lossOut`), so the copies follow what the path does to this
 * side's datagrams. Each copy counts as a datagram of its own there (it has its own
 * sequence number), so the report is the path's loss, not what is left of it after the
 * copies, and it does not fall because the copies work.
 *
 * A peer that claims every datagram is lost gets `maxCopies` copies: the cost a peer can
 * cause is bounded by that.
 *
 * ```
 * reported loss:  0 ---- 5% ------------- 0 -------------------------- 0
 * copies:         1 ---- 3 -------------- 3 ....(holdMs)..... 1 ------ 1
 * ```
 *
 * @example
 * const copies = new LossCopies({ maxCopies: 4, scheduler });
 * const k = copies.copies(link.meter.lossOut);
 * for (let i = 0; i < k; i++) channel.send(i === 0 ? bytes : withSeq(bytes, link.meter.takeSeq()));
 */
export class LossCopies {
  private readonly maxCopies: number;
  private readonly residual: number;
  private readonly holdMs: number;
  private readonly margin: number;
  private readonly now: () => number;
  private k = 1;
  /** The last loss seen, and the copies it asks for, without and with the margin. */
  private loss = 0;
  private need = 1;
  private needWithMargin = 1;
  /** When the current `k` was last called for. */
  private neededAt = 0;

  constructor(options: LossCopiesOptions) {
    const { maxCopies, residual = 0.001, holdMs = 5000, margin = 1.5 } = options;
    if (!(Number.isInteger(maxCopies) && maxCopies >= 1))
      throw new RangeError('maxCopies must be an integer >= 1');
    if (!(residual > 0 && residual < 1)) throw new RangeError('residual must be in (0, 1)');
    if (!(holdMs >= 0)) throw new RangeError('holdMs must be >= 0');
    if (!(margin >= 1)) throw new RangeError('margin must be >= 1');
    this.maxCopies = maxCopies;
    this.residual = residual;
    this.holdMs = holdMs;
    this.margin = margin;
    const scheduler = options.scheduler ?? asyncScheduler;
    this.now = options.now ?? (() => scheduler.now());
  }

  /** The copies decided last (1 before any loss). */
  get current(): number {
    return this.k;
  }

  /**
   * The copies of the datagram sent now, given the loss the peer reports (0..1; null before
   * its first report, taken as none).
   */
  copies(reportedLoss: number | null): number {
    const loss = reportedLoss ?? 0;
    // A clean link: no clock read, no arithmetic.
    if (loss === 0 && this.k === 1) return 1;
    if (loss !== this.loss) {
      this.loss = loss;
      this.need = copiesFor(loss, this.residual, this.maxCopies);
      this.needWithMargin = copiesFor(
        Math.min(1, loss * this.margin),
        this.residual,
        this.maxCopies,
      );
    }
    const now = this.now();
    if (this.need > this.k) {
      this.k = this.need;
      this.neededAt = now;
    } else if (this.needWithMargin >= this.k) {
      this.neededAt = now;
    } else if (now - this.neededAt >= this.holdMs) {
      this.k = this.needWithMargin;
      this.neededAt = now;
    }
    return this.k;
  }
}
