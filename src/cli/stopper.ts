/** What stops a multi-step demo early (Ctrl-C, its deadline, a child process gone), and a race of each step against it. */

/** Why a demo stops before its bots finish. */
export type StopReason = 'timeout' | 'abort' | 'exit';

/** Thrown by {@link Stopper.race} when the demo is stopped first. */
export class StopError extends Error {
  override name = 'StopError';
  constructor(readonly why: StopReason) {
    super(`stopped: ${why}`);
  }
}

/** Stops a demo: Ctrl-C (the signal), the deadline, or a server process that exited. */
export class Stopper {
  /** Resolves with the first reason to stop. */
  readonly stopped: Promise<StopReason>;
  private resolve!: (why: StopReason) => void;
  private readonly onAbort = (): void => this.fire('abort');

  constructor(private readonly signal: AbortSignal | undefined) {
    this.stopped = new Promise((resolve) => (this.resolve = resolve));
    if (signal?.aborted) this.fire('abort');
    signal?.addEventListener('abort', this.onAbort);
  }

  /** Stops the demo (the first reason given counts). */
  fire(why: StopReason): void {
    this.resolve(why);
  }

  /** `value`, unless the demo is stopped first: then a {@link StopError}. */
  async race<T>(value: Promise<T>): Promise<T> {
    const r = await Promise.race([value.then((v) => ({ v })), this.stopped]);
    if (typeof r === 'object') return r.v;
    throw new StopError(r);
  }

  /** Stops listening to the signal. */
  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
