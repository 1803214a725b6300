// The redundant send window: items held until the peer acknowledges them, the oldest offered first.

/** Why a link's send window (`sendWindow`) refused a push. */
export const SendWindowWarningCode = {
  /** `capacity` items are unacknowledged: the peer is not acknowledging. */
  Full: 'window-full',
  /** The key is not the last pushed key + 1. */
  NotConsecutive: 'not-consecutive',
  /** The item's `sizeOf` is over `budgetBytes`: it could never be sent. */
  ItemTooLarge: 'item-too-large',
} as const;
export type SendWindowWarningCode =
  (typeof SendWindowWarningCode)[keyof typeof SendWindowWarningCode];

/** A push a send window refused, and why. */
export interface SendWindowWarning {
  /** Why the item was refused. */
  readonly code: SendWindowWarningCode;
  /** The refused item's key. */
  readonly key: number;
  /** The warning in words, for a log. */
  readonly message: string;
}

/** What to send: the oldest unacknowledged items that fit the budget. */
export interface SendBatch<T> {
  /** The oldest unacknowledged items, oldest first, that fit in `budgetBytes`. A fresh array. */
  readonly items: readonly T[];
  /** How many items are unacknowledged in all (`items.length` or more). */
  readonly unacked: number;
}

/** Options of a {@link SendWindow}. */
export interface SendWindowSettings<T> {
  /** The item's key: consecutive increasing integers (ticks). Called once per push. */
  readonly key: (item: T) => number;
  /** The most items held unacknowledged; a push beyond it is refused. */
  readonly capacity: number;
  /** The most bytes of items in one batch, by cumulative `sizeOf`. */
  readonly budgetBytes: number;
  /** An upper bound of an item's encoded size in bytes. Default: 1 for every item. */
  readonly sizeOf?: (item: T) => number;
}

/**
 * Keeps every pushed item until it is acknowledged; a batch is every unacknowledged item
 * that fits one packet, oldest first. Redundancy instead of retransmission: one packet that
 * gets through makes up for all the lost ones before it. The `sendWindow` operator and the
 * `Link` of both ends are this class.
 */
export class SendWindow<T> {
  /** The unacknowledged items, oldest first; their keys are consecutive. */
  private items: T[] = [];
  /** `sizes[i]` is `sizeOf(items[i])`, measured once at push (absent when every size is 1). */
  private sizes: number[] = [];
  /** The key of the last accepted push, or undefined before the first. */
  private lastKey: number | undefined;

  constructor(private readonly settings: SendWindowSettings<T>) {
    const { capacity, budgetBytes } = settings;
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`sendWindow: capacity must be a positive integer, got ${capacity}`);
    if (!(budgetBytes > 0))
      throw new RangeError(`sendWindow: budgetBytes must be a positive number, got ${budgetBytes}`);
  }

  /** Items held, unacknowledged. */
  get unacked(): number {
    return this.items.length;
  }

  /**
   * Holds an item. The first may have any safe integer key; every later one the last
   * pushed key + 1. A refused push changes nothing and can be retried.
   * @returns undefined when held, else why it was refused.
   */
  push(item: T): SendWindowWarning | undefined {
    const k = this.settings.key(item);
    const last = this.lastKey;
    if (last === undefined ? !Number.isSafeInteger(k) : k !== last + 1)
      return {
        code: SendWindowWarningCode.NotConsecutive,
        key: k,
        message:
          last === undefined
            ? `sendWindow: key ${k} is not a safe integer`
            : `sendWindow: key ${k} does not follow the last pushed key ${last}`,
      };
    const { sizeOf, budgetBytes, capacity } = this.settings;
    const size = sizeOf === undefined ? 1 : sizeOf(item);
    // NaN and negative sizes are refused too: they would break the budget arithmetic.
    if (!(size >= 0 && size <= budgetBytes))
      return {
        code: SendWindowWarningCode.ItemTooLarge,
        key: k,
        message: `sendWindow: item ${k} of ${size} bytes does not fit in a batch of ${budgetBytes} bytes`,
      };
    if (this.items.length >= capacity)
      return {
        code: SendWindowWarningCode.Full,
        key: k,
        message: `sendWindow: ${this.items.length} items unacknowledged, refusing item ${k}`,
      };
    this.items.push(item);
    if (sizeOf !== undefined) this.sizes.push(size);
    this.lastKey = k;
    return undefined;
  }

  /**
   * The peer has every item with key <= `k`: forgets them. Stale acks change nothing, and an
   * ack concerns only the items held now (a bogus ack cannot make future items vanish).
   */
  ack(k: number): void {
    const count = this.items.length;
    const last = this.lastKey;
    if (count === 0 || last === undefined) return;
    const firstKey = last - count + 1;
    if (!(k >= firstKey)) return; // stale (or NaN)
    const drop = Math.min(Math.floor(k - firstKey) + 1, count);
    if (drop === count) {
      this.items = [];
      this.sizes = [];
    } else {
      this.items.splice(0, drop);
      if (this.settings.sizeOf !== undefined) this.sizes.splice(0, drop);
    }
  }

  /** The oldest unacknowledged items that fit in the budget, in a fresh array. */
  batch(): SendBatch<T> {
    return { items: this.items.slice(0, this.fitting()), unacked: this.items.length };
  }

  /** How many of the oldest items fit in the budget. */
  private fitting(): number {
    const { budgetBytes, sizeOf } = this.settings;
    if (sizeOf === undefined) return Math.min(this.items.length, Math.floor(budgetBytes));
    let n = 0;
    let bytes = 0;
    while (n < this.sizes.length) {
      bytes += this.sizes[n];
      if (bytes > budgetBytes) break;
      n += 1;
    }
    return n;
  }

  /** Forgets everything held. */
  clear(): void {
    this.items = [];
    this.sizes = [];
  }

  /** Forgets everything held and the last key: the next push may have any key. */
  reset(): void {
    this.clear();
    this.lastKey = undefined;
  }
}
