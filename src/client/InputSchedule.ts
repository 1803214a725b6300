// Which tick each sampled input is for: local ticks, the input delay, and the ticks it skips or repeats.
import { checkInputDelay } from './options.js';

/**
 * Maps the inputs a game samples, one per local tick, to the ticks they are for: the input
 * sampled at local tick t is for tick t + inputDelay. A longer delay fills the ticks it skips
 * with the last input given (a held button stays held); a shorter one drops the inputs
 * sampled for ticks that already have one, until local time catches up.
 */
export class InputSchedule {
  private local: number;
  private next: number;
  private last: Uint8Array;
  private delayTicks: number;

  constructor(startTick: number, inputSize: number, delay: number) {
    this.local = startTick;
    this.next = startTick;
    this.last = new Uint8Array(inputSize);
    this.delayTicks = checkInputDelay(delay);
  }

  /**
   * Starts again at `tick` (the server counts this player's inputs from there after it was
   * away): the next input sampled is for `tick + delay`, the ticks before it get the last
   * input given.
   */
  restart(tick: number): void {
    this.local = tick;
    this.next = tick;
  }

  /** The local tick the next input is sampled at. */
  get localTick(): number {
    return this.local;
  }

  /** The next tick without an input. */
  get nextTick(): number {
    return this.next;
  }

  get delay(): number {
    return this.delayTicks;
  }

  set delay(ticks: number) {
    this.delayTicks = checkInputDelay(ticks);
  }

  /**
   * The input sampled at this local tick: queues it (and the ticks a longer delay skipped)
   * with `queue`, which returns false when it has no room (the rest waits for the next call).
   * @returns false when this tick already had its input (the delay shrank): nothing to send.
   */
  take(input: Uint8Array, queue: (tick: number, input: Uint8Array) => boolean): boolean {
    const target = this.local + this.delayTicks;
    this.local++;
    if (target < this.next) return false;
    let room = true;
    while (room && this.next < target) room = this.queueOne(this.last, queue);
    this.last = input.slice();
    if (room) this.queueOne(this.last, queue);
    return true;
  }

  private queueOne(
    input: Uint8Array,
    queue: (tick: number, input: Uint8Array) => boolean,
  ): boolean {
    if (!queue(this.next, input)) return false;
    this.next++;
    return true;
  }
}
