// The room fields of the protocol: room ids, modes, metadata, the room a join asks for, the room list.
import { arity, fail, str, uint } from './fields.js';
import { Limits, type RoomAsk, type RoomSummary } from './messages.js';

const ID_CHARS = /^[A-Za-z0-9_.:-]+$/;

/** Whether `id` is a valid room id (or mode, with `max` = `Limits.roomModeLength`). */
export function isValidRoomId(id: string, max: number = Limits.roomIdLength): boolean {
  return id.length >= 1 && id.length <= max && ID_CHARS.test(id);
}

/** A room id from the network. */
export function roomId(v: unknown, what = 'roomId'): string {
  const id = str(v, Limits.roomIdLength, what, false);
  if (!isValidRoomId(id)) fail(`${what} may hold only letters, digits and - _ . :`);
  return id;
}

/** A room mode from the network. */
export function roomMode(v: unknown): string {
  const mode = str(v, Limits.roomModeLength, 'mode', false);
  if (!isValidRoomId(mode, Limits.roomModeLength))
    fail('mode may hold only letters, digits and - _ . :');
  return mode;
}

/** Why `metadata` is not valid room metadata, or undefined when it is. */
export function metadataProblem(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    return 'metadata must be an object';
  const entries = Object.entries(metadata);
  if (entries.length > Limits.maxMetadataEntries)
    return `metadata has over ${Limits.maxMetadataEntries} entries`;
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > Limits.metadataKeyLength)
      return `metadata names are 1..${Limits.metadataKeyLength} characters`;
    if (typeof v === 'string') {
      if (v.length > Limits.metadataValueLength)
        return `metadata.${k} is over ${Limits.metadataValueLength} characters`;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `metadata.${k} must be a finite number`;
    } else if (typeof v !== 'boolean') return `metadata.${k} must be a string, number or boolean`;
  }
  return undefined;
}

/** Room metadata from the network: `[name, value]` pairs. */
function metadata(v: unknown): Record<string, string | number | boolean> {
  if (!Array.isArray(v) || v.length > Limits.maxMetadataEntries)
    fail(`metadata must be at most ${Limits.maxMetadataEntries} [name, value] pairs`);
  const out: Record<string, string | number | boolean> = Object.create(null) as Record<
    string,
    string | number | boolean
  >;
  for (const pair of v as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) fail('a metadata entry must be [name, value]');
    const name = str(pair[0], Limits.metadataKeyLength, 'metadata name', false);
    if (Object.prototype.hasOwnProperty.call(out, name)) fail(`metadata.${name} given twice`);
    out[name] = pair[1] as string | number | boolean;
  }
  const problem = metadataProblem(out);
  if (problem !== undefined) fail(problem);
  return { ...out };
}

/** The wire form of a room ask: the room id, or `[mode, size]`. */
export function encodeRoomAsk(ask: RoomAsk): string | [string, number] {
  return 'roomId' in ask ? ask.roomId : [ask.mode, ask.size];
}

/** A room ask from the network. */
export function decodeRoomAsk(v: unknown): RoomAsk {
  if (typeof v === 'string') return { roomId: roomId(v) };
  if (!Array.isArray(v)) fail('room must be a room id or [mode, size]');
  arity(v, 2, 'room');
  const size = uint(v[1], Limits.maxPlayers, 'size');
  if (size < 1) fail('size must be at least 1');
  return { mode: roomMode(v[0]), size };
}

/** The wire form of a room list's rooms. */
export function encodeRoomList(rooms: readonly RoomSummary[]): unknown[] {
  if (rooms.length > Limits.maxListedRooms)
    throw new RangeError(`a room list has at most ${Limits.maxListedRooms} rooms`);
  // Metadata as [name, value] pairs: the decoder takes no msgpack maps.
  return rooms.map((r) => [r.roomId, r.mode, r.players, r.maxPlayers, Object.entries(r.metadata)]);
}

/** A room list's rooms from the network. */
export function decodeRoomList(v: unknown): RoomSummary[] {
  if (!Array.isArray(v) || v.length > Limits.maxListedRooms)
    fail(`rooms must be an array of at most ${Limits.maxListedRooms}`);
  return (v as unknown[]).map((r) => {
    if (!Array.isArray(r)) fail('a room must be an array');
    arity(r, 5, 'room');
    const maxPlayers = uint(r[3], Limits.maxPlayers, 'maxPlayers');
    return {
      roomId: roomId(r[0]),
      mode: roomMode(r[1]),
      players: uint(r[2], maxPlayers, 'players'),
      maxPlayers,
      metadata: metadata(r[4]),
    };
  });
}
