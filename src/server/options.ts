// The server's options: their types, their defaults, and the check of every value, in one place.
import { DEFAULT_MAX_COPIES, MAX_COPIES } from '../link/LossCopies.js';
import type { LinkConditionerOptions } from '../operators/conditionLink.js';
import { Limits, maxJoinSpreadTicks, worstFramePacketBytes } from '../protocol/index.js';
import type { TlsServerOptions, Transport } from '../transport/Transport.js';
import type { WebListenerOptions } from '../transport/web/webListener.js';
import type { SubstituteInput } from '../types.js';
import type { RoomMetadata } from '../rooms/RoomDirectory.js';
import type { ChatBudgetOptions } from './ChatBudget.js';
import type { RoomsOptions } from './roomOptions.js';

/** What `authenticate` is given. */
export interface Credentials {
  /** The username the player asks to join as. */
  readonly username: string;
  /** The password it sent (`''` when none was given). */
  readonly password: string;
  /** Where the connection comes from, as the transport names it (an IP address over TCP). */
  readonly address: string;
  /** The room it asks to join (`default` for a server's one match). */
  readonly room: RoomInfo;
}

/** A room as the application's hooks are told about it. */
export interface RoomInfo {
  /** The room's id. */
  readonly roomId: string;
  /** Its mode. */
  readonly mode: string;
  /** The application's data about it. */
  readonly metadata: RoomMetadata;
}

