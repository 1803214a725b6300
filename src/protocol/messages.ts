// The messages of the wire protocol: their types, tags, limits and version.
import type { RefuseReason } from '../errors.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo } from '../types.js';

/**
 * Every message of the wire protocol. docs/protocol.md is the specification; this file and
 * the codecs beside it (codec.ts, inputsCodec.ts, framesCodec.ts) implement it. Change one,
 * change the other, and bump `PROTOCOL_VERSION` when the bytes change.
 */

/** The version in every message header; a peer with another version is refused. */
export const PROTOCOL_VERSION = 3;
/** The two magic bytes that start every message: "GN". */
export const MAGIC = Uint8Array.of(0x47, 0x4e);
/** Magic (2 bytes) + version (1 byte). */
export const HEADER_BYTES = 3;

/** Limits of the protocol. A message breaking one is refused by the decoder. */
export const Limits = {
  /** Default byte budget of one datagram (kept under the path MTU). */
  datagramBytes: 1200,
  /** Largest datagram the decoder accepts. */
  maxDatagramBytes: 1400,
  /** Default maximum TCP message (payload) size. */
  tcpMessageBytes: 65536,
  /** Longest username, in UTF-8 bytes. */
  usernameLength: 32,
  /** Longest password, in UTF-8 bytes. */
  passwordLength: 128,
  /** Longest chat message, in UTF-8 bytes. */
  chatLength: 500,
  /** Longest message text of a goodbye, in UTF-8 bytes. */
  reasonLength: 200,
  /** Slots in a match: 1 .. maxPlayers. */
  maxPlayers: 256,
  /** Bytes of one input: 1 .. maxInputSize. */
  maxInputSize: 64,
  /** Ticks in one packet. */
  maxTicksPerPacket: 4096,
  /** Largest tick number (unsigned 32-bit). */
  maxTick: 0xffffffff,
  /** World-state bytes in one datagram. */
  maxWorldStateBytes: 1100,
  /** Checksum reports carried in one inputs packet. */
  maxChecksumsPerPacket: 16,
  /** Bytes of one state snapshot (sent over TCP after a desync). */
  maxSnapshotBytes: 60000,
  /** Bytes of one transport signal (the body of a Signal message): 1 .. maxSignalBytes. */
  maxSignalBytes: 4096,
  /** Bytes of a reconnect token. */
  reconnectTokenBytes: 16,
  /** Characters of a room id (letters, digits, `-`, `_`, `.`, `:`). */
  roomIdLength: 64,
  /** Characters of a room mode (as a room id). */
  roomModeLength: 32,
  /** Rooms in one RoomList. */
  maxListedRooms: 100,
  /** Entries of a room's metadata. */
  maxMetadataEntries: 16,
  /** Characters of a metadata name. */
  metadataKeyLength: 32,
  /** Characters of a metadata string value. */
  metadataValueLength: 128,
  /** Characters of a host name in a Redirect. */
  hostLength: 253,
} as const;

