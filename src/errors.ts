/**
 * Every failure the library reports, one class each. Each has `name` set, the original
 * error (if any) as `cause`, and structured details as fields.
 */

/** Base class of every error this library throws or reports. */
export class GameNetworkError extends Error {
  override name = 'GameNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What was wrong with bytes that could not be decoded. */
export const DecodeErrorCode = {
  /** Too short to hold even the header. */
  Truncated: 'truncated',
  /** The magic bytes are not ours: the packet is from something else. */
  BadMagic: 'bad-magic',
  /** Our magic, another protocol version. */
  BadVersion: 'bad-version',
  /** Not valid msgpack, or bytes left over after the message. */
  Malformed: 'malformed',
  /** A message type this version does not know. */
  UnknownType: 'unknown-type',
  /** A field of the wrong type, out of range, or too long. */
  BadField: 'bad-field',
  /** More bytes than the limit for this kind of message. */
  TooLarge: 'too-large',
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

/** Bytes from the network that are not a valid message. Never thrown past a source. */
export class DecodeError extends GameNetworkError {
  override name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A TCP message whose length prefix is over `maxMessageBytes`. */
export class MessageTooLargeError extends GameNetworkError {
  override name = 'MessageTooLargeError';
  constructor(
    readonly length: number,
    readonly maxMessageBytes: number,
  ) {
    super(`message of ${length} bytes is over the limit of ${maxMessageBytes} bytes`);
  }
}

/** A TCP stream that closed in the middle of a message. */
export class TruncatedMessageError extends GameNetworkError {
  override name = 'TruncatedMessageError';
  constructor(
    readonly receivedBytes: number,
    readonly expectedBytes: number,
  ) {
    super(`connection closed after ${receivedBytes} of ${expectedBytes} bytes of a message`);
  }
}

/** A socket could not be opened, or failed. */
export class ConnectionError extends GameNetworkError {
  override name = 'ConnectionError';
}

/** `connect` did not get an answer to its join request in time. */
export class ConnectTimeoutError extends GameNetworkError {
  override name = 'ConnectTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer to the join request within ${timeoutMs} ms`);
  }
}

/** Why the server refused a join. */
export const RefuseReason = {
  BadCredentials: 'bad-credentials',
  ServerFull: 'server-full',
  DuplicateName: 'duplicate-name',
  VersionMismatch: 'version-mismatch',
  BadRequest: 'bad-request',
  ServerClosing: 'server-closing',
  /** A Reconnect whose token is not a live one (forged, used, or its grace is over). */
  BadToken: 'bad-token',
} as const;
export type RefuseReason = (typeof RefuseReason)[keyof typeof RefuseReason];

/** The server refused the join request. */
export class JoinRefusedError extends GameNetworkError {
  override name = 'JoinRefusedError';
  constructor(readonly reason: RefuseReason) {
    super(`join refused: ${reason}`);
  }
}

/** The connection to the server ended: the server closed, or dropped this client. */
export class DisconnectedError extends GameNetworkError {
  override name = 'DisconnectedError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`disconnected: ${reason}`, options);
  }
}
