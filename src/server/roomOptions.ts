// The options of rooms: one room's rules, the server's `rooms` option, and the check of both.
import { isValidRoomId, metadataProblem } from '../protocol/roomFields.js';
import { Limits } from '../protocol/index.js';
import type { RoomDirectory, RoomMetadata } from '../rooms/RoomDirectory.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';

/** The options of `ServerOptions` that are a room's own rules (the server's are their defaults). */
export type RoomRuleOptions = Pick<
  ServerOptions,
  | 'tickRate'
  | 'inputSize'
  | 'maxPlayers'
  | 'disconnectTimeoutMs'
  | 'chatBudget'
  | 'stallShareWindowMs'
  | 'maxStallShare'
  | 'maxTicksAhead'
  | 'maxUnackedFrames'
  | 'datagramBytes'
  | 'conditioner'
  | 'statsIntervalMs'
  | 'recordReplays'
  | 'readyTimeoutMs'
  | 'reconnectGraceMs'
  | 'substituteInput'
  | 'lateInputMs'
  | 'frameLogBytes'
  | 'provideSnapshot'
  | 'maxSpectators'
  | 'spectatorDelayTicks'
  | 'spectatorChat'
  | 'spectatorMaxLagMs'
>;

/** Options of `server.createRoom` (and what `onCreateRoom` returns): a room's rules and identity. */
export interface RoomOptions extends RoomRuleOptions {
  /** Its id (letters, digits, `-`, `_`, `.`, `:`; at most 64). Default: a random one. */
  id?: string;
  /** Its mode (as an id, at most 32 characters). Default `'default'`. */
  mode?: string;
  /** The application's data shown with it in `listRooms`. Default `{}`. */
  metadata?: RoomMetadata;
  /** The room ends once nobody has been in it this long (ms); `Infinity`: never. Default `Infinity`. */
  emptyTimeoutMs?: number;
}

/** What `onCreateRoom` is told: a join-or-create found no open room and would make one. */
export interface CreateRoomAsk {
  /** The mode asked for. */
  readonly mode: string;
  /** The slots asked for. */
  readonly size: number;
  /** Who asks. */
  readonly username: string;
  /** Where from, as the transport names it. */
  readonly address: string;
}

/** The `rooms` option of `createServer`: many matches in one process, and how players find them. */
export interface RoomsOptions {
  /** Where rooms are listed. Default: an in-process directory (`localDirectory()`). */
  directory?: RoomDirectory;
  /** This process's id in the directory. Default: a random one. */
  processId?: string;
  /**
   * Decides whether a join-or-create may make a room, and its rules: `false` refuses the
   * join (`room-refused`); options (their `mode` and `maxPlayers` are the ones asked for).
   * Default: a room of the server's rules with the mode and size asked for.
   */
  onCreateRoom?: (
    ask: CreateRoomAsk,
  ) => RoomOptions | false | undefined | Promise<RoomOptions | false | undefined>;
  /** Rooms this process holds at most; past it join-or-create refuses (`room-refused`). Default `1000`. */
  maxRooms?: number;
  /** Rooms made by join-or-create for one address that are live at once, at most. Default `8`. */
  maxRoomsPerAddress?: number;
  /** A room made by join-or-create ends once empty this long (ms). Default `30000`. */
  emptyTimeoutMs?: number;
}

/** The `rooms` option with its defaults. */
export interface ResolvedRoomsOptions {
  readonly directory: RoomDirectory | undefined;
  readonly processId: string | undefined;
  readonly onCreateRoom: RoomsOptions['onCreateRoom'];
  readonly maxRooms: number;
  readonly maxRoomsPerAddress: number;
  readonly emptyTimeoutMs: number;
}

/**
 * The `rooms` option checked, with defaults.
 * @throws {RangeError} naming the option.
 */
export function resolveRoomsOptions(rooms: RoomsOptions): ResolvedRoomsOptions {
  if (rooms.processId !== undefined && !isValidRoomId(rooms.processId))
    throw new RangeError('rooms.processId must be 1..64 letters, digits, - _ . :');
  return {
    directory: rooms.directory,
    processId: rooms.processId,
    onCreateRoom: rooms.onCreateRoom,
    maxRooms: count('rooms.maxRooms', rooms.maxRooms ?? 1000),
    maxRoomsPerAddress: count('rooms.maxRoomsPerAddress', rooms.maxRoomsPerAddress ?? 8),
    emptyTimeoutMs: wait('rooms.emptyTimeoutMs', rooms.emptyTimeoutMs ?? 30_000),
  };
}

/** A room's options checked: its identity, and its rules over the server's. */
export interface ResolvedRoom {
  readonly id: string | undefined;
  readonly mode: string;
  readonly metadata: RoomMetadata;
  readonly emptyTimeoutMs: number;
  readonly rules: ResolvedServerOptions;
}

/**
 * A room's options over the server's: every rule checked as `createServer` checks it (a
 * room whose frames cannot fit a datagram is refused).
 * @throws {RangeError} naming the option.
 */
export function resolveRoomOptions(server: ServerOptions, room: RoomOptions): ResolvedRoom {
  const { id, mode = 'default', metadata = {}, emptyTimeoutMs = Infinity, ...rules } = room;
  if (id !== undefined && !isValidRoomId(id))
    throw new RangeError(`room id must be 1..${Limits.roomIdLength} letters, digits, - _ . :`);
  if (!isValidRoomId(mode, Limits.roomModeLength))
    throw new RangeError(`mode must be 1..${Limits.roomModeLength} letters, digits, - _ . :`);
  checkMetadata(metadata);
  return {
    id,
    mode,
    metadata: { ...metadata },
    emptyTimeoutMs: wait('emptyTimeoutMs', emptyTimeoutMs),
    rules: resolveServerOptions({ ...server, ...rules }),
  };
}

/** @throws {RangeError} when `metadata` is not valid room metadata. */
export function checkMetadata(metadata: RoomMetadata): void {
  const problem = metadataProblem(metadata);
  if (problem !== undefined) throw new RangeError(problem);
}

function count(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 1))
    throw new RangeError(`${name} must be an integer >= 1`);
  return value;
}

function wait(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be > 0 (Infinity: never)`);
  return value;
}
