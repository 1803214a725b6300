// The client's side of the join handshake: the request, and what the server's first answer means.
import { ConnectionError, DecodeError, DisconnectedError, JoinRefusedError } from '../errors.js';
import {
  MessageType,
  PROTOCOL_VERSION,
  decodeServerTcp,
  encodeMessage,
  type JoinAccepted,
  type Redirect,
  type RoomAsk,
  type WatchAccepted,
} from '../protocol/index.js';

/**
 * The join request a client opens its session with (a spectator's with `spectate`), for
 * `room` (none: the server's default room).
 */
export function joinRequest(
  username: string,
  password: string,
  spectate = false,
  room?: RoomAsk,
  reservation?: Uint8Array,
): Uint8Array {
  return encodeMessage({
    type: spectate ? MessageType.Watch : MessageType.Join,
    protocolVersion: PROTOCOL_VERSION,
    username,
    password,
    ...(room ? { room } : {}),
    ...(room && reservation ? { reservation } : {}),
  });
}

/** The reconnect request a client opens a new connection with, to get its seat (in `roomId`) back. */
export function reconnectRequest(token: Uint8Array, lastTick: number, roomId?: string): Uint8Array {
  return encodeMessage({
    type: MessageType.Reconnect,
    protocolVersion: PROTOCOL_VERSION,
    token,
    lastTick,
    ...(roomId === undefined ? {} : { roomId }),
  });
}

/** What the server's answer to a join request means. */
export type JoinAnswer =
  | { readonly accepted: JoinAccepted | WatchAccepted }
  | { readonly redirect: Redirect }
  | { readonly failed: JoinRefusedError | ConnectionError };

/**
 * Reads the server's first message on a connection: the join accepted, refused, sent to
 * another server process (a redirect), or an answer that is no answer (then the connection
 * cannot go on).
 */
export function readJoinAnswer(bytes: Uint8Array): JoinAnswer {
  let msg;
  try {
    msg = decodeServerTcp(bytes);
  } catch (err) {
    const e = err instanceof DecodeError ? err : new DecodeError('malformed', String(err));
    return {
      failed:
        e.code === 'bad-version'
          ? new JoinRefusedError('version-mismatch')
          : new ConnectionError(`bad answer to the join request: ${e.message}`, { cause: e }),
    };
  }
  if (msg.type === MessageType.JoinAccepted || msg.type === MessageType.WatchAccepted)
    return { accepted: msg };
  if (msg.type === MessageType.JoinRefused) return { failed: new JoinRefusedError(msg.reason) };
  if (msg.type === MessageType.Redirect) return { redirect: msg };
  return {
    failed: new ConnectionError(`unexpected answer to the join request (type ${msg.type})`),
  };
}

/** The connection ended before the join was answered. */
export function endedDuringJoin(err: Error | undefined): ConnectionError | DisconnectedError {
  return err
    ? new ConnectionError(`connection failed during the join: ${err.message}`, { cause: err })
    : new DisconnectedError('the server closed the connection during the join');
}