/** Options of `createServer`. */
export interface ServerOptions {
  /** Address to listen on (TCP and UDP). Default `'127.0.0.1'`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default `0`. */
  port?: number;
  /** UDP port; 0 picks a free one. Default `0`. */
  udpPort?: number;
  /** Ticks per second the clients run at (sent to them at join; also the resend cadence), 1..1000. Default `60`. */
  tickRate?: number;
  /** Bytes in one player's input for one tick, 1..64. Default `2`. */
  inputSize?: number;
  /** Player slots, 1..256. Default `8`. */
  maxPlayers?: number;
  /** Decides whether a join may go on. Default: everyone may join. */
  authenticate?: (credentials: Credentials) => boolean | Promise<boolean>;
  /** A player who stalls the others this long, or sends nothing this long, is dropped. Default `2000`. */
  disconnectTimeoutMs?: number;
  /** A connection must send its join request within this. Default `5000`. */
  joinTimeoutMs?: number;
  /** Connections that have not joined yet, at most; more are closed at once. Default `64`. */
  maxPendingJoins?: number;
  /** Joins inside `authenticate` at once, at most; more are refused (`server-full`) and hold no seat. Default `64`. */
  maxAuthenticating?: number;
  /** Joins inside `authenticate` at once from one address, at most. Default `8`. */
  maxAuthenticatingPerAddress?: number;
  /** Connections not joined yet from one address, at most; past it the oldest is closed. Default `16`. */
  maxPendingJoinsPerAddress?: number;
  /**
   * What one player may make the server broadcast (chat): lines and bytes a second, with
   * bursts above them; the first line over it is refused with a warning, `strikes` more
   * drop the player. Default `{ linesPerSecond: 4, lineBurst: 10, bytesPerSecond: 2048, byteBurst: 8192, strikes: 20 }`.
   */
  chatBudget?: Partial<ChatBudgetOptions>;
  /** A player who stalls the others more than `maxStallShare` of about this long is dropped (`timeout`). Default `10000`. */
  stallShareWindowMs?: number;
  /** The share (0..1) of `stallShareWindowMs` a player may stall the others. Default `0.5`. */
  maxStallShare?: number;
  /** Inputs this many ticks or more after the next tick to confirm are refused (not acknowledged). Default `128`. */
  maxTicksAhead?: number;
  /** Frames held per player until acknowledged; a player whose window fills is dropped. Default `256`. */
  maxUnackedFrames?: number;
  /** Byte budget of one datagram, 256..1400. Default `1200`. */
  datagramBytes?: number;
  /** Link conditioner applied to every datagram the server receives (tests, demos). Default: none. */
  conditioner?: LinkConditionerOptions;
  /**
   * The most times each frames datagram goes to a player at once, 1..8. A player whose
   * client reports losing the server's datagrams gets each one several times back to back
   * (each copy with its own sequence number), so a loss costs no tick of latency: the fewest
   * copies that leave 0.1% lost (2 at 1-3% loss, 3 at 5-10%, 5 at 20%), at most this many;
   * fewer again once the loss has stayed lower for 5 s. With no loss reported, one. The loss
   * is the client's own report: a client that claims to lose everything gets this many
   * copies, no more, so this bounds the bandwidth and sealing one player can make the server
   * spend on it (this many times its frames). 1: no copies. Default `5`.
   */
  maxCopies?: number;
  /** How often `stats$` emits each player's statistics, in ms. Default `1000`. */
  statsIntervalMs?: number;
  /** The network underneath. Default: the Node transport (UDP + TCP). */
  transport?: Transport;
  /**
   * Records the match to a replay file in `dir` (which must exist), named
   * `match-<UTC time>-<random>.gnreplay`, with `metadata` in its header; the file is finished
   * when the server closes. See docs/replay.md. Default: no recording.
   */
  recordReplays?: {
    /** The directory the replay file is written in. */
    readonly dir: string;
    /** App bytes stored in the replay's header. Default: none. */
    readonly metadata?: Uint8Array;
  };
  /**
   * TLS on the reliable channel, so the datagram keys sent on it stay secret: `{ key, cert }`
   * in PEM, passed on to the transport as it is. Default: none (plain TCP).
   */
  tls?: TlsServerOptions;
  /**
   * Also take browser players: an HTTP server with a WebSocket endpoint (`address.webPort`)
   * and one UDP port for all WebRTC data channels (`address.rtcPort`), beside `transport`.
   * Default: none.
   */
  web?: WebListenerOptions;
  // --- Joining, loading and coming back (issue 12) ---
  /** A player connected this long without `ready()` (or a first input) loses its seat (Goodbye `ready-timeout`). Default `60000`. */
  readyTimeoutMs?: number;
  /** An away player keeps its slot this long (its input substituted) before it leaves with reason `timeout`; 0: no away state. Default `15000`. */
  reconnectGraceMs?: number;
  /** What an away player's input is in the frames: its last input repeated, or zero bytes. Default `'repeat'`. */
  substituteInput?: SubstituteInput;
  /**
   * A frame waits at most this long after its first input for the other players' inputs:
   * then the late players' inputs are substituted (`substituteInput`) for that tick, marked
   * in the frame's `substituted` (the same for everyone; the late player sees its own slot
   * there). A player late so for `disconnectTimeoutMs` is away. `Infinity`: off, frames
   * wait for every input. Default `Infinity`.
   */
  lateInputMs?: number;
  /** Approximate memory of the frames kept for catch-up, in bytes; past it the oldest go (then a snapshot is needed). Default `64 MiB`. */
  frameLogBytes?: number;
  /**
   * A server-side simulation's snapshot of the world before frame `tick` (called right after
   * frame `tick - 1` went out on `frames$`). When given, the server asks it, not a player,
   * for the snapshots late joiners start from once the frame log is past half full.
   * Default: none (a player's `provideSnapshot` is asked).
   */
  provideSnapshot?: (tick: number) => Uint8Array | undefined;
  // --- Spectators (issue 13) ---
  /** Spectators (`connect({ spectate: true })`) at most; they are not counted in `maxPlayers`. 0: none. Default `64`. */
  maxSpectators?: number;
  /** Frames reach spectators this many ticks after they are confirmed (so a spectator cannot tell a player what is live). Default `0`. */
  spectatorDelayTicks?: number;
  /** Whether spectators may chat (their lines go to the players and to `chat$`); when not, their chat is a warning. Default `false`. */
  spectatorChat?: boolean;
  /** A spectator that falls this far behind the frames it should have (it does not read its connection) is dropped. Default `5000`. */
  spectatorMaxLagMs?: number;
  // --- Rooms (issue 14) ---
  /**
   * Many matches (rooms) in this process, on the same ports: `server.createRoom`, and
   * join-or-create for players (`connect({ match: { mode, size } })`). The options above are
   * every room's defaults. Default: none, one match (the server's default room, behind its
   * own streams and methods).
   */
  rooms?: RoomsOptions;
  /**
   * Rooms spread over several server processes (issue 16): the room directory and every
   * process's presence in Redis. Implies `rooms`. A player asking any process for a room
   * another holds is redirected there by itself. Default: none (one process).
   */
  cluster?: ClusterOptions;
}

/** The `cluster` option: the Redis that holds the directory, and how players reach this process. */
export interface ClusterOptions {
  /** The Redis server (`redis://host:port/db`). */
  readonly redis: string;
  /** The host players reach this process at (sent in redirects). Default: `host`. */
  readonly publicAddress?: string;
  /** A process that stops refreshing its listing is gone from the directory, with its rooms, after this (ms). Default `5000`. */
  readonly processTtlMs?: number;
  /** The start of every Redis key, so several clusters can share one Redis. Default `'game-network:'`. */
  readonly keyPrefix?: string;
}

