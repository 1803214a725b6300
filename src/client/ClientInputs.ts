// The client's inputs: held before the seat is taken, scheduled to ticks, queued until acknowledged.
import type { Warn } from '../link/serviceDatagrams.js';
import type { Link } from '../link/Link.js';
import { InputSchedule } from './InputSchedule.js';

/** One input for one tick, held until the server acknowledges it. @internal */
export interface TickInput {
  readonly tick: number;
  readonly input: Uint8Array;
}

/** What the inputs of a client work with. @internal */
export interface ClientInputsOptions {
  /** Bytes in one input. */
  readonly inputSize: number;
  /** Inputs held at most, before the seat and unacknowledged. */
  readonly maxUnackedInputs: number;
  /** The input delay until seated. */
  readonly inputDelay: () => number;
  /** The current link (a reconnect makes a new one). */
  readonly link: () => Link<TickInput>;
  /** Reports a warning. */
  readonly warn: Warn;
}

/** This player's inputs on their way to the server. @internal */
export class ClientInputs {
  /** The ticks the inputs go to; set once seated. */
  schedule: InputSchedule | undefined;
  /** Inputs given before the seat was taken: they go to the ticks from `startTick` on. */
  private early: Uint8Array[] = [];
  private windowFull = false;
  private earlyFull = false;
  /** `queue`, bound once (not a closure per input). */
  private readonly queueInput = (tick: number, input: Uint8Array): boolean =>
    this.queue(tick, input);

  constructor(private readonly options: ClientInputsOptions) {}

  /** Inputs held before the seat was taken. */
  get earlyCount(): number {
    return this.early.length;
  }

  /** The tick the next input goes to (0 before the seat). */
  get nextTick(): number {
    return this.schedule?.nextTick ?? 0;
  }

  /**
   * An input of the game: held before the seat, or scheduled and queued.
   * @returns True when a packet should go out now.
   */
  take(input: Uint8Array): boolean {
    const { options } = this;
    if (!this.schedule) {
      if (this.early.length < options.maxUnackedInputs) this.early.push(input.slice());
      else if (!this.earlyFull) {
        this.earlyFull = true;
        options.warn(
          'buffer-full',
          `input refused: ${options.maxUnackedInputs} inputs held before the seat was taken`,
        );
      }
      return false;
    }
    return this.schedule.take(input, this.queueInput);
  }

  /** Its inputs count from `tick` on: the schedule starts, or restarts after being away. */
  seat(tick: number): boolean {
    const first = this.schedule === undefined;
    if (first)
      this.schedule = new InputSchedule(tick, this.options.inputSize, this.options.inputDelay());
    else this.schedule!.restart(tick);
    this.windowFull = false;
    return first;
  }

  /** The inputs given while waiting, for the ticks from the seat on. */
  takeEarly(): void {
    const early = this.early;
    this.early = [];
    for (const input of early) this.schedule!.take(input, this.queueInput);
  }

  /** Holds an input until acknowledged, unless the window is full (then reports it once). */
  private queue(tick: number, input: Uint8Array): boolean {
    const refused = this.options.link().push({ tick, input });
    if (refused) {
      if (!this.windowFull) {
        this.windowFull = true;
        this.options.warn(
          'buffer-full',
          `input for tick ${tick} refused (window-full): ${this.options.maxUnackedInputs} inputs unacknowledged`,
        );
      }
      return false;
    }
    this.windowFull = false;
    return true;
  }
}
