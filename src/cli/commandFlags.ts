// The demo, server and bot commands' flags, read from `parseArgs`'s values: each checked and converted into the command's options.
import { Limits, isValidUsername, worstFramePacketBytes } from '../protocol/index.js';
import { isValidRoomId } from '../protocol/roomFields.js';
import {
  type BotCommandOptions,
  DEMO_DEFAULTS,
  type DemoOptions,
  type LinkFlags,
  type ServerClusterFlags,
  type ServerCommandOptions,
  type ServerRoomsFlags,
} from './commandOptions.js';
import { demoCluster, serverCluster } from './clusterArgs.js';
import { parseHostPort, parseInteger, parseNumber } from './parseValue.js';
import { type CommandName, UsageError } from './usageError.js';

/** The flag values of one command line, as `parseArgs` gives them. */
export type Values = Readonly<Record<string, string | undefined>>;

/** The most rooms `game-network server --rooms N` makes at start (the library's default `maxRooms`). */
const MAX_SERVER_ROOMS = 1000;
/** The most rooms `game-network demo --rooms N` plays at once. */
const MAX_DEMO_ROOMS = 64;
/** The most bots of a demo with `--rooms`, in all rooms together (they share one process). */
const MAX_DEMO_BOTS = 256;

/** Reads the flags every command takes: the link conditioner and the seed. */
function linkFlags(command: CommandName, v: Values, defaults: LinkFlags): LinkFlags {
  return {
    loss: v.loss === undefined ? defaults.loss : parseNumber(command, 'loss', v.loss, 0, 1, true),
    jitterMs:
      v.jitter === undefined
        ? defaults.jitterMs
        : parseNumber(command, 'jitter', v.jitter, 0, 10_000),
    delayMs:
      v.delay === undefined ? defaults.delayMs : parseNumber(command, 'delay', v.delay, 0, 10_000),
    seed:
      v.seed === undefined ? defaults.seed : parseInteger(command, 'seed', v.seed, 0, 0xffffffff),
  };
}

const NO_LINK: LinkFlags = { loss: 0, jitterMs: 0, delayMs: 0, seed: 1 };

/** The demo's flags, checked: its options (defaults from `DEMO_DEFAULTS`). */
export function demoOptions(v: Values): DemoOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('demo', flag, text, min, max);
  };
  const d = DEMO_DEFAULTS;
  const ticks = int('ticks', d.ticks, 1, 1_000_000);
  const desyncAt = v['desync-at'];
  const dropout = v.dropout;
  const players = int('players', d.players, 1, 64);
  const cluster = demoCluster(v, players);
  const rooms = v.rooms;
  if (rooms !== undefined && desyncAt !== undefined)
    throw new UsageError('--desync-at is for a single match: not with --rooms', 'demo');
  if (rooms !== undefined && dropout !== undefined)
    throw new UsageError('--dropout is for a single match: not with --rooms', 'demo');
  return {
    ...linkFlags('demo', v, d),
    players,
    ticks,
    tickRate: int('tick-rate', d.tickRate, 1, 1000),
    inputDelay: int('input-delay', d.inputDelay, 0, 128),
    ...(desyncAt === undefined
      ? {}
      : { desyncAt: parseInteger('demo', 'desync-at', desyncAt, 0, ticks - 1) }),
    ...(dropout === undefined
      ? {}
      : { dropoutMs: parseInteger('demo', 'dropout', dropout, 1, 14_000) }),
    ...(cluster !== undefined
      ? cluster
      : rooms === undefined
        ? {}
        : { rooms: demoRooms(rooms, players) }),
  };
}

/** The server's flags, checked: its options (rooms mode and a cluster included). */
export function serverOptions(v: Values): ServerCommandOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('server', flag, text, min, max);
  };
  const host = v.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--host must not be empty', 'server');
  const maxPlayers = int('max-players', 8, 1, Limits.maxPlayers);
  const inputSize = int('input-size', 2, 1, Limits.maxInputSize);
  // The server would refuse this with a RangeError naming its API options: say it in flags.
  const worst = worstFramePacketBytes(maxPlayers, inputSize);
  if (worst > Limits.datagramBytes)
    throw new UsageError(
      `--max-players ${maxPlayers} with --input-size ${inputSize} make frames of up to ${worst} bytes, ` +
        `over the ${Limits.datagramBytes}-byte datagram: lower --max-players or --input-size`,
      'server',
    );
  if (v.password !== undefined && v.password.length > Limits.passwordLength)
    throw new UsageError(
      `--password must be at most ${Limits.passwordLength} characters`,
      'server',
    );
  return {
    ...linkFlags('server', v, NO_LINK),
    host,
    port: int('port', 7777, 0, 65535),
    udpPort: int('udp-port', 0, 0, 65535),
    tickRate: int('tick-rate', 60, 1, 1000),
    maxPlayers,
    inputSize,
    ...(v.password === undefined ? {} : { password: v.password }),
    ...serverRoomsAndCluster(v, host),
  };
}