/** Where the server listens. */
export interface ServerAddress {
  /** The address listened on. */
  readonly host: string;
  /** The TCP port, the one clients connect to. */
  readonly tcpPort: number;
  /** The UDP port. */
  readonly udpPort: number;
  /** The web endpoint's HTTP port (`ws://host:webPort/`), with the `web` option. */
  readonly webPort?: number;
  /** The UDP port of every WebRTC data channel, with the `web` option. */
  readonly rtcPort?: number;
}

/** Every option with its value: defaults filled in, every value checked. */
export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number;
  readonly tickRate: number;
  readonly inputSize: number;
  readonly maxPlayers: number;
  readonly authenticate: (credentials: Credentials) => boolean | Promise<boolean>;
  readonly disconnectTimeoutMs: number;
  readonly joinTimeoutMs: number;
  readonly maxPendingJoins: number;
  readonly maxAuthenticating: number;
  readonly maxAuthenticatingPerAddress: number;
  readonly maxPendingJoinsPerAddress: number;
  readonly chatBudget: ChatBudgetOptions;
  readonly stallShareWindowMs: number;
  readonly maxStallShare: number;
  readonly maxTicksAhead: number;
  readonly maxUnackedFrames: number;
  readonly datagramBytes: number;
  readonly conditioner: LinkConditionerOptions | undefined;
  readonly maxCopies: number;
  readonly statsIntervalMs: number;
  readonly recordReplays: { readonly dir: string; readonly metadata?: Uint8Array } | undefined;
  readonly readyTimeoutMs: number;
  readonly reconnectGraceMs: number;
  readonly substituteInput: SubstituteInput;
  readonly lateInputMs: number;
  readonly frameLogBytes: number;
  readonly provideSnapshot: ((tick: number) => Uint8Array | undefined) | undefined;
  readonly maxSpectators: number;
  readonly spectatorDelayTicks: number;
  readonly spectatorChat: boolean;
  readonly spectatorMaxLagMs: number;
}

/** Fixed bounds: a player whose connection has this many bytes unread queued is dropped. */
export const MAX_TCP_BACKLOG_BYTES = 256 * 1024;

/**
 * The unread bytes past which a player is dropped as not reading its connection: more than
 * every player's chat budget can put there within the disconnect timeout (3 s at most;
 * bursts included), so a player that pauses under it is never dropped for others' chat.
 */
export function maxTcpBacklog(options: ResolvedServerOptions): number {
  const c = options.chatBudget;
  // A line on the wire is its text's bytes (what the budget counts), its sender's name and framing.
  const perLine = 4 * Limits.usernameLength + 16;
  const seconds = Math.min(options.disconnectTimeoutMs, 3000) / 1000;
  const perPlayer =
    c.byteBurst + c.lineBurst * perLine + (c.bytesPerSecond + c.linesPerSecond * perLine) * seconds;
  return Math.max(MAX_TCP_BACKLOG_BYTES, options.maxPlayers * perPlayer);
}

