// The Redis room directory against a real redis-server: the directory suite, seats under concurrency, processes that die, Redis restarting.
import { describe, expect, it } from 'vitest';
import {
  LockTimeoutError,
  RedisReplyError,
  RedisUnavailableError,
} from '../../src/cluster/errors.js';
import { Presence, type PresenceWarning, PresenceWarningCode } from '../../src/cluster/presence.js';
import type { RoomListing } from '../../src/rooms/RoomDirectory.js';
import {
  freshPrefix,
  killAndWait,
  orFalse,
  processListing,
  useRedisDirectories,
  withFixtureProcess,
  withRedis,
} from '../helpers/redisDirectories.js';
import { redisTestsRunnable } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { describeDirectory, listing } from '../rooms/directoryConformance.js';

const runnable = redisTestsRunnable();
const fixture = 'test/cluster/fixtures/presenceProcess.ts';

describe.skipIf(!runnable)('the Redis room directory', () => {
  // Each test has its own key prefix.
  const redis = useRedisDirectories();
  const { open } = redis;

  // The suite's rooms are held by process p1 (its `listing` default): it is registered, live
  // for the whole test, since the Redis directory lists only the rooms of live processes.
  describeDirectory('redis', async () => {
    const keyPrefix = freshPrefix();
    const dir = open({ keyPrefix, processTtlMs: 60_000 });
    const other = open({ keyPrefix, processTtlMs: 60_000 });
    await dir.putProcess(processListing('p1', 1));
    return { dir, other, done: () => Promise.resolve() };
  });

  it('fills 10 rooms of 4 exactly from 40 concurrent reservations over 3 handles, and refuses the 41st', async () => {
    const keyPrefix = freshPrefix();
    const handles = [open({ keyPrefix }), open({ keyPrefix }), open({ keyPrefix })];
    await handles[0].putProcess(processListing('p1'));
    for (let i = 0; i < 10; i++)
      await handles[i % 3].put(listing(`r${i}`, { order: await handles[0].nextOrder() }));
    // A full room and a closed one of the same mode and size, and a room of another size.
    await handles[0].put(listing('full', { order: 0, players: 4 }));
    await handles[0].put(listing('closed', { order: 0, open: false }));
    await handles[0].put(listing('big', { order: 0, maxPlayers: 8 }));

    const got = await Promise.all(
      Array.from({ length: 40 }, (_, i) => handles[i % 3].reserve('duel', 4)),
    );
    const seats = new Map<string, number>();
    for (const room of got) {
      expect(room).toBeDefined();
      if (room) seats.set(room.roomId, (seats.get(room.roomId) ?? 0) + 1);
    }
    expect([...seats.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`).sort());
    expect([...seats.values()]).toEqual(Array(10).fill(4));
    for (let i = 0; i < 10; i++) expect((await handles[1].get(`r${i}`))?.players).toBe(4);
    expect(await handles[2].reserve('duel', 4)).toBeUndefined();
    expect(await handles[2].list({ mode: 'duel', size: 4, available: true }, 100)).toEqual([]);
    expect((await handles[0].get('big'))?.players).toBe(0);
  });

  it('gives a seat back to the free rooms, in order', async () => {
    const dir = open({ keyPrefix: freshPrefix() });
    await dir.putProcess(processListing('p1'));
    await dir.put(listing('a', { order: 1, maxPlayers: 1 }));
    await dir.put(listing('b', { order: 2, maxPlayers: 1 }));
    expect((await dir.reserve('duel', 1))?.roomId).toBe('a');
    expect((await dir.reserve('duel', 1))?.roomId).toBe('b');
    await dir.unreserve('b');
    await dir.unreserve('a');
    const free = await dir.list({ mode: 'duel', size: 1, available: true }, 10);
    expect(free.map((r) => r.roomId)).toEqual(['a', 'b']);
    await dir.unreserve('a'); // no seat taken: nothing
    expect((await dir.get('a'))?.players).toBe(0);
  });

  it('lists free rooms by mode and size, by mode, and of every mode, as seats come and go', async () => {
    const dir = open({ keyPrefix: freshPrefix() });
    await dir.putProcess(processListing('p1'));
    await dir.put(listing('d2', { order: 1, maxPlayers: 2 }));
    await dir.put(listing('d4', { order: 2 }));
    await dir.put(listing('f8', { order: 3, mode: 'ffa', maxPlayers: 8 }));
    await dir.put(listing('shut', { order: 4, open: false }));
    const free = async (query: { mode?: string; size?: number }) =>
      (await dir.list({ ...query, available: true }, 10)).map((r) => r.roomId);
    expect(await free({})).toEqual(['d2', 'd4', 'f8']);
    expect(await free({ mode: 'duel' })).toEqual(['d2', 'd4']);
    expect(await free({ mode: 'duel', size: 2 })).toEqual(['d2']);
    await dir.reserve('duel', 2);
    await dir.reserve('duel', 2); // d2 full
    expect(await free({})).toEqual(['d4', 'f8']);
    expect(await free({ mode: 'duel' })).toEqual(['d4']);
    await dir.unreserve('d2');
    expect(await free({ mode: 'duel' })).toEqual(['d2', 'd4']);
    await dir.update('shut', { open: true });
    expect(await free({ mode: 'duel', size: 4 })).toEqual(['d4', 'shut']);
    await dir.put(listing('d4', { order: 2, mode: 'ffa' })); // listed again as another mode
    expect(await free({ mode: 'duel' })).toEqual(['d2', 'shut']);
    expect(await free({ mode: 'ffa' })).toEqual(['d4', 'f8']);
    await dir.remove('f8');
    expect(await free({})).toEqual(['d2', 'd4', 'shut']);
    expect(await dir.list({ mode: 'duel' }, 10)).toHaveLength(2);
    expect(await dir.list({}, Infinity)).toHaveLength(3);
    expect(await dir.list({}, 0)).toEqual([]);
  });

  it('rejects a reply that is not a room with RedisReplyError', async () => {
    const keyPrefix = freshPrefix();
    const dir = open({ keyPrefix });
    await dir.putProcess(processListing('p1'));
    await dir.put(listing('bad'));
    await withRedis(redis.url, async (raw) => {
      await raw.hset(`${keyPrefix}room:bad`, 'players', 'lots');
      await expect(dir.get('bad')).rejects.toBeInstanceOf(RedisReplyError);
      await raw.hset(`${keyPrefix}room:bad`, 'players', '0', 'metadata', '{not json');
      await expect(dir.list({}, 10)).rejects.toThrow(/metadata is not JSON/);
      await raw.set(`${keyPrefix}proc:p1`, '{"processId":"p1"}');
      await expect(dir.processes()).rejects.toThrow(/process p1 has no load/);
    });
  });

  it('gives up on a lock another holder keeps, with LockTimeoutError', async () => {
    const keyPrefix = freshPrefix();
    const a = open({ keyPrefix });
    const b = open({ keyPrefix, lockWaitMs: 100 });
    let release = (): void => undefined;
    let inside = (): void => undefined;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const held = a.withLock(
      'k',
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
          inside();
        }),
    );
    await entered;
    await expect(b.withLock('k', () => Promise.resolve(1))).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    release();
    await held;
    expect(await b.withLock('k', () => Promise.resolve(2))).toBe(2);
  });

  it('keeps a lock for a holder slower than its time to live', async () => {
    const keyPrefix = freshPrefix();
    const LOCK_TTL_MS = 150;
    const a = open({ keyPrefix, lockTtlMs: LOCK_TTL_MS });
    const b = open({ keyPrefix, lockTtlMs: LOCK_TTL_MS, lockWaitMs: 5_000 });
    await withRedis(redis.url, async (raw) => {
      const log: string[] = [];
      let inside = (): void => undefined;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      let finish = (): void => undefined;
      const slow = a.withLock('k', async () => {
        log.push('a+');
        inside();
        await new Promise<void>((resolve) => (finish = resolve));
        log.push('a-');
      });
      await entered;
      const next = b.withLock('k', () => {
        log.push('b');
        return Promise.resolve();
      });
      // The holder runs until its lock was refreshed 4 times (4/3 of its time to live): b waits.
      let refreshes = 0;
      let last = LOCK_TTL_MS;
      await waitFor(
        async () => {
          const ttl = await raw.pttl(`${keyPrefix}lock:k`);
          if (ttl > last) refreshes++;
          last = ttl;
          return refreshes >= 4;
        },
        { intervalMs: 5, message: 'the lock to be refreshed 4 times' },
      );
      expect(log).toEqual(['a+']);
      finish();
      await Promise.all([slow, next]);
      expect(log).toEqual(['a+', 'a-', 'b']);
    });
  });

  describe('processes', () => {
    const TTL_MS = 600;

    it('a process whose heartbeat stops is gone, with its rooms, within the time to live', async () => {
      const keyPrefix = freshPrefix();
      const dying = open({ keyPrefix, processTtlMs: TTL_MS });
      const living = open({ keyPrefix, processTtlMs: TTL_MS });
      const rooms = (pid: string): RoomListing[] => [
        listing(`${pid}-1`, { processId: pid, order: pid === 'dying' ? 1 : 3 }),
        listing(`${pid}-2`, { processId: pid, order: pid === 'dying' ? 2 : 4 }),
      ];
      const presences = ['dying', 'living'].map(
        (pid, i) =>
          new Presence({
            directory: i === 0 ? dying : living,
            process: () => processListing(pid, 7000 + i),
            rooms: () => rooms(pid),
          }),
      );
      await Promise.all(presences.map((p) => p.start()));
      for (const pid of ['dying', 'living']) for (const room of rooms(pid)) await living.put(room);
      expect((await living.processes()).map((p) => p.processId)).toEqual(['dying', 'living']);
      expect((await living.reserve('duel', 4))?.roomId).toBe('dying-1');

      await presences[0].stop({ unregister: false }); // as if it died: nothing taken off
      const stopped = performance.now();
      await waitFor(async () => (await living.processes()).length === 1, {
        timeoutMs: TTL_MS * 4,
        message: 'the dead process to expire',
      });
      // The time to live, and as long again for the polling of a loaded machine.
      expect(performance.now() - stopped).toBeLessThan(TTL_MS * 2);
      expect((await living.processes()).map((p) => p.processId)).toEqual(['living']);
      expect((await living.list({}, 10)).map((r) => r.roomId)).toEqual(['living-1', 'living-2']);
      expect(await living.get('dying-1')).toBeUndefined();
      // Matchmaking now goes to the live process's rooms.
      expect((await living.reserve('duel', 4))?.roomId).toBe('living-1');
      await presences[1].stop();
    });

    it('a process killed with SIGKILL is gone, with its rooms, within the time to live', async () => {
      const keyPrefix = freshPrefix();
      const dir = open({ keyPrefix, processTtlMs: TTL_MS });
      await withFixtureProcess(
        fixture,
        {
          REDIS_URL: redis.url,
          KEY_PREFIX: keyPrefix,
          PROCESS_ID: 'doomed',
          PROCESS_TTL_MS: String(TTL_MS),
        },
        'the child process to list itself',
        async (child) => {
          expect((await dir.processes()).map((p) => p.processId)).toEqual(['doomed']);
          expect((await dir.list({}, 10)).map((r) => r.roomId)).toEqual(['doomed-1', 'doomed-2']);
          await killAndWait(child);
          const killed = performance.now();
          await waitFor(async () => (await dir.list({}, 10)).length === 0, {
            timeoutMs: TTL_MS * 4,
            message: 'the killed process to expire',
          });
          // The time to live, and as long again for the polling of a loaded machine.
          expect(performance.now() - killed).toBeLessThan(TTL_MS * 2);
          expect(await dir.processes()).toEqual([]);
          expect(await dir.reserve('duel', 4)).toBeUndefined();
        },
      );
    });

    it('a process whose rooms expired before anyone listed them is dropped whole by `processes`', async () => {
      const keyPrefix = freshPrefix();
      const dir = open({ keyPrefix, processTtlMs: 100 });
      await dir.putProcess(processListing('gone'));
      await dir.put(listing('g', { processId: 'gone' }));
      await waitFor(async () => (await dir.processes()).length === 0, { timeoutMs: 2_000 });
      await withRedis(redis.url, async (raw) => {
        expect(await raw.keys(`${keyPrefix}*`)).toEqual([]);
      });
    });

    it('a putProcess that finds the process unlisted leaves it to the next refresh to say so', async () => {
      const keyPrefix = freshPrefix();
      const dir = open({ keyPrefix, processTtlMs: 60_000 });
      expect(await dir.refreshProcess(processListing('p'))).toBe(true);
      expect(await dir.refreshProcess(processListing('p'))).toBe(false);
      await withRedis(redis.url, async (raw) => {
        await raw.del(`${keyPrefix}proc:p`); // as Redis restarting empty does
      });
      await dir.putProcess(processListing('p')); // a load change, before the heartbeat
      expect(await dir.refreshProcess(processListing('p'))).toBe(true); // rooms to list again
      expect(await dir.refreshProcess(processListing('p'))).toBe(false);
    });

    it('a clean stop takes the process and its rooms off at once', async () => {
      const keyPrefix = freshPrefix();
      const dir = open({ keyPrefix, processTtlMs: 60_000 });
      const presence = new Presence({
        directory: dir,
        process: () => processListing('p'),
        rooms: () => [],
      });
      await presence.start();
      await dir.put(listing('r', { processId: 'p' }));
      expect(await dir.processes()).toHaveLength(1);
      await presence.stop();
      expect(presence.state).toBe('stopped');
      expect(await dir.processes()).toEqual([]);
      expect(await dir.get('r')).toBeUndefined();
    });
  });
});

describe.skipIf(!runnable)('Redis restarting under a running presence', () => {
  const redis = useRedisDirectories({ processTtlMs: 600, commandTimeoutMs: 300 });

  it('lists the process and its rooms again when Redis is back, and nothing throws', async () => {
    const own = redis.server;
    const keyPrefix = freshPrefix();
    const dir = redis.open({ keyPrefix });
    const other = redis.open({ keyPrefix });
    const myRooms = [
      listing('room-a', { processId: 'me', order: 41, players: 2 }),
      listing('room-b', { processId: 'me', order: 42, mode: 'ffa', maxPlayers: 8 }),
    ];
    const warnings: PresenceWarning[] = [];
    const presence = new Presence({
      directory: dir,
      process: () => ({ ...processListing('me'), load: 2 }),
      rooms: () => myRooms,
    });
    presence.warnings$.subscribe((w) => warnings.push(w));
    await presence.start();
    for (const room of myRooms) await dir.put(room);
    expect((await other.list({}, 10)).map((r) => r.roomId)).toEqual(['room-a', 'room-b']);

    await own.restart(); // empty: no persistence
    const rebuilt = await waitFor(
      orFalse(async () => {
        const [procs, rooms] = await Promise.all([other.processes(), other.list({}, 10)]);
        return procs.length === 1 && rooms.length === 2 && { procs, rooms };
      }),
      { timeoutMs: 10_000, message: 'the directory to be rebuilt' },
    );
    expect(rebuilt.procs).toEqual([{ ...processListing('me'), load: 2 }]);
    expect(rebuilt.rooms).toEqual(myRooms);
    // New rooms go after the ones listed again, although Redis forgot the counter.
    expect(await other.nextOrder()).toBeGreaterThan(42);

    // Away for longer: heartbeats fail (warned, not thrown), then the directory is rebuilt.
    await own.stop();
    await waitFor(() => warnings.some((w) => w.code === PresenceWarningCode.HeartbeatFailed), {
      timeoutMs: 5_000,
      message: 'a failed heartbeat to be reported',
    });
    // A call while Redis is away fails with RedisUnavailableError after commandTimeoutMs.
    await expect(other.reserve('duel', 4)).rejects.toBeInstanceOf(RedisUnavailableError);
    await own.restart();
    const again = await waitFor(
      orFalse(async () => {
        const rooms = await other.list({}, 10);
        return rooms.length === 2 && rooms;
      }),
      { timeoutMs: 10_000, message: 'the directory to be rebuilt again' },
    );
    expect(again).toEqual(myRooms);
    expect((await other.reserve('duel', 4))?.roomId).toBe('room-a');
    await presence.stop();
    expect(await other.processes()).toEqual([]);
    // What failed while Redis was away was reported, not thrown.
    for (const w of warnings) expect(w.error).toBeInstanceOf(Error);
  });
});
