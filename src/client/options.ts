// The client's options: their types, their defaults, and the check of every value, in one place.
import { DEFAULT_MAX_COPIES, MAX_COPIES } from '../link/LossCopies.js';
import type { LinkConditionerOptions } from '../operators/conditionLink.js';
import { Limits, isValidUsername, type RoomAsk } from '../protocol/index.js';
import { isValidRoomId } from '../protocol/roomFields.js';
import { AUTO_INPUT_DELAY_START } from './autoInputDelay.js';
import type { TlsClientOptions, Transport } from '../transport/Transport.js';

/** Options of `connect`. */
export interface ConnectOptions {
  /** The server's host (not needed with `url`). */
  host?: string;
  /** The server's TCP port (`server.address.tcpPort`; not needed with `url`). */
  port?: number;
  /**
   * The server's web endpoint, `ws://host:webPort/` (`server.address.webPort`). With no
   * `transport`, `connect` joins over the web transport: a WebSocket, and a WebRTC data
   * channel for datagrams (in a browser; see `createWebTransport`). Default: none.
   */
  url?: string;
  /** The name to join as: 1 to `Limits.usernameLength` characters, no control characters, not one already in the match. */
  username: string;
  /** Default `''`. */
  password?: string;
  /** How long to wait for the connection, the join answer and the datagram channel. Default `5000`. */
  connectTimeoutMs?: number;
  /** Local address for the UDP socket (Node transport). Default: the server's host if it is a loopback address, else all interfaces. */
  localHost?: string;
  /** Inputs held until acknowledged; beyond it `sendInput` is refused with a warning. Default `256`. */
  maxUnackedInputs?: number;
  /** Byte budget of one datagram, 256..1400. Default `1200`. */
  datagramBytes?: number;
  /** Link conditioner applied to every datagram the client receives (tests, demos). Default: none. */
  conditioner?: LinkConditionerOptions;
  /**
   * The most times each inputs datagram goes to the server at once, 1..8. When the server
   * reports losing this client's datagrams, each one is sent several times back to back
   * (each copy with its own sequence number), so a loss costs no tick of latency: the fewest
   * copies that leave 0.1% lost (2 at 1-3% loss, 3 at 5-10%, 5 at 20%), at most this many;
   * fewer again once the loss has stayed lower for 5 s. With no loss reported, one. 1: no
   * copies. Default `5`.
   */
  maxCopies?: number;
  /**
   * Input delay in ticks, 0..128: the input given to `sendInput` at local tick t is for tick
   * t + inputDelay, so on a good link its frame arrives before the game needs it. The first
   * `inputDelay` ticks get neutral (all-zero) inputs. Change it later with `setInputDelay`.
   * `'auto'`: picked from the measured round trip and jitter at each stats sample (see
   * `chooseInputDelay`: raised at once, lowered a tick at a time), starting from 2; a call
   * of `setInputDelay` turns it off. Default `0`.
   */
  inputDelay?: number | 'auto';
  /**
   * Playout buffer: when set, `frames$` releases frames one per tick after holding the first
   * this many ms, instead of in bursts after a loss. Default: none (frames as they confirm).
   */
  playoutDelayMs?: number;
  /** How often `stats$` emits, in ms. Default `1000`. */
  statsIntervalMs?: number;
  /**
   * The network underneath. Default: the Node transport (UDP + TCP) when imported in Node;
   * the browser build has no default yet, so pass one there.
   */
  transport?: Transport;
  /**
   * Called after a desync with the desync tick; what it returns (at most 60000 bytes) is sent
   * to the server as this player's state snapshot for that tick. Default: none.
   */
  snapshot?: (tick: number) => Uint8Array | undefined;
  /**
   * TLS on the reliable channel, so the datagram key the server sends on it stays secret:
   * `{ ca?, rejectUnauthorized?, servername? }`, passed on to the transport as it is. Default:
   * none (plain TCP).
   */
  tls?: TlsClientOptions;
  // --- Joining, loading and coming back (issue 12) ---
  /**
   * Reconnects to the seat this token is for (from `client.reconnectToken`, saved before a
   * process restart) instead of joining: the frames start after `lastFrameTick`. The
   * username and password are not checked again. Default: none (a new join).
   */
  reconnectToken?: Uint8Array;
  /** With `reconnectToken`: the last tick up to which the game has every frame. Default `-1`. */
  lastFrameTick?: number;
  /**
   * Joins as a spectator: no slot and no input (`sendInput` throws, `playerId` is -1), not
   * counted in the server's `maxPlayers`. `frames$` gets every frame from the match's first
   * tick, over the reliable channel only, `spectatorDelayTicks` (a server option) after they
   * are confirmed. A lost connection ends the session (no reconnect). Default `false`.
   */
  spectate?: boolean;
  /**
   * When the connection is lost, the client reconnects by itself (with backoff, 100 ms
   * doubling to 2 s) for this long, keeping `frames$` open; 0 disables it. Keep it within
   * the server's `reconnectGraceMs`. Default `15000`.
   */
  reconnectTimeoutMs?: number;
  /**
   * The server is taken for lost when nothing came from it for this long (a frozen server,
   * a path that died without a reset): the client reports it (`reconnecting`, with the
   * reason) and reconnects, or ends with `connection-lost`. Default `5000`.
   */
  serverTimeoutMs?: number;
  /**
   * The game's snapshot of its world before frame `tick`, when the server asks for one (a
   * long match, whose late joiners start from it): called right after frame `tick - 1` was
   * delivered on `frames$`. At most 60000 bytes. Default: none (requests go unanswered).
   */
  provideSnapshot?: (tick: number) => Uint8Array | undefined;
  // --- Rooms (issue 14) ---
  /**
   * The room to join (or watch, or reconnect to) on a server with rooms: its id (from
   * `listRooms`, or the application). Default: none (the server's default room).
   */
  room?: string;
  /**
   * Join-or-create: a seat in an open room of `mode` with `size` slots, or in a new one if
   * none has a free seat (players asking at once fill one room before the next is made).
   * `client.room` says which. Not with `room`. Default: none.
   */
  match?: {
    /** The room's mode (letters, digits, `-`, `_`, `.`, `:`; at most 32). */
    readonly mode: string;
    /** Its player slots, 1..256. */
    readonly size: number;
  };
}

