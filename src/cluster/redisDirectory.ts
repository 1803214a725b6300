// The room directory on Redis: rooms, seats, locks and live processes shared by every server process of a cluster.
//
// Key layout (P is `keyPrefix`, default `game-network:`; ids and modes are used as they are):
//   P room:<roomId>         hash    roomId, processId, mode, maxPlayers, players, open ('1'|'0'),
//                                   metadata (JSON), order: one room's listing
//   P rooms                 zset    every room id, scored by order (list)
//   P free:<size>:<mode>    zset    ids of the open rooms of that mode and size with a seat free,
//                                   scored by order (reserve reads it, oldest first)
//   P free-mode:<mode>      zset    the same for every size of that mode  } list of free rooms
//   P free-all              zset    the same for every room               } reads these
//   P procrooms:<processId> set     the ids of the rooms a process holds
//   P proc:<processId>      string  a live process's listing (JSON), with a time to live of
//                                   processTtlMs: a process that stops refreshing it expires
//   P procs                 set     the ids of the processes registered (expired ones are taken
//                                   out, with their rooms, by the next `processes`)
//   P order                 string  the counter of nextOrder (INCR)
//   P lock:<key>            string  a withLock holder's random token, with a time to live
//   P holds:<roomId>        zset    the seats of a room held for redirected joins: reservation
//                                   token -> expiry (Redis's clock, ms); each is counted in
//                                   the room's players until claimed, or until it expires
//   P held                  zset    the ids of the rooms with holds, scored by their first
//                                   hold's expiry (expired ones are found without a scan)
//
// Pub/sub channels (on a second, subscriber connection, made when first needed; the requests
// are in redisCreateRequests.ts, the lock in redisLock.ts):
//   P create:<processId>    the create requests to a process (serveCreate subscribes it):
//                           JSON { id, ask, replyTo }
//   P reply:<uuid>          the replies to one directory's requests (askCreate subscribes
//                           it): JSON { id, listing: a room's field pairs, or null }
//
// Atomicity: every call that reads and then writes is one Lua script (redisScripts.ts); a room
// of a process whose key has expired is skipped and dropped by whichever script meets it first
// (list, get, reserve, reserveIn), and a process found expired by `processes` is dropped with
// all its rooms. Holds expire the same way, with no timer in any process (which may die): the
// scripts that read rooms (list, get, reserve, reserveIn, put, hold, claim) first end the
// holds past their expiry by Redis's clock and give their seats back. Scripts build keys from
// the prefix, so this needs one Redis server (or a primary with replicas), not Redis Cluster.
import type { RedisOptions } from 'ioredis';
import { type Observable, Subject } from 'rxjs';
import type {
  CreateAsk,
  ProcessListing,
  RoomChange,
  RoomDirectory,
  RoomListing,
  RoomQuery,
} from '../rooms/RoomDirectory.js';
import { RedisConnection } from './redisConnection.js';
import { RedisCreateRequests, type Make } from './redisCreateRequests.js';
import { RedisLocks } from './redisLock.js';
import type { PresenceDirectory } from './presence.js';
import { parseFlag, parseInteger, parseList, parseProcess, parseRoom } from './redisReplies.js';
import * as scripts from './redisScripts.js';
import type { RedisScript } from './redisScripts.js';
import { RedisDirectoryWarningCode, type RedisDirectoryWarning } from './redisWarnings.js';

export { RedisDirectoryWarningCode, type RedisDirectoryWarning } from './redisWarnings.js';

/** Options of {@link redisDirectory}. */
export interface RedisDirectoryOptions {
  /**
   * The Redis server: a URL (`redis://host:6379/0`, `rediss://` for TLS) or ioredis's
   * connection options. Its `keyPrefix` is not used (the scripts build their own keys): give
   * `keyPrefix` here instead. The directory opens its own connection and closes it on `close`.
   */
  readonly redis: string | RedisOptions;
  /**
   * How long a process stays listed after its last `putProcess`, in milliseconds: a process
   * that stops refreshing (it died, or lost Redis) disappears, with its rooms, within this
   * time. `Presence` refreshes every third of it. Default: 5000.
   */
  readonly processTtlMs?: number;
  /** The start of every key, so several directories can share one Redis. Default: `'game-network:'`. */
  readonly keyPrefix?: string;
  /**
   * How long a call may wait for the connection and then for its reply, in milliseconds:
   * past this it rejects with `RedisUnavailableError` (Redis is away or restarting; the
   * client reconnects by itself, at most a second apart). Default: 2000.
   */
  readonly commandTimeoutMs?: number;
  /**
   * A `withLock` lock's time to live, in milliseconds, refreshed every third of it while its
   * holder runs: a slow holder keeps it, a holder that died loses it within this time.
   * Default: 10000.
   */
  readonly lockTtlMs?: number;
  /** How long `withLock` tries to take a lock before it rejects with `LockTimeoutError`, in milliseconds. Default: 10000. */
  readonly lockWaitMs?: number;
}

