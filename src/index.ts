// The isomorphic core of game-network (Node and browsers, no Node built-in), at a glance. Anything not listed here is internal.
// Node-only parts (createServer, nodeTransport, the socket sources) are in src/node.ts.

/**
 * The isomorphic core (browsers, bundlers, and Node): what `'game-network'` gives outside Node.
 * In Node, `'game-network'` and `'game-network/node'` give all of it and the Node-only parts.
 *
 * @module game-network
 */

// Client
export { connect } from './client/connect.js';
export type { ConnectOptions, ClientEvents } from './client/connect.js';
export { GameClient } from './client/GameClient.js';
export { listRooms } from './client/listRooms.js';
export type { ListRoomsOptions } from './client/listRooms.js';

// Rooms: the directory where they are found
export { localDirectory } from './rooms/localDirectory.js';
export type {
  RoomDirectory,
  RoomListing,
  RoomQuery,
  RoomChange,
  RoomMetadata,
  ProcessListing,
  ProcessAddress,
  CreateAsk,
} from './rooms/RoomDirectory.js';
export type { RoomSummary, RoomAsk, RoomById, RoomByMode } from './protocol/index.js';

// Transports: the seam under the server and the client
export { createMemoryTransport } from './transport/memoryTransport.js';
export type { MemoryTransportOptions } from './transport/memoryTransport.js';
export type {
  Transport,
  TransportPeer,
  TransportWarning,
  MessageConnection,
  DatagramChannel,
  SendSignal,
  MessageListener,
  ListenerAddress,
  ListenOptions,
  ConnectTransportOptions,
  TlsServerOptions,
  TlsClientOptions,
  DatagramPath,
} from './transport/Transport.js';
// The web transport's client (browsers): a WebSocket, and a WebRTC data channel for datagrams
export { createWebTransport } from './transport/ws/webClientTransport.js';
export type { WebTransportOptions } from './transport/ws/webClientTransport.js';
export type {
  WebSocketLike,
  WebSocketEventLike,
  WebSocketFactory,
} from './transport/ws/WebSocketLike.js';
export type { IceServerConfig, RtcPeerConnectionFactory } from './transport/webrtc/RtcLike.js';

// Data types and events
export { LeaveReason, SubstituteInput } from './types.js';
export type { ConfirmedFrame, PlayerInfo, PlayerLeft, ChatMessage, PlayerEvent } from './types.js';
export { WarningCode } from './events.js';
export type {
  NetworkEvent,
  ServerNetworkEvent,
  ClientNetworkEvent,
  WarningEvent,
  DropEvent,
  DisconnectedEvent,
  DesyncEvent,
  SnapshotEvent,
  AwayEvent,
  BackEvent,
  SeatedEvent,
  CaughtUpEvent,
  ReconnectingEvent,
  ReconnectedEvent,
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

// One match with no sockets: the lockstep state machine, membership and the frame log
export { Match } from './match/Match.js';
export type {
  MatchOptions,
  JoinResult,
  HoldResult,
  MatchEvent,
  MatchWarning,
  MatchSnapshot,
  CatchUpStart,
} from './match/Match.js';
export { Roster } from './match/Roster.js';
export { FrameLog } from './match/FrameLog.js';
export type { FrameLogOptions } from './match/FrameLog.js';

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

// Protocol
export {
  PROTOCOL_VERSION,
  Limits,
  MessageType,
  compressInputs,
  decompressInputs,
} from './protocol/index.js';

// Replays: the file format, recording and reading, playback (files on disk: game-network/node)
export {
  recordReplay,
  ReplayWriter,
  readReplay,
  playback,
  seekPoint,
  ReplayError,
  ReplayErrorCode,
  REPLAY_FORMAT_VERSION,
  REPLAY_MAGIC,
  ReplayLimits,
} from './replay/index.js';
export type {
  RecordReplayOptions,
  ReplayWriterOptions,
  Replay,
  ReplayFile,
  PlaybackOptions,
  ReplayHeader,
  ReplayReport,
  ReplayRecord,
  ChecksumEvent,
} from './replay/index.js';