/** Every option with its value: defaults filled in, every value checked. */
export interface ResolvedConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly connectTimeoutMs: number;
  readonly localHost: string | undefined;
  readonly maxUnackedInputs: number;
  readonly datagramBytes: number;
  readonly conditioner: LinkConditionerOptions | undefined;
  readonly maxCopies: number;
  readonly inputDelay: number;
  /** `inputDelay: 'auto'`: the delay follows the link. */
  readonly autoInputDelay: boolean;
  readonly playoutDelayMs: number | undefined;
  readonly statsIntervalMs: number;
  readonly snapshot: ((tick: number) => Uint8Array | undefined) | undefined;
  readonly reconnectToken: Uint8Array | undefined;
  readonly lastFrameTick: number;
  readonly reconnectTimeoutMs: number;
  readonly serverTimeoutMs: number;
  readonly provideSnapshot: ((tick: number) => Uint8Array | undefined) | undefined;
  readonly tls: TlsClientOptions | undefined;
  readonly spectate: boolean;
  /** The room of `room`, if given. */
  readonly room: string | undefined;
  /** What the join asks for: `room` or `match`. */
  readonly roomAsk: RoomAsk | undefined;
}

/**
 * Fills in the defaults and checks every value, before anything opens.
 * @throws {RangeError} naming the option and what it must be.
 */
