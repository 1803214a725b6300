// The failures of the Redis room directory: a reply that is not what was asked for, and a lock not had in time.
import { GameNetworkError } from '../errors.js';

/**
 * A reply from Redis that is not what the directory asked for (a field missing or of the
 * wrong type, JSON that does not parse): the directory rejects the call with this instead of
 * trusting a network read.
 */
export class RedisReplyError extends GameNetworkError {
  /** Always `'RedisReplyError'`. */
  override name = 'RedisReplyError';
  constructor(
    /** The call whose reply was bad (`'get'`, `'reserve'`, ...). */
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`bad reply from Redis to ${operation}: ${message}`, options);
  }
}

/** A `withLock` that did not get its lock in time (another holder kept it all along). */
export class LockTimeoutError extends GameNetworkError {
  /** Always `'LockTimeoutError'`. */
  override name = 'LockTimeoutError';
  constructor(
    /** The lock's key, as given to `withLock`. */
    readonly key: string,
    /** How long it waited, in milliseconds. */
    readonly waitedMs: number,
  ) {
    super(`lock ${JSON.stringify(key)} not had after ${waitedMs} ms`);
  }
}
