/** The options of each command, as parsed from its command line, and the demo's defaults. */
import type { CommandName } from './usageError.js';

/** The link conditioner settings every command takes (each end applies them to what it receives). */
export interface LinkFlags {
  /** Fraction 0..1 of datagrams lost. */
  readonly loss: number;
  /** Random extra delay, 0..jitterMs ms, per datagram. */
  readonly jitterMs: number;
  /** Fixed delay in ms per datagram. */
  readonly delayMs: number;
  /** Seed of the conditioners (and of the bots' controllers). */
  readonly seed: number;
}

export interface DemoOptions extends LinkFlags {
  readonly players: number;
  readonly ticks: number;
  readonly tickRate: number;
  readonly inputDelay: number;
  /** Make the last bot's simulation diverge at this tick of the game (to see a desync). */
  readonly desyncAt?: number;
  /** Take the first bot off the network for this many ms at a third of the game; it comes back. */
  readonly dropoutMs?: number;
  /**
   * Play this many rooms at once on one server (rooms mode), each of `players` bots that ask
   * join-or-create for mode `'demo'` and size `players`. Not with `desyncAt` or `dropoutMs`.
   */
  readonly rooms?: number;
  /**
   * A cluster demo: start a `redis-server`, this many `game-network server --redis` processes,
   * and `rooms` rooms (default 4) of bots that ask join-or-create through random processes.
   */
  readonly cluster?: number;
}

/** The `--rooms` flags of the server: many rooms on one server, join-or-create on. */
export interface ServerRoomsFlags {
  /** Rooms made at start, `room-1` to `room-<create>` (0: none, join-or-create makes them). */
  readonly create: number;
  /** The mode of the rooms made at start. */
  readonly mode: string;
  /** A room made by join-or-create ends once empty this long (ms). */
  readonly emptyTimeoutMs: number;
}

/** The `--redis` flags of the server: one process of a cluster sharing a room directory in Redis. */
export interface ServerClusterFlags {
  /** The Redis server of the cluster's directory (`redis://host:port/db`). */
  readonly redis: string;
  /** The host players reach this process at, sent in redirects. Default: `--host`. */
  readonly publicHost?: string;
  /** This process and its rooms leave the directory this long after its last heartbeat (ms). */
  readonly processTtlMs?: number;
}

export interface ServerCommandOptions extends LinkFlags {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number;
  readonly tickRate: number;
  readonly maxPlayers: number;
  readonly inputSize: number;
  /** If set, joins must give this password. */
  readonly password?: string;
  /** If set, rooms mode: many matches on one server, made at start or by join-or-create. */
  readonly rooms?: ServerRoomsFlags;
  /** If set, this process joins a cluster (rooms mode is on too): its rooms listed in Redis. */
  readonly cluster?: ServerClusterFlags;
}

export interface BotCommandOptions extends LinkFlags {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly password: string;
  readonly ticks: number;
  /** The game starts once this many players are in the match. */
  readonly players: number;
  readonly inputDelay: number;
  /** A chat line to send once joined. */
  readonly chat?: string;
  /** Join this room (by id). Not with `match`. */
  readonly room?: string;
  /** Join-or-create: a seat in an open room of this mode and size, or in a new one. */
  readonly match?: { readonly mode: string; readonly size: number };
  /**
   * Print the server's open rooms (only those of `mode`, and with `size` slots, if given) and exit,
   * instead of playing.
   */
  readonly listRooms?: { readonly mode?: string; readonly size?: number };
}

export interface ReplayCommandOptions {
  /** The replay file to read. */
  readonly file: string;
  /** Re-run the demo's simulation on the frames and compare with the recorded checksums. */
  readonly verify: boolean;
  /** Print the frames of these ticks (both included). */
  readonly frames?: { readonly from: number; readonly to: number };
}

/** What a command line asks for. */
export type Command =
  | { readonly command: 'help'; readonly topic?: CommandName }
  | { readonly command: 'demo'; readonly options: DemoOptions }
  | { readonly command: 'server'; readonly options: ServerCommandOptions }
  | { readonly command: 'bot'; readonly options: BotCommandOptions }
  | { readonly command: 'replay'; readonly options: ReplayCommandOptions };

export const DEMO_DEFAULTS: DemoOptions = {
  players: 4,
  ticks: 600,
  tickRate: 60,
  loss: 0.1,
  jitterMs: 20,
  delayMs: 0,
  seed: 1,
  inputDelay: 0,
};
