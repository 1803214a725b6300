// The Node.js entry of game-network: the isomorphic core plus the server, the Node transport and the socket sources.
// `connect` here defaults its transport to nodeTransport; the core's `connect` needs one given.

/**
 * The Node.js entry: what `'game-network'` gives in Node (and `'game-network/node'` anywhere):
 * the core, the server, the Node transport and the socket sources. Its `connect` defaults its
 * transport to `nodeTransport`.
 *
 * @module game-network/node
 */

export * from './index.js';
// This `connect` shadows the core's one that `export *` brings (an explicit export wins).
export { connect } from './node/connect.js';
export { listRooms } from './node/listRooms.js';

// Server
export { createServer, GameServer, Room } from './server/createServer.js';
export type {
  RoomEndReason,
  RoomEvent,
  RoomOptions,
  RoomRuleOptions,
  RoomsOptions,
  CreateRoomAsk,
  ServerOptions,
  ServerAddress,
  ServerEvents,
  Credentials,
  RoomInfo,
  ClusterOptions,
  SpectatorEvent,
  SpectatorLeaveReason,
} from './server/createServer.js';
export type { ChatBudgetOptions } from './server/ChatBudget.js';

// A cluster: the room directory on Redis, and a process's presence in it
export { redisDirectory, RedisDirectoryWarningCode } from './cluster/redisDirectory.js';
export type {
  RedisDirectoryOptions,
  RedisRoomDirectory,
  RedisDirectoryWarning,
} from './cluster/redisDirectory.js';
export { Presence, PresenceState, PresenceWarningCode } from './cluster/presence.js';
export type {
  PresenceOptions,
  PresenceDirectory,
  PresenceWarning,
  PresenceStopOptions,
} from './cluster/presence.js';
export { RedisReplyError, RedisUnavailableError, LockTimeoutError } from './cluster/errors.js';

// The Node transport: UDP + TCP sockets
export { nodeTransport } from './transport/nodeTransport.js';
export type { DatagramEndpoint } from './transport/nodeTransport.js';

// The web transport's server side (HTTP + WebSocket + WebRTC data channels), and its Node client
export { listenWeb } from './transport/web/webListener.js';
export type { WebListenerOptions, ListenWebOptions } from './transport/web/webListener.js';
export { nodeWebTransport } from './transport/web/nodeWebTransport.js';
export type { NodeWebTransportOptions } from './transport/web/nodeWebTransport.js';
export { combineListeners } from './transport/combine.js';

// Sources: Node sockets as Observables
export { fromUdpSocket, bindUdpSocket, udpSender } from './sources/fromUdpSocket.js';
export type { Datagram, UdpBindOptions, UdpSend } from './sources/fromUdpSocket.js';
export {
  fromTcpSocket,
  frameMessage,
  writeMessage,
  writeMessages,
} from './sources/fromTcpSocket.js';
export type { TcpMessageOptions } from './sources/fromTcpSocket.js';
export { fromTcpServer, listenTcp, connectTcp } from './sources/fromTcpServer.js';
export type { TcpListenOptions, TcpConnectOptions } from './sources/fromTcpServer.js';

// Replays to files on disk
export { recordReplayFile } from './replay/recordReplayFile.js';
export type { ReplayFileRecording } from './replay/recordReplayFile.js';