/** The Redis room directory: a {@link RoomDirectory} that `Presence` can keep a process listed in. */
export interface RedisRoomDirectory extends RoomDirectory, PresenceDirectory {
  /** Connection trouble, lost locks, bad messages; never an error thrown into the app. */
  readonly warnings$: Observable<RedisDirectoryWarning>;
}

const DEFAULT_PROCESS_TTL_MS = 5_000;
const DEFAULT_KEY_PREFIX = 'game-network:';
const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
const DEFAULT_LOCK_TTL_MS = 10_000;
const DEFAULT_LOCK_WAIT_MS = 10_000;

/**
 * A room directory shared through Redis by the server processes of a cluster.
 *
 * Each process lists its rooms (`put`), keeps itself listed with `Presence` (a heartbeat on
 * `putProcess` with a time to live), and any process finds rooms and takes seats in them
 * atomically. A process that stops its heartbeat disappears within `processTtlMs`, and its
 * rooms with it. Every reply is checked before it is used: one that is not what was asked
 * for rejects the call with `RedisReplyError`. While Redis is away, calls reject with
 * `RedisUnavailableError` after `commandTimeoutMs`; the client reconnects by itself.
 *
 * @example
 * const directory = redisDirectory({ redis: 'redis://127.0.0.1:6379' });
 * const presence = new Presence({ directory, process: () => me, rooms: () => myRooms() });
 * await presence.start();
 * const seat = await directory.reserve('duel', 4); // a room with a seat, on any process
 *
 * @param options Where Redis is, and the times to live.
 * @returns The directory; `close` ends its connection.
 */
export function redisDirectory(options: RedisDirectoryOptions): RedisRoomDirectory {
  return new RedisDirectory(options);
}

class RedisDirectory implements RedisRoomDirectory {
  readonly processTtlMs: number;
  private readonly connection: RedisConnection;
  /** The create requests over pub/sub (askCreate, serveCreate). */
  private readonly requests: RedisCreateRequests;
  /** The locks of withLock. */
  private readonly locks: RedisLocks;
  /** Processes a `putProcess` found unlisted, until a `refreshProcess` says so. */
  private readonly unlisted = new Set<string>();
  private readonly prefix: string;
  private readonly warnings = new Subject<RedisDirectoryWarning>();
  readonly warnings$ = this.warnings.asObservable();

  constructor(options: RedisDirectoryOptions) {
    this.processTtlMs = positive('processTtlMs', options.processTtlMs, DEFAULT_PROCESS_TTL_MS);
    const lockTtlMs = positive('lockTtlMs', options.lockTtlMs, DEFAULT_LOCK_TTL_MS);
    const lockWaitMs = positive('lockWaitMs', options.lockWaitMs, DEFAULT_LOCK_WAIT_MS);
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.connection = new RedisConnection(
      options.redis,
      positive('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS),
      (error) =>
        this.warnings.next({
          code: RedisDirectoryWarningCode.Connection,
          message: `Redis connection: ${error.message}`,
          error,
        }),
    );
    const warn = (warning: RedisDirectoryWarning): void => this.warnings.next(warning);
    this.requests = new RedisCreateRequests({
      connection: this.connection,
      server: options.redis,
      prefix: this.prefix,
      warn,
    });
    this.locks = new RedisLocks({
      connection: this.connection,
      prefix: this.prefix,
      ttlMs: lockTtlMs,
      waitMs: lockWaitMs,
      run: (operation, script, keys, args) => this.run(operation, script, keys, args),
      warn,
    });
  }

  async put(listing: RoomListing): Promise<void> {
    await this.run(
      'put',
      scripts.PUT,
      [],
      [
        listing.roomId,
        listing.processId,
        listing.mode,
        String(listing.maxPlayers),
        String(listing.players),
        listing.open ? '1' : '0',
        JSON.stringify(listing.metadata),
        String(listing.order),
      ],
    );
  }

  async update(roomId: string, change: RoomChange): Promise<void> {
    await this.run(
      'update',
      scripts.UPDATE,
      [],
      [
        roomId,
        change.open === undefined ? '' : change.open ? '1' : '0',
        change.metadata === undefined ? '' : JSON.stringify(change.metadata),
      ],
    );
  }

  async remove(roomId: string): Promise<void> {
    await this.run('remove', scripts.REMOVE, [], [roomId]);
  }

  async get(roomId: string): Promise<RoomListing | undefined> {
    const reply = await this.run('get', scripts.GET, [], [roomId]);
    return reply === null ? undefined : parseRoom('get', reply);
  }

  async list(query: RoomQuery, limit: number): Promise<RoomListing[]> {
    const reply = await this.run(
      'list',
      scripts.LIST,
      [],
      [
        query.mode === undefined ? '0' : '1',
        query.mode ?? '',
        query.size === undefined ? '' : String(query.size),
        query.available ? '1' : '0',
        String(
          Number.isNaN(limit)
            ? 0
            : Math.max(0, Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER)),
        ),
      ],
    );
    return parseList('list', reply).map((room) => parseRoom('list', room));
  }

