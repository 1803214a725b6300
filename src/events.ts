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
  /** A datagram with a live session's token that does not authenticate (forged or corrupted). */
  BadDatagram: 'bad-datagram',
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
  /** A player sent chat over its rate or byte budget: the line was not passed on. */
  ChatOverBudget: 'chat-over-budget',
  /** A call of the room directory failed (matchmaking waits; running matches go on). */
  DirectoryError: 'directory-error',
} as const;
export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];

/** Something went wrong that was handled: logged, and the game goes on. */
export interface WarningEvent {
  /** Always `'warning'`. */
  readonly type: 'warning';
  /** What the warning is about. */
  readonly code: WarningCode;
  /** The warning in words, for a log. */
  readonly message: string;
  /** The player concerned, when known. */
  readonly playerId?: number;
  /** The remote address, for network input. */
  readonly address?: string;
  /** The remote port, for network input. */
  readonly port?: number;
  /** The underlying error, when there is one. */
  readonly error?: Error;
}

/** One player was dropped: every client is told (a leave in the frame stream). */
export interface DropEvent {
  /** Always `'drop'`. */
  readonly type: 'drop';
  /** The player dropped. */
  readonly playerId: number;
  /** Their username. */
  readonly username: string;
  /** Why they were dropped. */
  readonly reason: LeaveReason;
  /** The drop in words, for a log. */
  readonly message: string;
}

/** This client's session ended (client side only). */
export interface DisconnectedEvent {
  /** Always `'disconnected'`. */
  readonly type: 'disconnected';
  /**
   * Why it ended: a leave reason, the server closing, `ready-timeout` (it held its seat
   * `readyTimeoutMs` without being ready), `room-closed` (its room ended), `close()` called,
   * or `connection-lost` (the connection failed and reconnecting did not work within the grace).
   */
  readonly reason:
    LeaveReason | 'server-closing' | 'ready-timeout' | 'room-closed' | 'closed' | 'connection-lost';
  /** The disconnect in words, for a log. */
  readonly message: string;
}

/**
 * A player is away (server side): its datagrams stopped, it stalled the others for
 * `disconnectTimeoutMs`, or its connection was lost. Its seat is kept for
 * `reconnectGraceMs`; from `tick` its input is substituted (each frame's `substituted`).
 */
export interface AwayEvent {
  /** Always `'away'`. */
  readonly type: 'away';
  /** Its slot. */
  readonly playerId: number;
  /** Its name. */
  readonly username: string;
  /** The first tick whose input is substituted. */
  readonly tick: number;
  /** Why, in words, for a log (its connection closed, it stalled the match, ...). */
  readonly message: string;
}

/** An away player is back (server side): its own inputs count from `tick` on. */
export interface BackEvent {
  /** Always `'back'`. */
  readonly type: 'back';
  /** Its slot. */
  readonly playerId: number;
  /** Its name. */
  readonly username: string;
  /** The first tick its own inputs count again. */
  readonly tick: number;
}

/** This client's inputs count from `tick` on: its join took effect, or it is back (client side). */
export interface SeatedEvent {
  /** Always `'seated'`. */
  readonly type: 'seated';
  /** The first tick this client's inputs count for (its `startTick`). */
  readonly tick: number;
}

/**
 * This client has every frame the match had confirmed when it joined or came back (client
 * side): the frames from `tick` on are live. Frames before it came in a catch-up.
 */
export interface CaughtUpEvent {
  /** Always `'caught-up'`. */
  readonly type: 'caught-up';
  /** The first live tick: the frames before it came in the catch-up. */
  readonly tick: number;
}

/** The connection was lost; the client tries to get its seat back (client side). */
export interface ReconnectingEvent {
  /** Always `'reconnecting'`. */
  readonly type: 'reconnecting';
  /** 1 for the first try, then 2, ... */
  readonly attempt: number;
  /** Why the connection was lost. */
  readonly message: string;
}

/** The client has its seat back on a new connection (client side); frames go on from `tick`. */
export interface ReconnectedEvent {
  /** Always `'reconnected'`. */
  readonly type: 'reconnected';
  /** The tick the frames go on from on the new connection. */
  readonly tick: number;
}

/**
 * A desync: players reported different state checksums for the same tick. Emitted once, for
 * the first tick found to differ, on the server and on every client.
 */
export interface DesyncEvent {
  /** Always `'desync'`. */
  readonly type: 'desync';
  /** The first tick whose checksums differ. */
  readonly tick: number;
  /** Each reporting player's checksum for that tick. */
  readonly checksums: ReadonlyArray<{
    /** The player who reported it. */
    readonly playerId: number;
    /** The checksum they reported. */
    readonly checksum: number;
  }>;
  /**
   * The players whose checksum differs from the majority's, or every reporter when no
   * checksum has a majority (as with two players): who the application may blame.
   */
  readonly disagreeing: readonly number[];
}

/** A player's state snapshot for the desync tick (server side), to diff the worlds. */
export interface SnapshotEvent {
  /** Always `'snapshot'`. */
  readonly type: 'snapshot';
  /** The player whose state it is. */
  readonly playerId: number;
  /** The tick it is the state after (the desync tick). */
  readonly tick: number;
  /** The bytes their `snapshot` callback returned. */
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
