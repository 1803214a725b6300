// The Redis room directory's connection: one ioredis client that never queues nor resends, calls bounded in time, and typed failures.
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisReplyError, RedisUnavailableError } from './errors.js';
import type { RedisScript } from './redisScripts.js';

/** The longest wait between two reconnection attempts, in milliseconds. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/**
 * One connection to Redis. It reconnects by itself (at most a second apart); a call waits for
 * the connection at most `commandTimeoutMs` and then for its reply as long again. Commands are
 * never queued while Redis is away nor sent again after a reconnect, so a call that failed
 * before it was sent never runs later behind its caller's back (a seat taken for no one).
 */
export class RedisConnection {
  private readonly redis: Redis;
  /** The next 'ready', shared by every call waiting for it (one listener however many wait). */
  private ready: Promise<void> | undefined;

  constructor(
    server: string | RedisOptions,
    private readonly commandTimeoutMs: number,
    onError: (error: Error) => void,
  ) {
    const ours: RedisOptions = {
      commandTimeout: commandTimeoutMs,
      retryStrategy: (times: number) => Math.min(50 * times, MAX_RECONNECT_DELAY_MS),
    };
    const always: RedisOptions = {
      keyPrefix: '',
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    };
    this.redis =
      typeof server === 'string'
        ? new Redis(server, { ...ours, ...always })
        : new Redis({ ...ours, ...server, ...always });
    this.redis.on('error', onError);
  }

  /**
   * Runs a script by its SHA1, sending its text when Redis does not have it (the first time,
   * or after Redis restarted).
   */
  script(
    operation: string,
    script: RedisScript,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const argv = [...keys, ...args];
    return this.call(operation, async (redis) => {
      try {
        return await redis.evalsha(sha1(script.lua), script.numberOfKeys, ...argv);
      } catch (err) {
        if (!isReplyError(err) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await redis.eval(script.lua, script.numberOfKeys, ...argv);
      }
    });
  }

  /**
   * Sends a command once connected. An error reply is a RedisReplyError; no connection in
   * time, a lost connection or a reply too late is a RedisUnavailableError.
   */
  async call<T>(operation: string, send: (redis: Redis) => Promise<T>): Promise<T> {
    await this.connected(operation);
    try {
      return await send(this.redis);
    } catch (err) {
      if (isReplyError(err)) throw new RedisReplyError(operation, err.message, { cause: err });
      const message = err instanceof Error ? err.message : String(err);
      throw new RedisUnavailableError(operation, message, { cause: err });
    }
  }

  /** Ends the connection: after the replies awaited when connected, at once otherwise. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** Resolves once connected; rejects after commandTimeoutMs, or once closed. */
  private async connected(operation: string): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.redis.status === 'end')
      throw new RedisUnavailableError(operation, 'the connection is closed');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.whenReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new RedisUnavailableError(
                  operation,
                  `not connected after ${this.commandTimeoutMs} ms (${this.redis.status})`,
                ),
              ),
            this.commandTimeoutMs,
          );
        }),
      ]).catch((err: unknown) => {
        throw err instanceof RedisUnavailableError
          ? err
          : new RedisUnavailableError(operation, 'the connection is closed', { cause: err });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private whenReady(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.redis.off('ready', onReady);
        this.redis.off('end', onEnd);
        this.ready = undefined;
      };
      const onReady = (): void => {
        done();
        resolve();
      };
      const onEnd = (): void => {
        done();
        reject(new Error('the connection is closed'));
      };
      this.redis.on('ready', onReady);
      this.redis.on('end', onEnd);
    });
    return this.ready;
  }
}

/** Whether an error is an error reply from Redis (not a connection failure). */
function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

const shas = new Map<string, string>();
/** The SHA1 of a script's text, as EVALSHA names it. */
function sha1(lua: string): string {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  return sha;
}
