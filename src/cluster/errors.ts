// The failures of the Redis room directory: Redis not answering, a reply that is not what was asked for, a lock not had in time.
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

/**
 * Redis did not answer a directory call: not connected within the call's time (it is away,
 * or restarting), the connection was lost before the reply, or the reply took too long. A
 * call that fails so before it was sent is never run later; one whose connection was lost
 * after it was sent may have run.
 */
export class RedisUnavailableError extends GameNetworkError {
  /** Always `'RedisUnavailableError'`. */
  override name = 'RedisUnavailableError';
  constructor(
    /** The call that got no answer (`'reserve'`, `'putProcess'`, ...). */
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Redis did not answer ${operation}: ${message}`, options);
  }
}
