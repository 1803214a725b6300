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
];

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
      return withHeader([msg.type, msg.protocolVersion, msg.username, msg.password]);
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
      return withHeader([msg.type, msg.protocolVersion, msg.token, msg.lastTick]);
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
      arity(b, 4, b[0] === MessageType.Join ? 'Join' : 'Watch');
      return {
        type: b[0],
        protocolVersion: uint(b[1], 255, 'protocolVersion'),
        username: username(b[2], 'username'),
        password: str(b[3], Limits.passwordLength, 'password'),
      };
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
      arity(b, 4, 'Reconnect');
      return {
        type: MessageType.Reconnect,
        protocolVersion: uint(b[1], 255, 'protocolVersion'),
        token: token(b[2]),
        lastTick: ackTick(b[3], 'lastTick'),
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
      arity(b, 9, 'JoinAccepted');
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
      };
    }
    case MessageType.WatchAccepted: {
      arity(b, 8, 'WatchAccepted');
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
