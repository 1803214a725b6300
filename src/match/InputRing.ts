// One player's buffered inputs: a fixed ring indexed by tick, bounded by construction.

/**
 * A player's buffered inputs: a ring of `capacity` places indexed by tick, for a window of
 * ticks no wider than `capacity` (the assembler's `maxTicksAhead`). Cheaper per input than
 * a Map, and bounded by construction.
 *
 * Internal to the match (not exported from the package).
 */
export class InputRing {
  private readonly ticks: number[];
  private readonly values: (Uint8Array | undefined)[];
  /** How many places hold an input. */
  size = 0;

  constructor(private readonly capacity: number) {
    // NaN marks a free place: it equals no tick (ticks may be negative).
    this.ticks = new Array<number>(capacity).fill(NaN);
    this.values = new Array<Uint8Array | undefined>(capacity).fill(undefined);
  }

  private index(tick: number): number {
    const i = tick % this.capacity;
    return i < 0 ? i + this.capacity : i;
  }

  get(tick: number): Uint8Array | undefined {
    const i = this.index(tick);
    return this.ticks[i] === tick ? this.values[i] : undefined;
  }

  has(tick: number): boolean {
    return this.ticks[this.index(tick)] === tick;
  }

  /**
   * Stores an input. Its place holds no other tick of the window (ticks less than
   * `capacity` apart never share one); anything still there is from before the window and
   * is replaced.
   */
  set(tick: number, input: Uint8Array): void {
    const i = this.index(tick);
    if (Number.isNaN(this.ticks[i])) this.size += 1;
    this.ticks[i] = tick;
    this.values[i] = input;
  }

  delete(tick: number): void {
    const i = this.index(tick);
    if (this.ticks[i] !== tick) return;
    this.ticks[i] = NaN;
    this.values[i] = undefined;
    this.size -= 1;
  }

  clear(): void {
    this.ticks.fill(NaN);
    this.values.fill(undefined);
    this.size = 0;
  }
}