/** The demo's `--rooms N`: at most {@link MAX_DEMO_BOTS} bots in all. */
function demoRooms(text: string, players: number): number {
  const rooms = parseInteger('demo', 'rooms', text, 1, MAX_DEMO_ROOMS);
  if (rooms * players > MAX_DEMO_BOTS)
    throw new UsageError(
      `--rooms ${rooms} with --players ${players} make ${rooms * players} bots: at most ${MAX_DEMO_BOTS}`,
      'demo',
    );
  return rooms;
}

/** `--rooms [N]`, and `--redis URL` (a cluster), which implies `--rooms`. */
function serverRoomsAndCluster(
  v: Values,
  host: string,
): { rooms?: ServerRoomsFlags; cluster?: ServerClusterFlags } {
  const cluster = serverCluster(v, host);
  if (cluster.cluster === undefined) return serverRooms(v);
  return { ...serverRooms({ ...v, rooms: v.rooms ?? '0' }), ...cluster };
}

/** `--rooms [N]`, and the flags that only go with it (`--mode`, `--empty-timeout`). */
function serverRooms(v: Values): { rooms?: ServerRoomsFlags } {
  if (v.rooms === undefined) {
    for (const flag of ['mode', 'empty-timeout'])
      if (v[flag] !== undefined)
        throw new UsageError(`--${flag} goes with --rooms (rooms mode)`, 'server');
    return {};
  }
  return {
    rooms: {
      create: parseInteger('server', 'rooms', v.rooms, 0, MAX_SERVER_ROOMS),
      mode:
        v.mode === undefined
          ? 'default'
          : roomIdFlag('server', 'mode', v.mode, Limits.roomModeLength),
      emptyTimeoutMs:
        v['empty-timeout'] === undefined
          ? 30_000
          : parseInteger('server', 'empty-timeout', v['empty-timeout'], 1, 86_400_000),
    },
  };
}

/** A room id or mode flag: letters, digits, `-`, `_`, `.`, `:`, at most `max`. */
function roomIdFlag(command: CommandName, flag: string, text: string, max: number): string {
  if (!isValidRoomId(text, max))
    throw new UsageError(
      `--${flag} must be 1 to ${max} letters, digits, '-', '_', '.' or ':', got ${JSON.stringify(text)}`,
      command,
    );
  return text;
}

/** The bot's flags and switches, checked: its options (a room, join-or-create, or a room list). */
export function botOptions(v: Values, switches: ReadonlySet<string>): BotCommandOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('bot', flag, text, min, max);
  };
  if (v.connect === undefined)
    throw new UsageError('--connect HOST:PORT is required (the server to join)', 'bot');
  const { host, port } = parseHostPort('bot', 'connect', v.connect);
  const name = v.name ?? `bot-${process.pid}`;
  if (!isValidUsername(name))
    throw new UsageError(
      `--name must be 1 to ${Limits.usernameLength} printable characters, got ${JSON.stringify(name)}`,
      'bot',
    );
  if (v.password !== undefined && v.password.length > Limits.passwordLength)
    throw new UsageError(`--password must be at most ${Limits.passwordLength} characters`, 'bot');
  if (v.chat !== undefined && v.chat.length > Limits.chatLength)
    throw new UsageError(`--chat must be at most ${Limits.chatLength} characters`, 'bot');
  const room =
    v.room === undefined ? undefined : roomIdFlag('bot', 'room', v.room, Limits.roomIdLength);
  const mode =
    v.mode === undefined ? undefined : roomIdFlag('bot', 'mode', v.mode, Limits.roomModeLength);
  const size = v.size === undefined ? undefined : int('size', 4, 1, Limits.maxPlayers);
  const listing = switches.has('list-rooms');
  if (listing && room !== undefined)
    throw new UsageError('--list-rooms lists the rooms and exits: not with --room', 'bot');
  if (room !== undefined && mode !== undefined)
    throw new UsageError('--room joins one room, --mode asks join-or-create: give one', 'bot');
  if (size !== undefined && mode === undefined && !listing)
    throw new UsageError('--size goes with --mode (join-or-create)', 'bot');
  const match = mode !== undefined && !listing ? { mode, size: size ?? 4 } : undefined;
  const players = int('players', match?.size ?? 1, 1, 256);
  if (match && players > match.size)
    throw new UsageError(
      `--players ${players} is more than --size ${match.size}: the game would never start`,
      'bot',
    );
  return {
    ...linkFlags('bot', v, NO_LINK),
    host,
    port,
    name,
    password: v.password ?? '',
    ticks: int('ticks', 600, 1, 1_000_000),
    players,
    inputDelay: int('input-delay', 0, 0, 128),
    ...(v.chat === undefined ? {} : { chat: v.chat }),
    ...(room === undefined ? {} : { room }),
    ...(match === undefined ? {} : { match }),
    ...(listing
      ? {
          listRooms: {
            ...(mode === undefined ? {} : { mode }),
            ...(size === undefined ? {} : { size }),
          },
        }
      : {}),
  };
}
