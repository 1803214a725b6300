// The public API of game-network, at a glance. Anything not listed here is internal.

// Server and client
export { createServer, GameServer } from './server/createServer.js';
export type {
  ServerOptions,
  ServerAddress,
  ServerEvents,
  Credentials,
} from './server/createServer.js';
export { connect, GameClient } from './client/connect.js';
export type { ConnectOptions, ClientEvents } from './client/connect.js';

// Transports: the seam under the server and the client
export { nodeTransport } from './transport/nodeTransport.js';
export { createMemoryTransport } from './transport/memoryTransport.js';
export type { MemoryTransportOptions } from './transport/memoryTransport.js';
export type {
  Transport,
  DatagramEndpoint,
  MessageConnection,
  MessageListener,
} from './transport/Transport.js';

// Data types and events
export { LeaveReason } from './types.js';
export type { ConfirmedFrame, PlayerInfo, PlayerLeft, ChatMessage, PlayerEvent } from './types.js';
export { WarningCode } from './events.js';
export type {
  NetworkEvent,
  WarningEvent,
  DropEvent,
  DisconnectedEvent,
  DesyncEvent,
  SnapshotEvent,
} from './events.js';
export type { NetworkStats, PlayerStats, LinkSample } from './stats.js';
export type { TypedEventEmitter, EventMap } from './emitter.js';

// Errors
export {
  GameNetworkError,
  DecodeError,
  DecodeErrorCode,
  MessageTooLargeError,
  TruncatedMessageError,
  ConnectionError,
  ConnectTimeoutError,
  JoinRefusedError,
  RefuseReason,
  DisconnectedError,
} from './errors.js';

// Operators
export { lockstep, LockstepWarningCode } from './operators/lockstep.js';
export type { LockstepEvent, LockstepOptions, LockstepWarning } from './operators/lockstep.js';
export { sendWindow, SendWindowWarningCode } from './operators/sendWindow.js';
export type {
  SendWindowCommand,
  SendWindowOptions,
  SendBatch,
  SendWindowWarning,
} from './operators/sendWindow.js';
export { inOrder, InOrderWarningCode } from './operators/inOrder.js';
export type { InOrderOptions, InOrderWarning } from './operators/inOrder.js';
export { conditionLink } from './operators/conditionLink.js';
export type { LinkConditionerOptions } from './operators/conditionLink.js';
export { playout } from './operators/playout.js';
export type { PlayoutOptions } from './operators/playout.js';
export { networkStats } from './operators/networkStats.js';

// Sources
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

// Protocol
export {
  PROTOCOL_VERSION,
  Limits,
  MessageType,
  compressInputs,
  decompressInputs,
} from './protocol/index.js';
