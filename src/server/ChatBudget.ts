// One sender's budget for what it makes the server broadcast: a token bucket of lines and one of bytes.
import type { SchedulerLike } from 'rxjs';

/** The budget's size: steady rates and the bursts allowed above them. */
export interface ChatBudgetOptions {
  /** Lines a second, steady. */
  readonly linesPerSecond: number;
  /** Lines at once above the steady rate (the bucket's size). */
  readonly lineBurst: number;
  /** Bytes a second, steady. */
  readonly bytesPerSecond: number;
  /** Bytes at once above the steady rate. */
  readonly byteBurst: number;
  /** Lines over budget after the warning before the sender is dropped. */
  readonly strikes: number;
}

/** What to do with one line: pass it on, refuse it (telling the sender the first time), or drop the sender. */
export const ChatVerdict = {
  Pass: 'pass',
  /** Refused, the first over budget: the sender is told to slow down. */
  Warn: 'warn',
  /** Refused, quietly (the sender was warned). */
  Refuse: 'refuse',
  Drop: 'drop',
} as const;
export type ChatVerdict = (typeof ChatVerdict)[keyof typeof ChatVerdict];

/**
 * A per-sender token bucket over lines and bytes. A line within the budget passes; the
 * first over it is refused with a warning, and `strikes` more over it (before the buckets
 * fill again) drop the sender. Lines refused take nothing from the buckets.
 *
 * @example
 * const budget = new ChatBudget(options, asyncScheduler);
 * if (budget.take(bytes) === ChatVerdict.Pass) broadcast(line);
 */
export class ChatBudget {
  private lines: number;
  private bytes: number;
  private last: number;
  private over = 0;

  constructor(
    private readonly options: ChatBudgetOptions,
    private readonly scheduler: SchedulerLike,
  ) {
    this.lines = options.lineBurst;
    this.bytes = options.byteBurst;
    this.last = scheduler.now();
  }

  /** Takes one line of `size` bytes from the budget. */
  take(size: number): ChatVerdict {
    const o = this.options;
    const now = this.scheduler.now();
    const dt = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.lines = Math.min(o.lineBurst, this.lines + dt * o.linesPerSecond);
    this.bytes = Math.min(o.byteBurst, this.bytes + dt * o.bytesPerSecond);
    if (this.lines === o.lineBurst && this.bytes === o.byteBurst) this.over = 0; // forgiven
    if (this.lines >= 1 && this.bytes >= size) {
      this.lines -= 1;
      this.bytes -= size;
      return ChatVerdict.Pass;
    }
    this.over++;
    if (this.over === 1) return ChatVerdict.Warn;
    return this.over > o.strikes ? ChatVerdict.Drop : ChatVerdict.Refuse;
  }
}
