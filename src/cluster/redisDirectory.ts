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
// Pub/sub channels (on a second, subscriber connection, made when first needed):
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
import { randomUUID } from 'node:crypto';
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
import {
  encodeCreateReply,
  encodeCreateRequest,
  parseCreateReply,
  parseCreateRequest,
} from './createMessages.js';
import { LockTimeoutError, RedisReplyError } from './errors.js';
import { RedisConnection } from './redisConnection.js';
import type { PresenceDirectory } from './presence.js';
import { parseFlag, parseInteger, parseList, parseProcess, parseRoom } from './redisReplies.js';
import * as scripts from './redisScripts.js';
import type { RedisScript } from './redisScripts.js';
import { RedisSubscriber } from './redisSubscriber.js';

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

/** What went wrong beside a call: a call that fails rejects; these are reported here. */
export const RedisDirectoryWarningCode = {
  /** The connection to Redis failed or was lost (the client reconnects by itself). */
  Connection: 'connection',
  /** A `withLock` holder's lock was gone when it was refreshed or released (it ran past its time to live while Redis was away). */
  LockLost: 'lock-lost',
  /** A message read on a pub/sub channel was not what it should be (bad JSON, a field missing or out of bounds): ignored. */
  BadMessage: 'bad-message',
  /** The `make` of `serveCreate` failed (threw or rejected): the asker was told no room was made. */
  CreateFailed: 'create-failed',
} as const;
/** One of {@link RedisDirectoryWarningCode}. */
export type RedisDirectoryWarningCode =
  (typeof RedisDirectoryWarningCode)[keyof typeof RedisDirectoryWarningCode];

/** A warning of the Redis directory. */
export interface RedisDirectoryWarning {
  /** What happened. */
  readonly code: RedisDirectoryWarningCode;
  /** For people. */
  readonly message: string;
  /** The error behind it, if any. */
  readonly error?: Error;
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

/** A create request sent and not answered yet. */
interface PendingAsk {
  /** The process asked (the room it answers with must be its own). */
  readonly processId: string;
  /** Settles the request (once). */
  readonly finish: (listing: RoomListing | undefined) => void;
}

type Make = (ask: CreateAsk) => Promise<RoomListing | undefined>;

class RedisDirectory implements RedisRoomDirectory {
  readonly processTtlMs: number;
  private readonly connection: RedisConnection;
  private readonly server: string | RedisOptions;
  /** The pub/sub connection, made by the first serveCreate or askCreate. */
  private subscriber: RedisSubscriber | undefined;
  /** This directory's reply channel. */
  private readonly replyChannel: string;
  private readonly asks = new Map<string, PendingAsk>();
  private readonly makers = new Map<string, Make>();
  /** Processes a `putProcess` found unlisted, until a `refreshProcess` says so. */
  private readonly unlisted = new Set<string>();
  private closed = false;
  private readonly prefix: string;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly warnings = new Subject<RedisDirectoryWarning>();
  readonly warnings$ = this.warnings.asObservable();