/** Message type tags (the first element of every message array). */
export const MessageType = {
  // TCP, client to server
  /** The join request (docs/protocol.md 5.1). */
  Join: 1,
  /** A chat message to send (5.2). */
  Chat: 2,
  /** The client leaves (5.3). */
  Leave: 3,
  /** A player's state snapshot for the desync tick (5.4). */
  Snapshot: 4,
  /** A transport's signal to the server (5.10). */
  SignalToServer: 5,
  /** The player is ready (loaded): its join may take effect (5.11). */
  Ready: 6,
  /** A client back after losing its link asks for its seat again (5.15). */
  Reconnect: 7,
  /** The world before a frame, as asked by SnapshotRequest (5.16). */
  SnapshotOffer: 8,
  /** The join request of a spectator (5.17). */
  Watch: 9,
  // TCP, server to client
  /** The join is accepted (5.5). */
  JoinAccepted: 10,
  /** The join is refused (5.6). */
  JoinRefused: 11,
  /** A chat message to every client (5.7). */
  ChatBroadcast: 12,
  /** The server ends the session (5.8). */
  Goodbye: 13,
  /** A desync was found (5.9). */
  Desync: 14,
  /** A transport's signal to the client (5.10). */
  SignalToClient: 15,
  /** The player's inputs count from a tick on (5.12). */
  Seated: 16,
  /** Confirmed frames of the catch-up (5.13). */
  CatchUp: 17,
  /** The catch-up is over (5.14). */
  CaughtUp: 18,
  /** Asks a client for a SnapshotOffer (5.16). */
  SnapshotRequest: 19,
  // UDP, client to server
  /** A client's inputs (6.1). */
  Inputs: 20,
  // UDP, server to client
  /** Confirmed frames (6.2). */
  Frames: 21,
  /** The application's bytes for one player (`server.sendWorldState`) (6.3). */
  WorldState: 22,
  // TCP, server to client (after the UDP ones: added in version 3)
  /** A spectator's join is accepted (5.17). */
  WatchAccepted: 23,
  // Rooms (issue 14): still version 3, every room field is optional.
  /** TCP, client to server: which rooms are open (5.18). */
  ListRooms: 24,
  /** TCP, server to client: the answer to ListRooms (5.18). */
  RoomList: 25,
  /** TCP, server to client: the room is held by another process; join there (5.19). */
  Redirect: 26,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Why a server says goodbye to a client: a leave reason, `server-closing`, or
 * `ready-timeout` (it held its seat `readyTimeoutMs` without saying Ready), or `room-closed`
 * (its room ended: closed by the application, or empty too long).
 */
export type GoodbyeReason = LeaveReason | 'server-closing' | 'ready-timeout' | 'room-closed';

/**
 * Which room a join asks for: one by its id, or any open room of a mode with `size` slots
 * (join-or-create: one is made when none has a free seat).
 */
export type RoomAsk = RoomById | RoomByMode;

/** A room asked for by its id. */
export interface RoomById {
  /** The room's id. */
  readonly roomId: string;
}

/** Join-or-create: any open room of a mode and size with a free seat, or a new one. */
export interface RoomByMode {
  /** The mode of the room to join or create. */
  readonly mode: string;
  /** Its player slots. */
  readonly size: number;
}

/** TCP, client to server: the first message on a connection. */
export interface JoinRequest {
  readonly type: typeof MessageType.Join;
  readonly protocolVersion: number;
  readonly username: string;
  readonly password: string;
  /** The room it asks for; none: the server's default room. */
  readonly room?: RoomAsk;
  /** A seat held for it by the Redirect that sent it here (16 bytes), with a room id. */
  readonly reservation?: Uint8Array;
}

/**
 * TCP, server to client: the room asked for is held by another server process; the client
 * joins it there (a Join with `room: { roomId }` and `reservation`). The connection closes.
 */
export interface Redirect {
  readonly type: typeof MessageType.Redirect;
  /** The owning process's host. */
  readonly host: string;
  /** Its reliable-channel port. */
  readonly port: number;
  /** Its web port, if it has one. */
  readonly webPort?: number;
  /** The room. */
  readonly roomId: string;
  /** A seat held there for this player for a few seconds (16 bytes), if one was. */
  readonly reservation?: Uint8Array;
}

/** TCP, client to server: which rooms are open (of `mode`, if given); answered with RoomList. */
export interface ListRoomsRequest {
  readonly type: typeof MessageType.ListRooms;
  readonly mode?: string;
}

/** A room as RoomList shows it. */
export interface RoomSummary {
  /** The room's id (what `connect({ room })` takes). */
  readonly roomId: string;
  /** Its mode. */
  readonly mode: string;
  /** Seats taken (players in it, and joins under way). */
  readonly players: number;
  /** Its player slots. */
  readonly maxPlayers: number;
  /** The application's data about it. */
  readonly metadata: Readonly<Record<string, string | number | boolean>>;
}

/** TCP, server to client: the rooms open now (at most `Limits.maxListedRooms`), oldest first. */
export interface RoomList {
  readonly type: typeof MessageType.RoomList;
  readonly rooms: readonly RoomSummary[];
}

/**
 * TCP, client to server: the first message on a connection of a spectator, instead of Join:
 * it watches the match (every frame from its first tick), with no slot and no input.
 */
export interface WatchRequest {
  readonly type: typeof MessageType.Watch;
  readonly protocolVersion: number;
  readonly username: string;
  readonly password: string;
  /** The room it asks to watch; none: the server's default room. */
  readonly room?: RoomAsk;
  /** As Join's (a spectator redirected to the room's process). */
  readonly reservation?: Uint8Array;
}

/**
 * TCP, server to client: a spectator is admitted. The frames follow from `firstTick`, all
 * over the reliable channel: CatchUp messages, one CaughtUp, then CatchUp messages again
 * for the live frames, `delayTicks` ticks after they are confirmed.
 */
export interface WatchAccepted {
  readonly type: typeof MessageType.WatchAccepted;
  readonly tickRate: number;
  readonly inputSize: number;
  readonly maxPlayers: number;
  /** The first frame this spectator gets. */
  readonly firstTick: number;
  /** The players in the match just before `firstTick`. */
  readonly players: readonly PlayerInfo[];
  /** The world before frame `firstTick`, when the frames before it are not kept. */
  readonly snapshot?: Uint8Array;
  /** How many ticks after its confirmation a frame reaches a spectator. */
  readonly delayTicks: number;
  /** The room it watches (sent when the request asked for a room). */
  readonly roomId?: string;
}

/** TCP, client to server: a chat line. */
export interface ChatSend {
  readonly type: typeof MessageType.Chat;
  readonly text: string;
}

/** TCP, client to server: the client is leaving. */
export interface LeaveNotice {
  readonly type: typeof MessageType.Leave;
}

/** TCP, client to server: this client's state snapshot for a tick, sent after a desync. */
export interface SnapshotReport {
  readonly type: typeof MessageType.Snapshot;
  readonly tick: number;
  readonly data: Uint8Array;
}

/** TCP, server to client: players reported different state checksums for one tick. */
export interface DesyncNotice {
  readonly type: typeof MessageType.Desync;
  readonly tick: number;
  readonly checksums: readonly { readonly playerId: number; readonly checksum: number }[];
}

/** A client's checksum of its simulation state after a tick (an unsigned 32-bit integer). */
export interface ChecksumReport {
  readonly tick: number;
  readonly checksum: number;
}

/** TCP, client to server: this player is ready (loaded): its join may take effect. */
export interface ReadyNotice {
  readonly type: typeof MessageType.Ready;
}

/**
 * TCP, client to server: the first message on a new connection of a player coming back to
 * its seat, instead of Join.
 */
export interface ReconnectRequest {
  readonly type: typeof MessageType.Reconnect;
  readonly protocolVersion: number;
  /** The reconnect token of the last JoinAccepted (16 bytes). */
  readonly token: Uint8Array;
  /** The last tick up to which the client has every frame, or -1. */
  readonly lastTick: number;
  /** The room of the seat (from JoinAccepted); none: the default room. */
  readonly roomId?: string;
}

/** TCP, client to server: the world before frame `tick`, as asked by SnapshotRequest. */
export interface SnapshotOffer {
  readonly type: typeof MessageType.SnapshotOffer;
  readonly tick: number;
  readonly data: Uint8Array;
}

/**
 * TCP, server to client: the seat is held (after Join or Reconnect). The frames follow, from
 * `firstTick`: CatchUp messages, CaughtUp, then Frames datagrams.
 */
export interface JoinAccepted {
  readonly type: typeof MessageType.JoinAccepted;
  readonly playerId: number;
  readonly tickRate: number;
  readonly inputSize: number;
  readonly maxPlayers: number;
  /** 16 random bytes: what a Reconnect to this seat must show; single use. */
  readonly reconnectToken: Uint8Array;
  /** The first frame this client gets. */
  readonly firstTick: number;
  /** The players in the match just before `firstTick`. */
  readonly players: readonly PlayerInfo[];
  /** The world before frame `firstTick`, when the frames before it are not kept (0..60000 bytes). */
  readonly snapshot?: Uint8Array;
  /** The room joined (sent when the request asked for a room). */
  readonly roomId?: string;
}

/** TCP, server to client: this player's inputs count from `tick` on (its join, or its return). */
export interface Seated {
  readonly type: typeof MessageType.Seated;
  readonly tick: number;
}

/** TCP, server to client: consecutive confirmed frames of the catch-up, oldest first. */
export interface CatchUpFrames {
  readonly type: typeof MessageType.CatchUp;
  readonly frames: readonly ConfirmedFrame[];
}

/** TCP, server to client: the catch-up is over; the frames from `tick` on come as datagrams. */
export interface CaughtUp {
  readonly type: typeof MessageType.CaughtUp;
  readonly tick: number;
}

/** TCP, server to client: send a SnapshotOffer of the world before frame `tick`. */
export interface SnapshotRequest {
  readonly type: typeof MessageType.SnapshotRequest;
  readonly tick: number;
}

/** TCP, server to client: the join is refused; the server closes the connection. */
export interface JoinRefused {
  readonly type: typeof MessageType.JoinRefused;
  readonly reason: RefuseReason;
}

/** TCP, server to client: a chat line from a player (or the server). */
export interface ChatBroadcast {
  readonly type: typeof MessageType.ChatBroadcast;
  readonly from: string;
  readonly text: string;
}

/** TCP, server to client: the server ends this client's session. */
export interface Goodbye {
  readonly type: typeof MessageType.Goodbye;
  readonly reason: GoodbyeReason;
  readonly message: string;
}

/**
 * TCP, client to server: setup bytes of the client's transport for its other half on the
 * server (1 .. `Limits.maxSignalBytes`), relayed opaque: see `TransportPeer.signal`.
 */
export interface SignalToServer {
  readonly type: typeof MessageType.SignalToServer;
  readonly data: Uint8Array;
}

/**
 * TCP, server to client: setup bytes of the server's transport for its other half on the
 * client (1 .. `Limits.maxSignalBytes`), relayed opaque: see `TransportPeer.signal`.
 */
export interface SignalToClient {
  readonly type: typeof MessageType.SignalToClient;
  readonly data: Uint8Array;
}

/** UDP, client to server: every input not yet acknowledged, and the frames acknowledgement. */
export interface InputsPacket {
  readonly type: typeof MessageType.Inputs;
  /** Packet sequence number, modulo 2^7 (0..127: one byte). */
  readonly seq: number;
  /**
   * The client's clock in milliseconds, modulo 2^16, echoed back for the round-trip time.
   * Sent now and then (every fourth packet), not in every one.
   */
  readonly sentAt?: number;
  /** The last tick up to which the client has every frame, or -1 (sent as `firstTick - frameAck`). */
  readonly frameAck: number;
  /** Fraction of the server's packets this client lost lately, scaled to 0..255. */
  readonly rxLoss: number;
  /** Tick of inputs[0]. */
  readonly firstTick: number;
  readonly inputs: readonly Uint8Array[];
  /** Checksum reports the server has not acknowledged, oldest first (at most 16). */
  readonly checksums: readonly ChecksumReport[];
  /**
   * The client's view of the link, for the server's statistics: smoothed round-trip time
   * and its deviation, in whole ms (rounded up). Sent now and then, not in every packet.
   */
  readonly linkReport?: { readonly rttMs: number; readonly jitterMs: number };
}

/** UDP, server to client: every frame the client has not acknowledged, and the inputs ack. */
export interface FramesPacket {
  readonly type: typeof MessageType.Frames;
  /** Packet sequence number, modulo 2^7 (0..127: one byte). */
  readonly seq: number;
  /** The latest `sentAt` received from this client, modulo 2^16. */
  readonly echoSentAt: number;
  /** Milliseconds between receiving that packet and sending this one (0..65535). */
  readonly echoDelayMs: number;
  /** The last tick up to which the server has every input of this client, or -1. */
  readonly inputAck: number;
  /** Fraction of this client's packets the server lost lately, scaled to 0..255. */
  readonly rxLoss: number;
  /** The highest tick of a checksum report received from this client, or -1. */
  readonly checksumAck: number;
  /** Consecutive frames, oldest first (may be empty). */
  readonly frames: readonly ConfirmedFrame[];
  /**
   * How far ahead (positive) or behind (negative) of the slowest other player this client's
   * inputs arrive lately, in eighths of a tick (-32768..32767); absent when the server has no
   * measure (no other player). The client paces its ticks by it (`ticks$`).
   */
  readonly inputLead?: number;
}

/** UDP, server to client: opaque world-state bytes; a newer seq replaces an older one. */
export interface WorldStatePacket {
  readonly type: typeof MessageType.WorldState;
  readonly seq: number;
  readonly data: Uint8Array;
}

export type ClientTcpMessage =
  | JoinRequest
  | ChatSend
  | LeaveNotice
  | SnapshotReport
  | SignalToServer
  | ReadyNotice
  | ReconnectRequest
  | SnapshotOffer
  | WatchRequest
  | ListRoomsRequest;
export type ServerTcpMessage =
  | JoinAccepted
  | JoinRefused
  | ChatBroadcast
  | Goodbye
  | DesyncNotice
  | SignalToClient
  | Seated
  | CatchUpFrames
  | CaughtUp
  | SnapshotRequest
  | WatchAccepted
  | RoomList
  | Redirect;
export type ClientUdpMessage = InputsPacket;
export type ServerUdpMessage = FramesPacket | WorldStatePacket;
export type Message = ClientTcpMessage | ServerTcpMessage | ClientUdpMessage | ServerUdpMessage;

/** What the bit fields of a match need to be read: fixed at the join. */
export interface CodecContext {
  readonly inputSize: number;
  readonly maxPlayers: number;
}
