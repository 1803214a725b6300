// withLock on Redis: a lock key holding a random token with a time to live, refreshed while its holder runs and released only if still its own.
import { randomUUID } from 'node:crypto';
import { LockTimeoutError, RedisReplyError } from './errors.js';
import type { RedisConnection } from './redisConnection.js';
import { parseFlag } from './redisReplies.js';
import * as scripts from './redisScripts.js';
import type { RedisScript } from './redisScripts.js';
import { RedisDirectoryWarningCode, connectionWarning, type WarnRedis } from './redisWarnings.js';

/** What the locks work with: the directory's connection, its scripts and its warnings. */
export interface RedisLocksHost {
  /** The directory's connection. */
  readonly connection: RedisConnection;
  /** The start of every key. */
  readonly prefix: string;
  /** A lock's time to live, in milliseconds (refreshed every third of it). */
  readonly ttlMs: number;
  /** How long to try to take a lock before `LockTimeoutError`, in milliseconds. */
  readonly waitMs: number;
  /** Runs one of the directory's scripts (the key prefix is its first ARGV). */
  readonly run: (
    operation: string,
    script: RedisScript,
    keys: readonly string[],
    args: readonly string[],
  ) => Promise<unknown>;
  /** Reports a warning on the directory's `warnings$`. */
  readonly warn: WarnRedis;
}

/**
 * The directory's locks (`P lock:<key>`): `SET NX` with a time to live, tried again after a
 * short random pause while another holder has it, refreshed while the holder runs, released
 * by a script that deletes the key only if it still holds this holder's token.
 */
export class RedisLocks {
  /** @param host The connection, the times and the warnings. */
  constructor(private readonly host: RedisLocksHost) {}

  /** Runs `fn` holding the lock `key` (see `RoomDirectory.withLock`). */
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${this.host.prefix}lock:${key}`;
    const token = randomUUID();
    const started = performance.now();
    for (;;) {
      const reply: unknown = await this.host.connection.call('withLock', (redis) =>
        redis.set(lockKey, token, 'PX', this.host.ttlMs, 'NX'),
      );
      if (reply === 'OK') break;
      if (reply !== null)
        throw new RedisReplyError('withLock', `${JSON.stringify(reply)} to SET NX`);
      const waited = performance.now() - started;
      if (waited >= this.host.waitMs) throw new LockTimeoutError(key, Math.round(waited));
      // Another holder has it: try again after a short random pause (holders are short).
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
    const refresh = setInterval(
      () => void this.refreshLock(key, lockKey, token),
      this.host.ttlMs / 3,
    );
    try {
      return await fn();
    } finally {
      clearInterval(refresh);
      await this.releaseLock(key, lockKey, token);
    }
  }

  /** Keeps a held lock alive while its holder runs. */
  private async refreshLock(key: string, lockKey: string, token: string): Promise<void> {
    try {
      const reply = await this.host.run(
        'withLock',
        scripts.REFRESH_LOCK,
        [lockKey],
        [token, String(this.host.ttlMs)],
      );
      if (!parseFlag('withLock', reply)) this.lockLost(key);
    } catch (err) {
      this.host.warn(connectionWarning(`refreshing lock ${JSON.stringify(key)}`, err));
    }
  }

  /** Lets go of a lock if it is still ours (a lock that expired may be someone else's now). */
  private async releaseLock(key: string, lockKey: string, token: string): Promise<void> {
    try {
      const reply = await this.host.run('withLock', scripts.RELEASE_LOCK, [lockKey], [token]);
      if (!parseFlag('withLock', reply)) this.lockLost(key);
    } catch (err) {
      // Redis is away: the lock expires by itself within lockTtlMs.
      this.host.warn(connectionWarning(`releasing lock ${JSON.stringify(key)}`, err));
    }
  }

  private lockLost(key: string): void {
    this.host.warn({
      code: RedisDirectoryWarningCode.LockLost,
      message: `lock ${JSON.stringify(key)} expired while its holder ran`,
    });
  }
}
