// The server's options: their types, their defaults, and the check of every value, in one place.
import type { LinkConditionerOptions } from '../operators/conditionLink.js';
import { Limits, maxJoinSpreadTicks, worstFramePacketBytes } from '../protocol/index.js';
import type { TlsServerOptions, Transport } from '../transport/Transport.js';
import type { WebListenerOptions } from '../transport/web/webListener.js';
import type { SubstituteInput } from '../types.js';

/** What `authenticate` is given. */
export interface Credentials {
  /** The username the player asks to join as. */
  readonly username: string;
  /** The password it sent (`''` when none was given). */
  readonly password: string;
  /** Where the connection comes from, as the transport names it (an IP address over TCP). */
  readonly address: string;
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
  /** Inputs this many ticks or more after the next tick to confirm are refused (not acknowledged). Default `128`. */
  maxTicksAhead?: number;
  /** Frames held per player until acknowledged; a player whose window fills is dropped. Default `256`. */
  maxUnackedFrames?: number;
  /** Byte budget of one datagram, 256..1400. Default `1200`. */
  datagramBytes?: number;
  /** Link conditioner applied to every datagram the server receives (tests, demos). Default: none. */
  conditioner?: LinkConditionerOptions;
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
  readonly maxTicksAhead: number;
  readonly maxUnackedFrames: number;
  readonly datagramBytes: number;
  readonly conditioner: LinkConditionerOptions | undefined;
  readonly statsIntervalMs: number;
  readonly recordReplays: { readonly dir: string; readonly metadata?: Uint8Array } | undefined;
  readonly readyTimeoutMs: number;
  readonly reconnectGraceMs: number;
  readonly substituteInput: SubstituteInput;
  readonly lateInputMs: number;
  readonly frameLogBytes: number;
  readonly provideSnapshot: ((tick: number) => Uint8Array | undefined) | undefined;
}

/** Fixed bounds: a player whose connection has this many bytes unread queued is dropped. */
export const MAX_TCP_BACKLOG_BYTES = 256 * 1024;

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
    statsIntervalMs: time('statsIntervalMs', options.statsIntervalMs ?? 1000),
    recordReplays: replayOption(options.recordReplays),
    readyTimeoutMs: time('readyTimeoutMs', options.readyTimeoutMs ?? 60_000),
    reconnectGraceMs: atLeastZero('reconnectGraceMs', options.reconnectGraceMs ?? 15_000),
    substituteInput: substitute(options.substituteInput ?? 'repeat'),
    lateInputMs: time('lateInputMs', options.lateInputMs ?? Infinity),
    frameLogBytes: atLeastZero('frameLogBytes', options.frameLogBytes ?? 64 * 1024 * 1024),
    provideSnapshot: options.provideSnapshot,
  };
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
