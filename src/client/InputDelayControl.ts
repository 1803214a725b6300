// A session's input delay: the one set, or (`inputDelay: 'auto'`) the one chosen from each stats sample until one is set by hand.
import { chooseInputDelay } from './autoInputDelay.js';
import type { ClientInputs } from './ClientInputs.js';
import type { ClientStats } from './ClientStats.js';
import { checkInputDelay, type ResolvedConnectOptions } from './options.js';

/**
 * The input delay of one session. Before the seat is taken it is the options' `inputDelay`
 * (changed there), after it the input schedule's. With `inputDelay: 'auto'` each stats
 * sample may change it (`chooseInputDelay`), until `set` is called.
 */
export class InputDelayControl {
  /** `inputDelay: 'auto'` until `set` is called. */
  private auto: boolean;

  /**
   * @param inputs The session's inputs (their schedule once seated).
   * @param options The session's options (their `inputDelay` until seated).
   * @param tickRate Ticks per second of the match.
   */
  constructor(
    private readonly inputs: ClientInputs,
    private readonly options: ResolvedConnectOptions,
    private readonly tickRate: number,
  ) {
    this.auto = options.autoInputDelay;
  }

  /** The current input delay in ticks. */
  get ticks(): number {
    return this.inputs.schedule?.delay ?? this.options.inputDelay;
  }

  /** Sets the delay by hand (0..128): no more automatic changes. */
  set(ticks: number): void {
    this.auto = false;
    this.apply(ticks);
  }

  /** A new stats sample: with `inputDelay: 'auto'`, the delay may follow the link. */
  sampled(stats: ClientStats): void {
    if (!this.auto) return;
    const { rttMs, jitterMs } = stats.now();
    const current = this.ticks;
    const next = chooseInputDelay({ rttMs, jitterMs, tickRate: this.tickRate, current });
    if (next !== current) this.apply(next);
  }

  private apply(ticks: number): void {
    if (this.inputs.schedule) this.inputs.schedule.delay = ticks;
    else (this.options as { inputDelay: number }).inputDelay = checkInputDelay(ticks);
  }
}
