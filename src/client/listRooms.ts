// Asks a server which rooms are open: one connection, one ListRooms, the RoomList, closed.
import { ConnectTimeoutError, ConnectionError, DecodeError, JoinRefusedError } from '../errors.js';
import {
  Limits,
  MessageType,
  decodeServerTcp,
  encodeMessage,
  type RoomSummary,
} from '../protocol/index.js';
import { isValidRoomId } from '../protocol/roomFields.js';
import type { TlsClientOptions, Transport } from '../transport/Transport.js';
import { coreTransport } from './coreTransport.js';
import { serverOf } from './options.js';

/** Options of `listRooms`. */
export interface ListRoomsOptions {
  /** The server's host (not needed with `url`). */
  host?: string;
  /** The server's TCP port (not needed with `url`). */
  port?: number;
  /** The server's web endpoint, `ws://host:webPort/`; with no `transport`, the web transport. */
  url?: string;
  /** Only rooms of this mode. Default: every mode. */
  mode?: string;
  /** How long to wait for the connection and the answer. Default `5000`. */
  timeoutMs?: number;
  /** The network underneath (in Node, `game-network`'s `listRooms` has the Node transport by default). */
  transport?: Transport;
  /** TLS on the reliable channel, as `connect`'s. Default: none. */
  tls?: TlsClientOptions;
}

/**
 * The open rooms of a server (of `mode`, if given): at most 100, oldest first, each with its
 * id, mode, seats taken and slots, and metadata. Join one with `connect({ room: roomId })`.
 *
 * @example
 * const rooms = await listRooms({ host, port, mode: 'duel' });
 * const client = await connect({ host, port, username: 'ann', room: rooms[0].roomId });
 *
 * @throws ConnectTimeoutError if no answer comes within `timeoutMs`; ConnectionError if the
 * server cannot be reached or answers something else.
 */
export async function listRooms(options: ListRoomsOptions): Promise<RoomSummary[]> {
  // Async: no transport is a rejection, as every other failure.
  return listRoomsWith(options, coreTransport(options));
}

/**
 * `listRooms` over `transport` (the entry points choose the default).
 * @internal
 */
export async function listRoomsWith(
  options: ListRoomsOptions,
  transport: Transport,
): Promise<RoomSummary[]> {
  const { mode } = options;
  if (mode !== undefined && !isValidRoomId(mode, Limits.roomModeLength))
    throw new RangeError(`mode must be 1..${Limits.roomModeLength} letters, digits, - _ . :`);
  const timeoutMs = options.timeoutMs ?? 5000;
  const { host, port } = serverOf(options);
  const deadline = performance.now() + timeoutMs;
  const peer = await transport.connect({
    host,
    port,
    timeoutMs,
    maxMessageBytes: Limits.tcpMessageBytes,
    maxDatagramBytes: Limits.maxDatagramBytes,
    tls: options.tls,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<RoomSummary[]>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new ConnectTimeoutError(timeoutMs)),
        Math.max(0, deadline - performance.now()),
      );
      const sub = peer.messages.messages$.subscribe({
        next: (bytes) => {
          sub.unsubscribe();
          try {
            const msg = decodeServerTcp(bytes);
            if (msg.type === MessageType.RoomList) return resolve([...msg.rooms]);
            if (msg.type === MessageType.JoinRefused)
              return reject(new JoinRefusedError(msg.reason));
            reject(new ConnectionError(`unexpected answer to ListRooms (type ${msg.type})`));
          } catch (err) {
            const e = err instanceof DecodeError ? err : new DecodeError('malformed', String(err));
            reject(new ConnectionError(`bad answer to ListRooms: ${e.message}`, { cause: e }));
          }
        },
        error: (err: Error) =>
          reject(new ConnectionError(`connection failed: ${err.message}`, { cause: err })),
        complete: () => reject(new ConnectionError('the server closed before it answered')),
      });
      peer.messages.send(
        encodeMessage({ type: MessageType.ListRooms, ...(mode === undefined ? {} : { mode }) }),
      );
    });
  } finally {
    clearTimeout(timer);
    peer.messages.destroy();
  }
}
