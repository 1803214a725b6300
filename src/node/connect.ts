// `connect` for Node: the Node transport (UDP + TCP) unless another is given.
import type { GameClient } from '../client/GameClient.js';
import { connectWith } from '../client/connect.js';
import type { ConnectOptions } from '../client/options.js';
import { nodeDefaultTransport, nodeWebTransportTo } from './defaultTransport.js';

/**
 * Joins a lockstep server: connects over TCP, sends the join request, and resolves once the
 * server has accepted it and the UDP path is set up. With no `transport`, the Node
 * transport (UDP + TCP); with `url` and no `transport`, the web transport over `ws` and
 * node-datachannel (as a browser joins).
 *
 * @example
 * const client = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
 * client.frames$.subscribe((frame) => simulate(frame));
 * setInterval(() => client.sendInput(readController()), 1000 / client.tickRate);
 *
 * @param options The server's address and this player's credentials.
 * @returns The connected client.
 * @throws JoinRefusedError with the reason if the server refuses; ConnectTimeoutError if no
 * answer comes within `connectTimeoutMs`; ConnectionError if the server cannot be reached.
 */
export function connect(options: ConnectOptions): Promise<GameClient> {
  return connectWith(options, nodeDefaultTransport(options), nodeWebTransportTo);
}
