// `listRooms` for Node: the Node transport (TCP) unless another is given.
import { listRoomsWith, type ListRoomsOptions } from '../client/listRooms.js';
import type { RoomSummary } from '../protocol/index.js';
import { nodeDefaultTransport } from './defaultTransport.js';

/**
 * The open rooms of a server (of `mode`, if given): at most 100, oldest first. With no
 * `transport`, the Node transport; with `url`, the web transport.
 *
 * @example
 * const rooms = await listRooms({ host: '127.0.0.1', port: server.address.tcpPort, mode: 'duel' });
 *
 * @throws ConnectTimeoutError if no answer comes within `timeoutMs`; ConnectionError if the
 * server cannot be reached or answers something else.
 */
export function listRooms(options: ListRoomsOptions): Promise<RoomSummary[]> {
  return listRoomsWith(options, nodeDefaultTransport(options));
}
