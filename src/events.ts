// The events the server and the client report: warnings, drops, disconnects, desyncs, snapshots.
import type { LeaveReason } from './types.js';

/** What a warning is about. */
export const WarningCode = {
  /** Bytes from the network that are not a valid message (see `DecodeError.code`). */
  DecodeError: 'decode-error',
  /** A datagram from an address and port that no player joined from. */
  UnknownSender: 'unknown-sender',
  /** A datagram whose session token was not issued, or not to the player it came from. */
  BadToken: 'bad-token',
  /** A message that is valid but not expected now (for example a second join). */
  UnexpectedMessage: 'unexpected-message',
  /** A join request that was refused (bad credentials, server full, ...). */
  JoinRefused: 'join-refused',
  /** A TCP connection that sent no join request in time. */
  JoinTimeout: 'join-timeout',
  /** A TCP message over the size limit (the connection is closed). */
  MessageTooLarge: 'message-too-large',
  /** A socket error on one connection. */
  SocketError: 'socket-error',
  /** The authenticate callback threw; the join was refused. */
  AuthenticateFailed: 'authenticate-failed',
  /** A join was accepted but could not be completed (its datagram channel did not open). */
  JoinFailed: 'join-failed',
  /** The client's `snapshot` callback threw; no snapshot was sent. */
  SnapshotFailed: 'snapshot-failed',
  /** An input too far ahead of the frames confirmed so far (refused, not buffered). */
  InputTooFarAhead: 'input-too-far-ahead',
  /** A buffer hit its bound (send window full, reorder buffer full). */
  BufferFull: 'buffer-full',
  /** Any other report from the lockstep assembler. */
  Lockstep: 'lockstep',
  /** A newcomer's frames cannot start at the match's first tick (the log dropped them, no snapshot). */
  CatchUpIncomplete: 'catch-up-incomplete',
  /** The server-side or client-side `provideSnapshot` threw or gave too many bytes. */
  ProvideSnapshotFailed: 'provide-snapshot-failed',
} as const;
export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];

/** Something went wrong that was handled: logged, and the game goes on. */
export interface WarningEvent {
  readonly type: 'warning';
  readonly code: WarningCode;
  readonly message: string;
  /** The player concerned, when known. */
  readonly playerId?: number;
  /** The remote address and port, for network input. */
  readonly address?: string;
  readonly port?: number;
  /** The underlying error, when there is one. */
  readonly error?: Error;
}

/** One player was dropped: every client is told (a leave in the frame stream). */
export interface DropEvent {
  readonly type: 'drop';
  readonly playerId: number;
  readonly username: string;
  readonly reason: LeaveReason;
  readonly message: string;
}

/** This client's session ended (client side only). */
export interface DisconnectedEvent {
  readonly type: 'disconnected';
  /**
   * `ready-timeout`: it held its seat `readyTimeoutMs` without being ready;
   * `connection-lost`: the connection failed and reconnecting did not work within the grace.
   */
  readonly reason: LeaveReason | 'server-closing' | 'ready-timeout' | 'closed' | 'connection-lost';
  readonly message: string;
}

/**
 * A player is away (server side): its datagrams stopped, it stalled the others for
 * `disconnectTimeoutMs`, or its connection was lost. Its seat is kept for
 * `reconnectGraceMs`; from `tick` its input is substituted (each frame's `substituted`).
 */
export interface AwayEvent {
  readonly type: 'away';
  readonly playerId: number;
  readonly username: string;
  readonly tick: number;
}

/** An away player is back (server side): its own inputs count from `tick` on. */
export interface BackEvent {
  readonly type: 'back';
  readonly playerId: number;
  readonly username: string;
  readonly tick: number;
}

/** This client's inputs count from `tick` on: its join took effect, or it is back (client side). */
export interface SeatedEvent {
  readonly type: 'seated';
  readonly tick: number;
}

/**
 * This client has every frame the match had confirmed when it joined or came back (client
 * side): the frames from `tick` on are live. Frames before it came in a catch-up.
 */
export interface CaughtUpEvent {
  readonly type: 'caught-up';
  readonly tick: number;
}

/** The connection was lost; the client tries to get its seat back (client side). */
export interface ReconnectingEvent {
  readonly type: 'reconnecting';
  /** 1 for the first try, then 2, ... */
  readonly attempt: number;
  readonly message: string;
}

/** The client has its seat back on a new connection (client side); frames go on from `tick`. */
export interface ReconnectedEvent {
  readonly type: 'reconnected';
  readonly tick: number;
}

/**
 * A desync: players reported different state checksums for the same tick. Emitted once, for
 * the first tick found to differ, on the server and on every client.
 */
export interface DesyncEvent {
  readonly type: 'desync';
  readonly tick: number;
  /** Each reporting player's checksum for that tick. */
  readonly checksums: ReadonlyArray<{ readonly playerId: number; readonly checksum: number }>;
}

/** A player's state snapshot for the desync tick (server side), to diff the worlds. */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  readonly playerId: number;
  readonly tick: number;
  readonly data: Uint8Array;
}

/** What the server's `events$` carries. */
export type ServerNetworkEvent =
  WarningEvent | DropEvent | DesyncEvent | SnapshotEvent | AwayEvent | BackEvent;

/** What a client's `events$` carries. */
export type ClientNetworkEvent =
  | WarningEvent
  | DisconnectedEvent
  | DesyncEvent
  | SeatedEvent
  | CaughtUpEvent
  | ReconnectingEvent
  | ReconnectedEvent;

/** Everything either side's `events$` carries. */
export type NetworkEvent = ServerNetworkEvent | ClientNetworkEvent;
