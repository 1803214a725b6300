/**
 * Every failure the library reports, one class each. Each has `name` set, the original
 * error (if any) as `cause`, and structured details as fields.
 */

/** Base class of every error this library throws or reports. */
export class GameNetworkError extends Error {
  /** Always `'GameNetworkError'`. */
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
  /** Always `'DecodeError'`. */
  override name = 'DecodeError';
  constructor(
    /** What was wrong with the bytes. */
    readonly code: DecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A TCP message whose length prefix is over `maxMessageBytes`. */
export class MessageTooLargeError extends GameNetworkError {
  /** Always `'MessageTooLargeError'`. */
  override name = 'MessageTooLargeError';
  constructor(
    /** The length the prefix announced, in bytes. */
    readonly length: number,
    /** The limit it is over, in bytes. */
    readonly maxMessageBytes: number,
  ) {
    super(`message of ${length} bytes is over the limit of ${maxMessageBytes} bytes`);
  }
}

/** A TCP stream that closed in the middle of a message. */
export class TruncatedMessageError extends GameNetworkError {
  /** Always `'TruncatedMessageError'`. */
  override name = 'TruncatedMessageError';
  constructor(
    /** Bytes of the message that arrived before the close. */
    readonly receivedBytes: number,
    /** Bytes the message should have had. */
    readonly expectedBytes: number,
  ) {
    super(`connection closed after ${receivedBytes} of ${expectedBytes} bytes of a message`);
  }
}

/** A socket could not be opened, or failed. */
export class ConnectionError extends GameNetworkError {
  /** Always `'ConnectionError'`. */
  override name = 'ConnectionError';
}

/** `connect` did not get an answer to its join request in time. */
export class ConnectTimeoutError extends GameNetworkError {
  /** Always `'ConnectTimeoutError'`. */
  override name = 'ConnectTimeoutError';
  constructor(
    /** The time `connect` waited, in ms. */
    readonly timeoutMs: number,
  ) {
    super(`no answer to the join request within ${timeoutMs} ms`);
  }
}

/** Why the server refused a join. */
export const RefuseReason = {
  /** The server's `authenticate` said no. */
  BadCredentials: 'bad-credentials',
  /** Every player slot is taken. */
  ServerFull: 'server-full',
  /** A player with this username is already in the match. */
  DuplicateName: 'duplicate-name',
  /** The client speaks another protocol version. */
  VersionMismatch: 'version-mismatch',
  /** The join request could not be decoded, or had a field out of range. */
  BadRequest: 'bad-request',
  /** The server is closing. */
  ServerClosing: 'server-closing',
  /** A Reconnect whose token is not a live one (forged, used, or its grace is over). */
  BadToken: 'bad-token',
  /** This account or address timed out repeatedly: it may join again a little later. */
  TryLater: 'try-later',
  /** The room asked for does not exist (never did, or has ended). */
  RoomNotFound: 'room-not-found',
  /** The server's rules do not let this join create a room (`onCreateRoom` said no, or too many rooms). */
  RoomRefused: 'room-refused',
} as const;
export type RefuseReason = (typeof RefuseReason)[keyof typeof RefuseReason];

/** The server refused the join request. */
export class JoinRefusedError extends GameNetworkError {
  /** Always `'JoinRefusedError'`. */
  override name = 'JoinRefusedError';
  constructor(
    /** Why the server refused. */
    readonly reason: RefuseReason,
  ) {
    super(`join refused: ${reason}`);
  }
}

/** The connection to the server ended: the server closed, or dropped this client. */
export class DisconnectedError extends GameNetworkError {
  /** Always `'DisconnectedError'`. */
  override name = 'DisconnectedError';
  constructor(
    /** Why the connection ended, in words. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`disconnected: ${reason}`, options);
  }
}
