// The Redis room directory's warnings: what went wrong beside a call (connection, lost locks, bad messages, failed makes).

/** What went wrong beside a call: a call that fails rejects; these are reported here. */
export const RedisDirectoryWarningCode = {
  /** The connection to Redis failed or was lost (the client reconnects by itself). */
  Connection: 'connection',
  /** A `withLock` holder's lock was gone when it was refreshed or released (it ran past its time to live while Redis was away). */
  LockLost: 'lock-lost',
  /** A message read on a pub/sub channel was not what it should be (bad JSON, a field missing or out of bounds): ignored. */
  BadMessage: 'bad-message',
  /** The `make` of `serveCreate` failed (threw or rejected): the asker was told no room was made. */
  CreateFailed: 'create-failed',
} as const;
/** One of {@link RedisDirectoryWarningCode}. */
export type RedisDirectoryWarningCode =
  (typeof RedisDirectoryWarningCode)[keyof typeof RedisDirectoryWarningCode];

/** A warning of the Redis directory. */
export interface RedisDirectoryWarning {
  /** What happened. */
  readonly code: RedisDirectoryWarningCode;
  /** For people. */
  readonly message: string;
  /** The error behind it, if any. */
  readonly error?: Error;
}

/** Reports one warning of the directory (on its `warnings$`). */
export type WarnRedis = (warning: RedisDirectoryWarning) => void;

/** `err` as an Error (a thrown value that is not one is made one). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The warning of a connection failure while doing `what`. */
export function connectionWarning(what: string, err: unknown): RedisDirectoryWarning {
  const error = asError(err);
  return {
    code: RedisDirectoryWarningCode.Connection,
    message: `${what}: ${error.message}`,
    error,
  };
}
