// The Redis room directory's subscriber: one pub/sub connection, made when first needed, that subscribes its channels again after every reconnect.
import { Redis, type RedisOptions } from 'ioredis';

/** The longest wait between two reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * A pub/sub connection to Redis for a set of channels, each with its handler. It connects on
 * the first `subscribe`, reconnects by itself (at most a second apart) and subscribes every
 * channel again once connected (a restarted Redis knows no subscriptions). Nothing is queued
 * while Redis is away: a channel is subscribed when the connection is ready.
 */
export class RedisSubscriber {
  private redis: Redis | undefined;
  private readonly handlers = new Map<string, (message: string) => void>();
  /** The SUBSCRIBE of each channel on the current connection, once sent. */
  private readonly confirmed = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly server: string | RedisOptions,
    private readonly onError: (error: Error) => void,
  ) {}

  /**
   * Hands every message of `channel` to `handler` (replacing an earlier handler of it).
   * @returns a promise that resolves once Redis confirmed the subscription (it waits for the
   *   connection as long as it takes: bound it).
   */
  subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the subscriber is closed'));
    this.handlers.set(channel, handler);
    this.connect();
    return this.ensure(channel);
  }

  /** Stops handing messages of `channel` and unsubscribes it. */
  unsubscribe(channel: string): void {
    if (!this.handlers.delete(channel)) return;
    this.confirmed.delete(channel);
    if (this.redis?.status === 'ready') this.redis.unsubscribe(channel).catch(() => undefined);
  }

  /** Ends the connection. */
  close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.confirmed.clear();
    this.redis?.disconnect();
    return Promise.resolve();
  }

  private connect(): Redis {
    if (this.redis) return this.redis;
    const ours: RedisOptions = {
      retryStrategy: (times: number) => Math.min(50 * times, MAX_RECONNECT_DELAY_MS),
    };
    const always: RedisOptions = {
      keyPrefix: '',
      enableOfflineQueue: false,
      autoResubscribe: false, // done here, with the handlers' channels (see 'ready')
      autoResendUnfulfilledCommands: false,
    };
    const redis =
      typeof this.server === 'string'
        ? new Redis(this.server, { ...ours, ...always })
        : new Redis({ ...ours, ...this.server, ...always });
    redis.on('error', this.onError);
    redis.on('message', (channel: string, message: string) =>
      this.handlers.get(channel)?.(message),
    );
    redis.on('close', () => this.confirmed.clear());
    redis.on('ready', () => {
      for (const channel of this.handlers.keys())
        this.ensure(channel).catch((err: unknown) =>
          this.onError(err instanceof Error ? err : new Error(String(err))),
        );
    });
    this.redis = redis;
    return redis;
  }

  /** Subscribes `channel` on the current connection once it is ready (once per connection). */
  private ensure(channel: string): Promise<void> {
    let done = this.confirmed.get(channel);
    if (done) return done;
    const redis = this.connect();
    done = this.whenReady(redis).then(async () => {
      await redis.subscribe(channel);
    });
    const mine = done;
    this.confirmed.set(channel, mine);
    // A subscription that failed (the connection dropped) is tried again at the next 'ready'.
    mine.catch(() => {
      if (this.confirmed.get(channel) === mine) this.confirmed.delete(channel);
    });
    return mine;
  }

  private whenReady(redis: Redis): Promise<void> {
    if (redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = (): void => {
        redis.off('end', onEnd);
        resolve();
      };
      const onEnd = (): void => {
        redis.off('ready', onReady);
        reject(new Error('the subscriber is closed'));
      };
      redis.once('ready', onReady);
      redis.once('end', onEnd);
    });
  }
}
