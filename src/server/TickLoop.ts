// The server's tick timer: each tick's work, the silence check deferred after a stall of the server itself.
/** What a tick does. */
export interface TickSteps {
  /** Whether the server is closing (a deferred silence check is then skipped). */
  readonly closing: () => boolean;
  /** Finds the silent players: deferred to the next turn of the event loop after a late tick. */
  readonly silence: () => void;
  /** The rest of the tick, done at once. */
  readonly rest: () => void;
}

/** Runs the ticks every `intervalMs` until stopped. */
export class TickLoop {
  private readonly timer: ReturnType<typeof setInterval>;
  /** When the tick timer last fired (to notice a stall of the server itself). */
  private lastTickAt = Date.now();

  /**
   * @param lateMs A tick this late after the last means the server itself stalled.
   */
  constructor(
    intervalMs: number,
    private readonly lateMs: number,
    private readonly steps: TickSteps,
  ) {
    this.timer = setInterval(() => this.onTick(), intervalMs);
  }

  /** Stops the ticks. */
  stop(): void {
    clearInterval(this.timer);
  }

  private onTick(): void {
    const now = Date.now();
    const late = now - this.lastTickAt > this.lateMs;
    this.lastTickAt = now;
    // A tick long after the last (the server stalled): the datagrams queued meanwhile are
    // read before anyone is found silent, at the next turn of the event loop.
    if (late)
      setImmediate(() => {
        if (!this.steps.closing()) this.steps.silence();
      });
    else this.steps.silence();
    this.steps.rest();
  }
}