/**
 * Fills in the defaults and checks every value, before any socket opens.
 * @throws {RangeError} naming the option and what it must be.
 */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const inputSize = integer('inputSize', options.inputSize ?? 2, 1, Limits.maxInputSize);
  const maxPlayers = integer('maxPlayers', options.maxPlayers ?? 8, 1, Limits.maxPlayers);
  const tickRate = integer('tickRate', options.tickRate ?? 60, 1, 1000);
  const datagramBytes = integer(
    'datagramBytes',
    options.datagramBytes ?? Limits.datagramBytes,
    256,
    Limits.maxDatagramBytes,
  );
  const worst = worstFramePacketBytes(maxPlayers, inputSize);
  if (worst > datagramBytes)
    throw new RangeError(
      `${maxPlayers} players with ${inputSize}-byte inputs make frames of up to ${worst} bytes, ` +
        `over the ${datagramBytes}-byte datagram budget: lower maxPlayers or inputSize`,
    );
  return {
    host: options.host ?? '127.0.0.1',
    port: port('port', options.port ?? 0),
    udpPort: port('udpPort', options.udpPort ?? 0),
    tickRate,
    inputSize,
    maxPlayers,
    authenticate: options.authenticate ?? (() => true),
    disconnectTimeoutMs: time('disconnectTimeoutMs', options.disconnectTimeoutMs ?? 2000),
    joinTimeoutMs: time('joinTimeoutMs', options.joinTimeoutMs ?? 5000),
    maxPendingJoins: atLeast('maxPendingJoins', options.maxPendingJoins ?? 64, 1),
    maxAuthenticating: atLeast('maxAuthenticating', options.maxAuthenticating ?? 64, 1),
    maxAuthenticatingPerAddress: atLeast(
      'maxAuthenticatingPerAddress',
      options.maxAuthenticatingPerAddress ?? 8,
      1,
    ),
    maxPendingJoinsPerAddress: atLeast(
      'maxPendingJoinsPerAddress',
      options.maxPendingJoinsPerAddress ?? 16,
      1,
    ),
    chatBudget: chatBudget(options.chatBudget ?? {}),
    stallShareWindowMs: time('stallShareWindowMs', options.stallShareWindowMs ?? 10_000),
    maxStallShare: share(options.maxStallShare ?? 0.5),
    // A burst of joins (every slot at once) is spread over this many ticks at most, the last
    // that many ticks - 1 after the next to confirm: the match must take them all.
    maxTicksAhead: atLeast(
      'maxTicksAhead',
      options.maxTicksAhead ?? 128,
      maxJoinSpreadTicks(maxPlayers),
    ),
    maxUnackedFrames: atLeast('maxUnackedFrames', options.maxUnackedFrames ?? 256, 1),
    datagramBytes,
    conditioner: options.conditioner,
    maxCopies: integer('maxCopies', options.maxCopies ?? DEFAULT_MAX_COPIES, 1, MAX_COPIES),
    statsIntervalMs: time('statsIntervalMs', options.statsIntervalMs ?? 1000),
    recordReplays: replayOption(options.recordReplays),
    readyTimeoutMs: time('readyTimeoutMs', options.readyTimeoutMs ?? 60_000),
    reconnectGraceMs: atLeastZero('reconnectGraceMs', options.reconnectGraceMs ?? 15_000),
    substituteInput: substitute(options.substituteInput ?? 'repeat'),
    lateInputMs: time('lateInputMs', options.lateInputMs ?? Infinity),
    frameLogBytes: atLeastZero('frameLogBytes', options.frameLogBytes ?? 64 * 1024 * 1024),
    provideSnapshot: options.provideSnapshot,
    maxSpectators: atLeast('maxSpectators', options.maxSpectators ?? 64, 0),
    spectatorDelayTicks: atLeast('spectatorDelayTicks', options.spectatorDelayTicks ?? 0, 0),
    spectatorChat: options.spectatorChat ?? false,
    spectatorMaxLagMs: time('spectatorMaxLagMs', options.spectatorMaxLagMs ?? 5000),
  };
}

function chatBudget(value: Partial<ChatBudgetOptions>): ChatBudgetOptions {
  const positive = (name: keyof ChatBudgetOptions, v: number): number => {
    if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`chatBudget.${name} must be > 0`);
    return v;
  };
  return {
    linesPerSecond: positive('linesPerSecond', value.linesPerSecond ?? 4),
    lineBurst: positive('lineBurst', value.lineBurst ?? 10),
    bytesPerSecond: positive('bytesPerSecond', value.bytesPerSecond ?? 2048),
    byteBurst: positive('byteBurst', value.byteBurst ?? 8192),
    strikes: atLeast('chatBudget.strikes', value.strikes ?? 20, 0),
  };
}

function share(value: number): number {
  if (!(value > 0 && value <= 1)) throw new RangeError('maxStallShare must be in (0, 1]');
  return value;
}

function replayOption(
  value: ServerOptions['recordReplays'],
): ResolvedServerOptions['recordReplays'] {
  if (value === undefined) return undefined;
  if (typeof value.dir !== 'string' || value.dir === '')
    throw new RangeError('recordReplays.dir must be a directory path');
  if (value.metadata !== undefined && value.metadata.length > 64 * 1024)
    throw new RangeError('recordReplays.metadata must be at most 65536 bytes');
  return value;
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer in ${min}..${max}`);
  return value;
}

function atLeast(name: string, value: number, min: number): number {
  if (!(Number.isSafeInteger(value) && value >= min))
    throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}

function time(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be > 0`);
  return value;
}

function atLeastZero(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${name} must be >= 0`);
  return value;
}

function substitute(value: SubstituteInput): SubstituteInput {
  if (value !== 'repeat' && value !== 'empty')
    throw new RangeError(`substituteInput must be 'repeat' or 'empty'`);
  return value;
}

function port(name: string, value: number): number {
  return integer(name, value, 0, 65535);
}