  async reserve(mode: string, size: number): Promise<RoomListing | undefined> {
    const reply = await this.run('reserve', scripts.RESERVE, [], [mode, String(size)]);
    return reply === null ? undefined : parseRoom('reserve', reply);
  }

  async reserveIn(roomId: string): Promise<boolean> {
    return parseFlag('reserveIn', await this.run('reserveIn', scripts.RESERVE_IN, [], [roomId]));
  }

  async unreserve(roomId: string): Promise<void> {
    parseFlag('unreserve', await this.run('unreserve', scripts.UNRESERVE, [], [roomId]));
  }

  async hold(roomId: string, token: string, ttlMs: number): Promise<void> {
    if (!Number.isFinite(ttlMs) || ttlMs < 0)
      throw new RangeError(`a hold's ttlMs must be a finite number >= 0, not ${ttlMs}`);
    parseFlag('hold', await this.run('hold', scripts.HOLD, [], [roomId, token, String(ttlMs)]));
  }

  async claim(roomId: string, token: string): Promise<boolean> {
    return parseFlag('claim', await this.run('claim', scripts.CLAIM, [], [roomId, token]));
  }

  askCreate(
    processId: string,
    ask: CreateAsk,
    timeoutMs: number,
  ): Promise<RoomListing | undefined> {
    return this.requests.ask(processId, ask, timeoutMs);
  }

  serveCreate(processId: string, make: Make): () => void {
    return this.requests.serve(processId, make);
  }

  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.withLock(key, fn);
  }

  async nextOrder(): Promise<number> {
    const reply = await this.connection.call('nextOrder', (redis) =>
      redis.incr(`${this.prefix}order`),
    );
    return parseInteger('nextOrder', reply);
  }

  async putProcess(process: ProcessListing): Promise<void> {
    // A put that finds the process unlisted (Redis lost it) must not hide that from the next
    // refresh: Presence lists the rooms again when a refresh says so.
    if (await this.setProcess(process)) this.unlisted.add(process.processId);
  }

  async refreshProcess(process: ProcessListing): Promise<boolean> {
    const fresh = await this.setProcess(process);
    return this.unlisted.delete(process.processId) || fresh;
  }

  /** Sets a process's listing with its time to live: true when it was not listed. */
  private async setProcess(process: ProcessListing): Promise<boolean> {
    const reply = await this.run(
      'putProcess',
      scripts.REFRESH_PROCESS,
      [],
      [
        process.processId,
        JSON.stringify({
          processId: process.processId,
          address: process.address,
          load: process.load,
        }),
        String(this.processTtlMs),
      ],
    );
    return !parseFlag('putProcess', reply);
  }

  async removeProcess(processId: string): Promise<void> {
    await this.run('removeProcess', scripts.REMOVE_PROCESS, [], [processId]);
  }

  async processes(): Promise<ProcessListing[]> {
    const reply = await this.run('processes', scripts.PROCESSES, [], []);
    return parseList('processes', reply)
      .map((json) => parseProcess('processes', json))
      .sort((a, b) => (a.processId < b.processId ? -1 : a.processId > b.processId ? 1 : 0));
  }

  async close(): Promise<void> {
    this.requests.stop();
    this.warnings.complete();
    await Promise.all([this.requests.close(), this.connection.close()]);
  }

  /** Runs one of the directory's scripts (the key prefix is its first ARGV). */
  private run(
    operation: string,
    script: RedisScript,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    return this.connection.script(operation, script, keys, [this.prefix, ...args]);
  }
}

/** An option that must be a positive finite number of milliseconds. */
function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number of milliseconds, not ${value}`);
  return value;
}
