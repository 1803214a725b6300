// The Header chunk's payload: protocol version, tickRate, inputSize, maxPlayers, start tick, players, metadata.
import { Limits } from '../protocol/index.js';
import type { PlayerInfo } from '../types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { REPLAY_FORMAT_VERSION, ReplayLimits } from './format.js';
import type { ReplayHeader } from './types.js';

/**
 * `protocolVersion u16, tickRate u16, inputSize u8, maxPlayers u16, startTick u32,
 * playerCount u16, playerCount x (playerId u8, name), metadataLength u32, metadata`.
 */
export function encodeHeader(header: Omit<ReplayHeader, 'formatVersion'>): Uint8Array {
  checkHeader(header);
  const w = new ByteWriter(32 + header.metadata.length);
  w.u16(header.protocolVersion);
  w.u16(header.tickRate);
  w.u8(header.inputSize);
  w.u16(header.maxPlayers);
  w.u32(header.startTick);
  w.u16(header.players.length);
  for (const p of header.players) {
    w.u8(p.playerId);
    w.name(p.username);
  }
  w.u32(header.metadata.length);
  w.bytes(header.metadata);
  return w.toBytes();
}

/** @throws {RangeError} for a value the format cannot hold. */
function checkHeader(h: Omit<ReplayHeader, 'formatVersion'>): void {
  const int = (name: string, v: number, min: number, max: number): void => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new RangeError(`replay ${name} must be an integer in ${min}..${max}, got ${v}`);
  };
  int('protocolVersion', h.protocolVersion, 0, 0xffff);
  int('tickRate', h.tickRate, 1, 1000);
  int('inputSize', h.inputSize, 1, Limits.maxInputSize);
  int('maxPlayers', h.maxPlayers, 1, Limits.maxPlayers);
  int('startTick', h.startTick, 0, Limits.maxTick);
  if (h.players.length > h.maxPlayers) throw new RangeError('more players than maxPlayers');
  for (const p of h.players) int('playerId', p.playerId, 0, h.maxPlayers - 1);
  if (h.metadata.length > ReplayLimits.maxMetadataBytes)
    throw new RangeError(`replay metadata is over ${ReplayLimits.maxMetadataBytes} bytes`);
}

/** Reads and checks a Header payload. Throws ReplayError. */
export function decodeHeader(r: ByteReader): ReplayHeader {
  let at = r.offset;
  const protocolVersion = r.u16('protocolVersion');
  at = r.offset;
  const tickRate = r.ranged(r.u16('tickRate'), 1, 1000, 'tickRate', at);
  at = r.offset;
  const inputSize = r.ranged(r.u8('inputSize'), 1, Limits.maxInputSize, 'inputSize', at);
  at = r.offset;
  const maxPlayers = r.ranged(r.u16('maxPlayers'), 1, Limits.maxPlayers, 'maxPlayers', at);
  const startTick = r.u32('startTick');
  at = r.offset;
  const count = r.ranged(r.u16('playerCount'), 0, maxPlayers, 'playerCount', at);
  const players: PlayerInfo[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    at = r.offset;
    const playerId = r.ranged(r.u8('playerId'), 0, maxPlayers - 1, 'playerId', at);
    if (seen.has(playerId)) r.fail(`player ${playerId} named twice`, 'bad-field', at);
    seen.add(playerId);
    players.push({ playerId, username: r.name(ReplayLimits.maxNameBytes, 'player name') });
  }
  at = r.offset;
  const metaLength = r.ranged(
    r.u32('metadataLength'),
    0,
    ReplayLimits.maxMetadataBytes,
    'metadataLength',
    at,
  );
  const metadata = r.bytesOf(metaLength, 'metadata').slice();
  r.expectEnd('the Header chunk');
  return {
    formatVersion: REPLAY_FORMAT_VERSION,
    protocolVersion,
    tickRate,
    inputSize,
    maxPlayers,
    startTick,
    players,
    metadata,
  };
}
