// The messages without bit fields (every TCP message, and world state), and the datagram decoders' entry.
import { RefuseReason } from '../errors.js';
import { LEAVE_REASONS, type PlayerInfo } from '../types.js';
import { decodeEnvelope, unknownType, withHeader, checkContext } from './envelope.js';
import {
  ackTick,
  arity,
  bin,
  fail,
  oneOf,
  positive,
  signal,
  str,
  uint,
  username,
} from './fields.js';
import { decodeCatchUp, decodeFrames } from './framesCodec.js';
import {
  decodeRoomAsk,
  decodeRoomList,
  encodeRoomAsk,
  encodeRoomList,
  roomId,
  roomMode,
} from './roomFields.js';
import {
  Limits,
  MessageType,
  type CatchUpFrames,
  type ChatBroadcast,
  type ClientTcpMessage,
  type CodecContext,
  type FramesPacket,
  type GoodbyeReason,
  type InputsPacket,
  type Message,
  type ServerTcpMessage,
  type ServerUdpMessage,
} from './messages.js';

const REFUSE_REASONS = Object.values(RefuseReason);
const GOODBYE_REASONS: readonly GoodbyeReason[] = [
  ...LEAVE_REASONS,
  'server-closing',
  'ready-timeout',
  'room-closed',
];

/** A message with optional trailing fields: from `required` to `max` of them (older senders stop early). */
function optionalArity(body: unknown[], required: number, max: number, name: string): void {
  if (body.length < required || body.length > max)
    fail(`${name} must have ${required} to ${max} fields, has ${body.length}`);
}

/** A seat reservation of a Redirect: as a reconnect token, 16 bytes. */
function reservation(v: unknown): Uint8Array {
  const data = bin(v, Limits.reconnectTokenBytes, 'reservation');
  if (data.length !== Limits.reconnectTokenBytes)
    fail(`reservation must be ${Limits.reconnectTokenBytes} bytes`);
  return data;
}

/** A Join's reservation: only with a room id (a Redirect sends it to one room). */
function reservationFor(room: unknown, v: unknown): Uint8Array {
  if (typeof room !== 'string') fail('a reservation comes only with a room id');
  return reservation(v);
}

/** A reconnect token: exactly `Limits.reconnectTokenBytes` bytes. */
function token(v: unknown): Uint8Array {
  const data = bin(v, Limits.reconnectTokenBytes, 'token');
  if (data.length !== Limits.reconnectTokenBytes)
    fail(`token must be ${Limits.reconnectTokenBytes} bytes`);
  return data;
}

/**
 * Encodes a message that has no bit fields (every TCP message, and world state).
 * Throws `RangeError` for a message that breaks a limit: that is a bug in the caller.
 */
