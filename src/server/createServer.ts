// Starts a server: checks the options, opens the transport's listener, and hands both to a GameServer.
import { Limits } from '../protocol/index.js';
import { combineListeners } from '../transport/combine.js';
import { nodeTransport } from '../transport/nodeTransport.js';
import { listenWeb } from '../transport/web/webListener.js';
import { GameServer } from './GameServer.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { resolveRoomsOptions } from './roomOptions.js';
import { redisDirectory } from '../cluster/redisDirectory.js';

export { GameServer } from './GameServer.js';
export type { ServerEvents } from './GameServer.js';
export type {
  ServerOptions,
  ServerAddress,
  Credentials,
  RoomInfo,
  ClusterOptions,
} from './options.js';
export type { SpectatorEvent, SpectatorLeaveReason } from './Spectators.js';
export { Room } from './Room.js';
export type { RoomEndReason } from './Room.js';
export type { RoomEvent } from './ServerRooms.js';
export type { RoomOptions, RoomRuleOptions, RoomsOptions, CreateRoomAsk } from './roomOptions.js';

/**
 * Starts a lockstep server: a TCP listener for joins and chat, and one UDP socket for
 * every player's inputs and frames (with the default Node transport).
 *
 * Resolves once the transport listens; `server.address` has the ports (0 picks free ones).
 *
 * @example
 * const server = await createServer({ port: 0, tickRate: 60, inputSize: 2, maxPlayers: 4 });
 * server.frames$.subscribe((f) => console.log(f.tick, f.inputs));
 * // ...
 * await server.close();
 *
 * @param options Where to listen and the rules of the match; every option has a default.
 * @returns The running server.
 * @throws {RangeError} before opening anything, if an option is out of range.
 */
export async function createServer(options: ServerOptions = {}): Promise<GameServer> {
  const resolved = resolveServerOptions(options);
  if (options.rooms) resolveRoomsOptions(options.rooms); // checked before anything opens
  if (options.cluster) checkCluster(options.cluster, resolved.host);
  const transport = options.transport ?? nodeTransport;
  let listener = await transport.listen({
    host: resolved.host,
    port: resolved.port,
    udpPort: resolved.udpPort,
    // Room for the largest client message: a state snapshot.
    maxMessageBytes: Limits.tcpMessageBytes,
    maxDatagramBytes: Limits.maxDatagramBytes,
    tls: options.tls,
  });
  if (options.web) {
    try {
      const web = await listenWeb({
        ...options.web,
        host: options.web.host ?? resolved.host,
        maxMessageBytes: Limits.tcpMessageBytes,
        maxDatagramBytes: Limits.maxDatagramBytes,
      });
      listener = combineListeners(listener, web);
    } catch (err) {
      await listener.close();
      throw err;
    }
  }
  let server: GameServer;
  const cluster = options.cluster;
  const directory = cluster
    ? redisDirectory({
        redis: cluster.redis,
        ...(cluster.processTtlMs === undefined ? {} : { processTtlMs: cluster.processTtlMs }),
        ...(cluster.keyPrefix === undefined ? {} : { keyPrefix: cluster.keyPrefix }),
      })
    : undefined;
  try {
    server = new GameServer(
      listener,
      resolved,
      directory ? { ...options, rooms: { ...options.rooms, directory } } : options,
    );
  } catch (err) {
    await directory?.close();
    await listener.close();
    throw err;
  }
  try {
    if (directory && cluster) {
      // Listed before its first room: the directory lists only rooms of live processes.
      await server.joinCluster(directory, cluster.publicAddress);
    } else await server.register();
    await server.openDefaultRoom();
  } catch (err) {
    await server.close(); // closes the listener too
    throw err;
  }
  return server;
}

/** The `cluster` option checked: what redirects will send players to must be reachable. */
function checkCluster(cluster: NonNullable<ServerOptions['cluster']>, host: string): void {
  if (typeof cluster.redis !== 'string' || !/^rediss?:\/\//.test(cluster.redis))
    throw new RangeError('cluster.redis must be a redis:// or rediss:// URL');
  const publicHost = cluster.publicAddress ?? host;
  if (publicHost.length < 1 || publicHost.length > Limits.hostLength)
    throw new RangeError(`cluster.publicAddress must be 1..${Limits.hostLength} characters`);
  if (publicHost === '0.0.0.0' || publicHost === '::' || publicHost === '[::]')
    throw new RangeError(
      `cluster.publicAddress must be where players reach this process, not ${publicHost}: give it when host listens on every address`,
    );
  if (cluster.processTtlMs !== undefined && !(cluster.processTtlMs >= 100))
    throw new RangeError('cluster.processTtlMs must be >= 100');
}
