// The client's reconnect loop: redials its seat with backoff until accepted, refused or too late.
import { JoinRefusedError } from '../errors.js';

/** Backoff of the reconnects: the first delay, and the longest. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 2000;

/** What a reconnect loop works with. @internal */
export interface ReconnectorOptions {
  /** How long it tries, from the loss. */
  readonly timeoutMs: number;
  /** Opens a new connection to the seat; rejects if it cannot. */
  readonly redial: () => Promise<void>;
  /** Each try, before it is made (the `reconnecting` event). */
  readonly onAttempt: (attempt: number, message: string) => void;
  /** It gives up: the session ends with this message. */
  readonly onGiveUp: (message: string) => void;
  /** The session has ended: stop trying. */
  readonly ended: () => boolean;
}

/** Redials a lost connection, with backoff, for `timeoutMs`. @internal */
export class Reconnector {
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: ReconnectorOptions) {}

  /** True from the loss until a reconnect is accepted. */
  get active(): boolean {
    return this.running;
  }

  /** The connection was lost (`message` says how): tries to get the seat back. */
  start(message: string): void {
    const { options } = this;
    this.running = true;
    const deadline = performance.now() + options.timeoutMs;
    let attempt = 0;
    let delay = RECONNECT_FIRST_MS;
    const retry = (): void => {
      this.retryTimer = undefined;
      if (options.ended()) return;
      attempt += 1;
      options.onAttempt(attempt, message);
      options.redial().then(
        () => {
          this.running = false;
        },
        (err: unknown) => {
          if (options.ended()) return;
          if (err instanceof JoinRefusedError)
            return options.onGiveUp(`reconnect refused: ${err.reason}`);
          if (performance.now() + delay > deadline)
            return options.onGiveUp(`${message}; no reconnect within the grace`);
          this.retryTimer = setTimeout(retry, delay);
          delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        },
      );
    };
    retry();
  }

  /** Stops a pending retry (the session ended). */
  stop(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
  }
}