export function encodeMessage(
  msg: Exclude<Message, InputsPacket | FramesPacket | CatchUpFrames>,
): Uint8Array {
  switch (msg.type) {
    case MessageType.Join:
    case MessageType.Watch:
      return withHeader([
        msg.type,
        msg.protocolVersion,
        msg.username,
        msg.password,
        ...(msg.room ? [encodeRoomAsk(msg.room)] : []),
        ...(msg.room && msg.reservation ? [msg.reservation] : []),
      ]);
    case MessageType.Redirect:
      return withHeader([
        msg.type,
        msg.host,
        msg.port,
        msg.webPort ?? null,
        msg.roomId,
        msg.reservation ?? null,
      ]);
    case MessageType.ListRooms:
      return withHeader([msg.type, msg.mode ?? null]);
    case MessageType.RoomList:
      return withHeader([msg.type, encodeRoomList(msg.rooms)]);
    case MessageType.Chat:
      return withHeader([msg.type, msg.text]);
    case MessageType.Leave:
      return withHeader([msg.type]);
    case MessageType.Snapshot:
      if (msg.data.length > Limits.maxSnapshotBytes)
        throw new RangeError(`snapshot over ${Limits.maxSnapshotBytes} bytes`);
      return withHeader([msg.type, msg.tick, msg.data]);
    case MessageType.SignalToServer:
    case MessageType.SignalToClient:
      if (msg.data.length < 1 || msg.data.length > Limits.maxSignalBytes)
        throw new RangeError(`signal must be 1..${Limits.maxSignalBytes} bytes`);
      return withHeader([msg.type, msg.data]);
    case MessageType.Desync:
      return withHeader([msg.type, msg.tick, msg.checksums.map((c) => [c.playerId, c.checksum])]);
    case MessageType.Ready:
      return withHeader([msg.type]);
    case MessageType.Reconnect:
      if (msg.token.length !== Limits.reconnectTokenBytes)
        throw new RangeError(`a reconnect token is ${Limits.reconnectTokenBytes} bytes`);
      return withHeader([
        msg.type,
        msg.protocolVersion,
        msg.token,
        msg.lastTick,
        ...(msg.roomId === undefined ? [] : [msg.roomId]),
      ]);
    case MessageType.SnapshotOffer:
      if (msg.data.length > Limits.maxSnapshotBytes)
        throw new RangeError(`snapshot over ${Limits.maxSnapshotBytes} bytes`);
      return withHeader([msg.type, msg.tick, msg.data]);
    case MessageType.Seated:
    case MessageType.CaughtUp:
    case MessageType.SnapshotRequest:
      return withHeader([msg.type, msg.tick]);
    case MessageType.JoinAccepted:
      if (msg.reconnectToken.length !== Limits.reconnectTokenBytes)
        throw new RangeError(`a reconnect token is ${Limits.reconnectTokenBytes} bytes`);
      if (msg.snapshot && msg.snapshot.length > Limits.maxSnapshotBytes)
        throw new RangeError(`snapshot over ${Limits.maxSnapshotBytes} bytes`);
      return withHeader([
        msg.type,
        msg.playerId,
        msg.tickRate,
        msg.inputSize,
        msg.maxPlayers,
        msg.reconnectToken,
        msg.firstTick,
        msg.players.map((p) => [p.playerId, p.username]),
        msg.snapshot ?? null,
        ...(msg.roomId === undefined ? [] : [msg.roomId]),
      ]);
    case MessageType.WatchAccepted:
      if (msg.snapshot && msg.snapshot.length > Limits.maxSnapshotBytes)
        throw new RangeError(`snapshot over ${Limits.maxSnapshotBytes} bytes`);
      return withHeader([
        msg.type,
        msg.tickRate,
        msg.inputSize,
        msg.maxPlayers,
        msg.firstTick,
        msg.players.map((p) => [p.playerId, p.username]),
        msg.snapshot ?? null,
        msg.delayTicks,
        ...(msg.roomId === undefined ? [] : [msg.roomId]),
      ]);
    case MessageType.JoinRefused:
      return withHeader([msg.type, msg.reason]);
    case MessageType.ChatBroadcast:
      return withHeader([msg.type, msg.from, msg.text]);
    case MessageType.Goodbye:
      return withHeader([msg.type, msg.reason, msg.message]);
    case MessageType.WorldState:
      if (msg.data.length > Limits.maxWorldStateBytes)
        throw new RangeError(`world state over ${Limits.maxWorldStateBytes} bytes`);
      return withHeader([msg.type, msg.seq, msg.data]);
  }
}