export function resolveConnectOptions(options: ConnectOptions): ResolvedConnectOptions {
  const { host, port } = serverOf(options);
  const positive = (name: string, value: number): number => {
    if (!(value > 0)) throw new RangeError(`${name} must be > 0`);
    return value;
  };
  const nonNegative = (name: string, value: number): number => {
    if (!(value >= 0)) throw new RangeError(`${name} must be >= 0`);
    return value;
  };
  if (options.reconnectToken !== undefined && options.reconnectToken.length !== 16)
    throw new RangeError('reconnectToken must be 16 bytes');
  if (
    options.lastFrameTick !== undefined &&
    !(Number.isSafeInteger(options.lastFrameTick) && options.lastFrameTick >= -1)
  )
    throw new RangeError('lastFrameTick must be an integer >= -1');
  const datagramBytes = options.datagramBytes ?? Limits.datagramBytes;
  if (
    !Number.isInteger(datagramBytes) ||
    datagramBytes < 256 ||
    datagramBytes > Limits.maxDatagramBytes
  )
    throw new RangeError(`datagramBytes must be an integer in 256..${Limits.maxDatagramBytes}`);
  const maxCopies = options.maxCopies ?? DEFAULT_MAX_COPIES;
  if (!Number.isInteger(maxCopies) || maxCopies < 1 || maxCopies > MAX_COPIES)
    throw new RangeError(`maxCopies must be an integer in 1..${MAX_COPIES}`);
  const maxUnackedInputs = options.maxUnackedInputs ?? 256;
  if (!Number.isSafeInteger(maxUnackedInputs) || maxUnackedInputs < 1)
    throw new RangeError('maxUnackedInputs must be an integer >= 1');
  if (typeof options.username !== 'string' || !isValidUsername(options.username))
    throw new RangeError(
      `username ${JSON.stringify(options.username)} must be 1..${Limits.usernameLength} characters with no control characters`,
    );
  if (options.playoutDelayMs !== undefined && !(options.playoutDelayMs >= 0))
    throw new RangeError('playoutDelayMs must be >= 0');
  if (options.spectate === true && options.reconnectToken !== undefined)
    throw new RangeError(
      'a spectator has no seat to reconnect to: no reconnectToken with spectate',
    );
  const roomAsk = checkRoomAsk(options);
  return {
    host,
    port,
    username: options.username,
    password: options.password ?? '',
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 5000),
    localHost: options.localHost,
    maxUnackedInputs,
    datagramBytes,
    conditioner: options.conditioner,
    maxCopies,
    inputDelay:
      options.inputDelay === 'auto'
        ? AUTO_INPUT_DELAY_START
        : checkInputDelay(options.inputDelay ?? 0),
    autoInputDelay: options.inputDelay === 'auto',
    playoutDelayMs: options.playoutDelayMs,
    statsIntervalMs: positive('statsIntervalMs', options.statsIntervalMs ?? 1000),
    snapshot: options.snapshot,
    reconnectToken: options.reconnectToken,
    lastFrameTick: options.lastFrameTick ?? -1,
    reconnectTimeoutMs: nonNegative('reconnectTimeoutMs', options.reconnectTimeoutMs ?? 15_000),
    serverTimeoutMs: positive('serverTimeoutMs', options.serverTimeoutMs ?? 5000),
    provideSnapshot: options.provideSnapshot,
    tls: options.tls,
    spectate: options.spectate === true,
    room: options.room,
    roomAsk,
  };
}

/** The room a join asks for, checked: `room`, or `match`, or none. */
function checkRoomAsk(options: ConnectOptions): RoomAsk | undefined {
  if (options.room !== undefined && options.match !== undefined)
    throw new RangeError('room and match: give one of them');
  if (options.room !== undefined) {
    if (typeof options.room !== 'string' || !isValidRoomId(options.room))
      throw new RangeError(
        `room must be 1..${Limits.roomIdLength} letters, digits, - _ . : (a room id)`,
      );
    return { roomId: options.room };
  }
  if (options.match === undefined) return undefined;
  if (options.reconnectToken !== undefined)
    throw new RangeError('a reconnect goes back to its room: no match with reconnectToken');
  const { mode, size } = options.match;
  if (typeof mode !== 'string' || !isValidRoomId(mode, Limits.roomModeLength))
    throw new RangeError(`match.mode must be 1..${Limits.roomModeLength} letters, digits, - _ . :`);
  if (!Number.isInteger(size) || size < 1 || size > Limits.maxPlayers)
    throw new RangeError(`match.size must be an integer in 1..${Limits.maxPlayers}`);
  return { mode, size };
}

/** The host and port to connect to: as given, or from `url` (its port, or 80 / 443). */
export function serverOf(options: {
  readonly host?: string;
  readonly port?: number;
  readonly url?: string;
}): { host: string; port: number } {
  if (options.host !== undefined && options.port !== undefined)
    return { host: options.host, port: options.port };
  if (options.url === undefined) throw new RangeError('host and port (or url) must be given');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new RangeError(`url is not a URL: ${options.url}`);
  }
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  return {
    host: options.host ?? url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: options.port ?? (url.port === '' ? (secure ? 443 : 80) : Number(url.port)),
  };
}

/** An input delay: an integer in 0..128 ticks. */
export function checkInputDelay(ticks: number): number {
  if (!Number.isInteger(ticks) || ticks < 0 || ticks > 128)
    throw new RangeError('inputDelay must be an integer in 0..128');
  return ticks;
}