  constructor(options: RedisDirectoryOptions) {
    this.processTtlMs = positive('processTtlMs', options.processTtlMs, DEFAULT_PROCESS_TTL_MS);
    this.lockTtlMs = positive('lockTtlMs', options.lockTtlMs, DEFAULT_LOCK_TTL_MS);
    this.lockWaitMs = positive('lockWaitMs', options.lockWaitMs, DEFAULT_LOCK_WAIT_MS);
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.server = options.redis;
    this.replyChannel = `${this.prefix}reply:${randomUUID()}`;
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
    if (this.closed) return Promise.resolve(undefined);
    const id = randomUUID();
    return new Promise((resolve) => {
      const finish = (listing: RoomListing | undefined): void => {
        if (!this.asks.delete(id)) return;
        clearTimeout(timer);
        resolve(listing);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.asks.set(id, { processId, finish });
      void (async () => {
        try {
          await this.channels().subscribe(this.replyChannel, (message) => this.onReply(message));
          if (!this.asks.has(id)) return; // timed out meanwhile: nothing sent
          const request = encodeCreateRequest({ id, ask, replyTo: this.replyChannel });
          const receivers = await this.connection.call('askCreate', (redis) =>
            redis.publish(this.createChannel(processId), request),
          );
          // No one serves that process (it died, or does not make rooms): no answer will come.
          if (receivers === 0) finish(undefined);
        } catch (err) {
          this.warnConnection(`asking ${processId} for a room`, err);
          finish(undefined);
        }
      })();
    });
  }

  serveCreate(processId: string, make: Make): () => void {
    const channel = this.createChannel(processId);
    this.makers.set(processId, make);
    if (!this.closed)
      this.channels()
        .subscribe(channel, (message) => void this.onRequest(processId, message))
        .catch((err: unknown) => this.warnConnection(`serving ${processId}'s requests`, err));
    return () => {
      if (this.makers.get(processId) !== make) return;
      this.makers.delete(processId);
      this.subscriber?.unsubscribe(channel);
    };
  }

  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${this.prefix}lock:${key}`;
    const token = randomUUID();
    const started = performance.now();
    for (;;) {
      const reply: unknown = await this.connection.call('withLock', (redis) =>
        redis.set(lockKey, token, 'PX', this.lockTtlMs, 'NX'),
      );
      if (reply === 'OK') break;
      if (reply !== null)
        throw new RedisReplyError('withLock', `${JSON.stringify(reply)} to SET NX`);
      const waited = performance.now() - started;
      if (waited >= this.lockWaitMs) throw new LockTimeoutError(key, Math.round(waited));
      // Another holder has it: try again after a short random pause (holders are short).
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
    const refresh = setInterval(
      () => void this.refreshLock(key, lockKey, token),
      this.lockTtlMs / 3,
    );
    try {
      return await fn();
    } finally {
      clearInterval(refresh);
      await this.releaseLock(key, lockKey, token);
    }
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
    this.closed = true;
    for (const ask of [...this.asks.values()]) ask.finish(undefined);
    this.makers.clear();
    this.warnings.complete();
    await Promise.all([this.subscriber?.close(), this.connection.close()]);
  }

  /** The pub/sub connection, made at the first need. */
  private channels(): RedisSubscriber {
    this.subscriber ??= new RedisSubscriber(this.server, (error) =>
      this.warnConnection('Redis subscriber connection', error),
    );
    return this.subscriber;
  }

  private createChannel(processId: string): string {
    return `${this.prefix}create:${processId}`;
  }

  /** A create request for a process this directory serves: made, and answered. */
  private async onRequest(processId: string, message: string): Promise<void> {
    let request;
    try {
      request = parseCreateRequest(message);
      if (!request.replyTo.startsWith(`${this.prefix}reply:`))
        throw new RedisReplyError(
          'serveCreate',
          `reply channel ${request.replyTo} is not a directory's`,
        );
    } catch (err) {
      this.badMessage(`a create request to ${processId}`, err);
      return;
    }
    const make = this.makers.get(processId);
    if (!make) return;
    let listing: RoomListing | undefined;
    try {
      listing = await make(request.ask);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.warnings.next({
        code: RedisDirectoryWarningCode.CreateFailed,
        message: `making a room for a request to ${processId}: ${error.message}`,
        error,
      });
      listing = undefined;
    }
    if (this.closed) return;
    try {
      await this.connection.call('serveCreate', (redis) =>
        redis.publish(request.replyTo, encodeCreateReply({ id: request.id, listing })),
      );
    } catch (err) {
      this.warnConnection(`answering a create request to ${processId}`, err);
    }
  }

  /** A reply to one of this directory's create requests. */
  private onReply(message: string): void {
    let reply;
    try {
      reply = parseCreateReply(message);
    } catch (err) {
      this.badMessage('a create reply', err);
      return;
    }
    const ask = this.asks.get(reply.id);
    if (!ask) return; // too late: the asker went on without it
    if (reply.listing && reply.listing.processId !== ask.processId) {
      this.badMessage(
        'a create reply',
        new RedisReplyError(
          'askCreate',
          `room of ${reply.listing.processId}, not of ${ask.processId}`,
        ),
      );
      ask.finish(undefined);
      return;
    }
    ask.finish(reply.listing);
  }

  private badMessage(what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.warnings.next({
      code: RedisDirectoryWarningCode.BadMessage,
      message: `${what} ignored: ${error.message}`,
      error,
    });
  }

  /** Keeps a held lock alive while its holder runs. */
  private async refreshLock(key: string, lockKey: string, token: string): Promise<void> {
    try {
      const reply = await this.run(
        'withLock',
        scripts.REFRESH_LOCK,
        [lockKey],
        [token, String(this.lockTtlMs)],
      );
      if (!parseFlag('withLock', reply)) this.lockLost(key);
    } catch (err) {
      this.warnConnection(`refreshing lock ${JSON.stringify(key)}`, err);
    }
  }

  /** Lets go of a lock if it is still ours (a lock that expired may be someone else's now). */
  private async releaseLock(key: string, lockKey: string, token: string): Promise<void> {
    try {
      const reply = await this.run('withLock', scripts.RELEASE_LOCK, [lockKey], [token]);
      if (!parseFlag('withLock', reply)) this.lockLost(key);
    } catch (err) {
      // Redis is away: the lock expires by itself within lockTtlMs.
      this.warnConnection(`releasing lock ${JSON.stringify(key)}`, err);
    }
  }

  private lockLost(key: string): void {
    this.warnings.next({
      code: RedisDirectoryWarningCode.LockLost,
      message: `lock ${JSON.stringify(key)} expired while its holder ran`,
    });
  }

  private warnConnection(what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.warnings.next({
      code: RedisDirectoryWarningCode.Connection,
      message: `${what}: ${error.message}`,
      error,
    });
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