/** Decodes a TCP message from a client (server side). Throws `DecodeError`. */
export function decodeClientTcp(bytes: Uint8Array): ClientTcpMessage {
  const b = decodeEnvelope(bytes, Limits.tcpMessageBytes);
  switch (b[0]) {
    case MessageType.Join:
    case MessageType.Watch:
      optionalArity(b, 4, 6, b[0] === MessageType.Join ? 'Join' : 'Watch');
      return {
        type: b[0],
        protocolVersion: uint(b[1], 255, 'protocolVersion'),
        username: username(b[2], 'username'),
        password: str(b[3], Limits.passwordLength, 'password'),
        ...(b.length >= 5 ? { room: decodeRoomAsk(b[4]) } : {}),
        ...(b.length === 6 ? { reservation: reservationFor(b[4], b[5]) } : {}),
      };
    case MessageType.ListRooms:
      arity(b, 2, 'ListRooms');
      return { type: MessageType.ListRooms, ...(b[1] === null ? {} : { mode: roomMode(b[1]) }) };
    case MessageType.Chat:
      arity(b, 2, 'Chat');
      return { type: MessageType.Chat, text: str(b[1], Limits.chatLength, 'text') };
    case MessageType.Leave:
      arity(b, 1, 'Leave');
      return { type: MessageType.Leave };
    case MessageType.Snapshot:
      arity(b, 3, 'Snapshot');
      return {
        type: MessageType.Snapshot,
        tick: uint(b[1], Limits.maxTick, 'tick'),
        data: bin(b[2], Limits.maxSnapshotBytes, 'data'),
      };
    case MessageType.SignalToServer:
      arity(b, 2, 'SignalToServer');
      return { type: MessageType.SignalToServer, data: signal(b[1]) };
    case MessageType.Ready:
      arity(b, 1, 'Ready');
      return { type: MessageType.Ready };
    case MessageType.Reconnect:
      optionalArity(b, 4, 5, 'Reconnect');
      return {
        type: MessageType.Reconnect,
        protocolVersion: uint(b[1], 255, 'protocolVersion'),
        token: token(b[2]),
        lastTick: ackTick(b[3], 'lastTick'),
        ...(b.length === 5 ? { roomId: roomId(b[4]) } : {}),
      };
    case MessageType.SnapshotOffer:
      arity(b, 3, 'SnapshotOffer');
      return {
        type: MessageType.SnapshotOffer,
        tick: uint(b[1], Limits.maxTick, 'tick'),
        data: bin(b[2], Limits.maxSnapshotBytes, 'data'),
      };
    default:
      return unknownType(b[0]);
  }
}

/**
 * Decodes a TCP message from the server (client side). Throws `DecodeError`. A CatchUp
 * message needs the match's `ctx` (from JoinAccepted): without it, it is a DecodeError.
 */
export function decodeServerTcp(bytes: Uint8Array, ctx?: CodecContext): ServerTcpMessage {
  const b = decodeEnvelope(bytes, Limits.tcpMessageBytes);
  switch (b[0]) {
    case MessageType.Seated:
    case MessageType.CaughtUp:
    case MessageType.SnapshotRequest:
      arity(b, 2, 'Seated, CaughtUp or SnapshotRequest');
      return { type: b[0], tick: uint(b[1], Limits.maxTick, 'tick') };
    case MessageType.CatchUp:
      if (!ctx) return unknownType(b[0]); // not before JoinAccepted
      checkContext(ctx);
      return { type: MessageType.CatchUp, frames: decodeCatchUp(b, ctx) };
    case MessageType.JoinAccepted: {
      optionalArity(b, 9, 10, 'JoinAccepted');
      const { tickRate, inputSize, maxPlayers } = matchShape(b[2], b[3], b[4]);
      return {
        type: MessageType.JoinAccepted,
        playerId: uint(b[1], maxPlayers - 1, 'playerId'),
        tickRate,
        inputSize,
        maxPlayers,
        reconnectToken: token(b[5]),
        firstTick: uint(b[6], Limits.maxTick, 'firstTick'),
        players: playerList(b[7], maxPlayers),
        ...(b[8] === null ? {} : { snapshot: bin(b[8], Limits.maxSnapshotBytes, 'snapshot') }),
        ...(b.length === 10 ? { roomId: roomId(b[9]) } : {}),
      };
    }
    case MessageType.RoomList:
      arity(b, 2, 'RoomList');
      return { type: MessageType.RoomList, rooms: decodeRoomList(b[1]) };
    case MessageType.Redirect:
      arity(b, 6, 'Redirect');
      return {
        type: MessageType.Redirect,
        host: str(b[1], Limits.hostLength, 'host', false),
        port: positive(uint(b[2], 65535, 'port'), 'port'),
        ...(b[3] === null ? {} : { webPort: positive(uint(b[3], 65535, 'webPort'), 'webPort') }),
        roomId: roomId(b[4]),
        ...(b[5] === null ? {} : { reservation: reservation(b[5]) }),
      };
    case MessageType.WatchAccepted: {
      optionalArity(b, 8, 9, 'WatchAccepted');
      const { tickRate, inputSize, maxPlayers } = matchShape(b[1], b[2], b[3]);
      return {
        type: MessageType.WatchAccepted,
        tickRate,
        inputSize,
        maxPlayers,
        firstTick: uint(b[4], Limits.maxTick, 'firstTick'),
        players: playerList(b[5], maxPlayers),
        ...(b[6] === null ? {} : { snapshot: bin(b[6], Limits.maxSnapshotBytes, 'snapshot') }),
        delayTicks: uint(b[7], Limits.maxTick, 'delayTicks'),
        ...(b.length === 9 ? { roomId: roomId(b[8]) } : {}),
      };
    }
    case MessageType.JoinRefused:
      arity(b, 2, 'JoinRefused');
      return { type: MessageType.JoinRefused, reason: oneOf(b[1], REFUSE_REASONS, 'reason') };
    case MessageType.ChatBroadcast: {
      arity(b, 3, 'ChatBroadcast');
      const msg: ChatBroadcast = {
        type: MessageType.ChatBroadcast,
        from: str(b[1], Limits.usernameLength, 'from'),
        text: str(b[2], Limits.chatLength, 'text'),
      };
      return msg;
    }
    case MessageType.Desync: {
      arity(b, 3, 'Desync');
      const raw = b[2];
      if (!Array.isArray(raw) || raw.length > Limits.maxPlayers) fail('checksums must be an array');
      return {
        type: MessageType.Desync,
        tick: uint(b[1], Limits.maxTick, 'tick'),
        checksums: (raw as unknown[]).map((c) => {
          if (!Array.isArray(c) || c.length !== 2) fail('a checksum must be [playerId, checksum]');
          return {
            playerId: uint(c[0], Limits.maxPlayers - 1, 'playerId'),
            checksum: uint(c[1], 0xffffffff, 'checksum'),
          };
        }),
      };
    }
    case MessageType.Goodbye:
      arity(b, 3, 'Goodbye');
      return {
        type: MessageType.Goodbye,
        reason: oneOf(b[1], GOODBYE_REASONS, 'reason'),
        message: str(b[2], Limits.reasonLength, 'message'),
      };
    case MessageType.SignalToClient:
      arity(b, 2, 'SignalToClient');
      return { type: MessageType.SignalToClient, data: signal(b[1]) };
    default:
      return unknownType(b[0]);
  }
}

/**
 * Decodes a datagram from the server (client side). Throws `DecodeError`.
 * @param fromTick A Frames packet's frames before this tick (held already) are checked but
 * left out (default 0: all of them).
 */
export function decodeServerUdp(
  bytes: Uint8Array,
  ctx: CodecContext,
  fromTick = 0,
): ServerUdpMessage {
  checkContext(ctx);
  const b = decodeEnvelope(bytes, Limits.maxDatagramBytes);
  switch (b[0]) {
    case MessageType.Frames:
      return decodeFrames(b, ctx, fromTick);
    case MessageType.WorldState:
      arity(b, 3, 'WorldState');
      return {
        type: MessageType.WorldState,
        seq: uint(b[1], 0xffffffff, 'seq'),
        data: bin(b[2], Limits.maxWorldStateBytes, 'data'),
      };
    default:
      return unknownType(b[0]);
  }
}

/** The match's tick rate, input size and slots, as JoinAccepted and WatchAccepted carry them. */
function matchShape(
  rate: unknown,
  size: unknown,
  slots: unknown,
): { tickRate: number; inputSize: number; maxPlayers: number } {
  const maxPlayers = uint(slots, Limits.maxPlayers, 'maxPlayers');
  if (maxPlayers < 1) fail('maxPlayers must be at least 1');
  const inputSize = uint(size, Limits.maxInputSize, 'inputSize');
  if (inputSize < 1) fail('inputSize must be at least 1');
  return { tickRate: positive(uint(rate, 1000, 'tickRate'), 'tickRate'), inputSize, maxPlayers };
}

/** The `players` field: at most `maxPlayers` pairs of slot and name. */
function playerList(raw: unknown, maxPlayers: number): PlayerInfo[] {
  if (!Array.isArray(raw) || raw.length > maxPlayers)
    fail('players must be an array of at most maxPlayers');
  return (raw as unknown[]).map((p) => {
    if (!Array.isArray(p) || p.length !== 2) fail('a player must be [id, name]');
    return {
      playerId: uint(p[0], maxPlayers - 1, 'playerId'),
      username: username(p[1], 'username'),
    };
  });
}
