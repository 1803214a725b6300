// The Redis directory's holds and create requests against a real redis-server: expiry by Redis's clock, keys cleaned, another process asked, bad messages ignored, Redis restarting.
import { describe, expect, it } from 'vitest';
import {
  type RedisDirectoryWarning,
  RedisDirectoryWarningCode,
} from '../../src/cluster/redisDirectory.js';
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
import { createAsk, listing } from '../rooms/directoryConformance.js';

const runnable = redisTestsRunnable();
const fixture = 'test/cluster/fixtures/createServingProcess.ts';

describe.skipIf(!runnable)('the Redis directory: holds and create requests', () => {
  const redis = useRedisDirectories({ processTtlMs: 60_000 });
  const { open } = redis;

  it("expires a hold by Redis's clock even in a full room no free list holds, and leaves no key behind", async () => {
    const keyPrefix = freshPrefix();
    const dir = open({ keyPrefix });
    await dir.putProcess(processListing('p1'));
    await dir.put(listing('full', { order: 1, maxPlayers: 2 }));
    expect(await dir.reserveIn('full')).toBe(true);
    expect(await dir.reserveIn('full')).toBe(true);
    await dir.hold('full', 'a', 150);
    await dir.hold('full', 'b', 60_000);
    expect(await dir.reserve('duel', 2)).toBeUndefined();
    // reserve (not a read of the room itself) gives the expired seat back and takes it.
    const got = await waitFor(() => dir.reserve('duel', 2), {
      timeoutMs: 3_000,
      message: 'the expired hold to give its seat back',
    });
    expect(got.players).toBe(2);
    expect(await dir.claim('full', 'a')).toBe(false);
    expect(await dir.claim('full', 'b')).toBe(true);
    await withRedis(redis.url, async (raw) => {
      expect(await raw.exists(`${keyPrefix}holds:full`, `${keyPrefix}held`)).toBe(0);
      await dir.hold('full', 'c', 60_000);
      await dir.remove('full');
      expect(await raw.exists(`${keyPrefix}holds:full`, `${keyPrefix}held`)).toBe(0);
    });
  });

  it('answers a create request from another process', async () => {
    const keyPrefix = freshPrefix();
    const dir = open({ keyPrefix });
    await withFixtureProcess(
      fixture,
      { REDIS_URL: redis.url, KEY_PREFIX: keyPrefix, PROCESS_ID: 'far' },
      'the child process to serve',
      async (child) => {
        const made = await dir.askCreate('far', { ...createAsk, username: 'bob' }, 2_000);
        expect(made).toMatchObject({ processId: 'far', mode: 'duel', maxPlayers: 4 });
        expect(made?.metadata).toEqual({ for: 'bob' });
        await killAndWait(child);
        // No one serves it any more: undefined at once (no subscriber), not after the timeout.
        const started = performance.now();
        expect(await dir.askCreate('far', createAsk, 2_000)).toBeUndefined();
        expect(performance.now() - started).toBeLessThan(1_500);
      },
    );
  });

  it('ignores bad messages with a warning, and still answers good ones', async () => {
    const keyPrefix = freshPrefix();
    const serving = open({ keyPrefix });
    const asking = open({ keyPrefix });
    const warnings: RedisDirectoryWarning[] = [];
    serving.warnings$.subscribe((w) => warnings.push(w));
    asking.warnings$.subscribe((w) => warnings.push(w));
    let makes = 0;
    serving.serveCreate('m', () => {
      makes++;
      return Promise.resolve(listing(`m-${makes}`, { processId: 'm' }));
    });
    await waitFor(() => asking.askCreate('m', createAsk, 1_000), { timeoutMs: 5_000 });
    const before = makes;
    await withRedis(redis.url, async (raw) => {
      const channel = `${keyPrefix}create:m`;
      const good = { id: 'x', ask: createAsk, replyTo: `${keyPrefix}reply:x` };
      const bad = [
        '{not json',
        JSON.stringify([1, 2]),
        JSON.stringify({ ...good, ask: { ...createAsk, size: 0 } }),
        JSON.stringify({ ...good, ask: { ...createAsk, size: 1.5 } }),
        JSON.stringify({ ...good, ask: { ...createAsk, mode: 7 } }),
        JSON.stringify({ ...good, ask: { ...createAsk, username: 'u'.repeat(1_000) } }),
        JSON.stringify({ ...good, replyTo: 'elsewhere' }), // not a directory's reply channel
      ];
      for (const message of bad) expect(await raw.publish(channel, message)).toBe(1);
      await waitFor(
        () =>
          warnings.filter((w) => w.code === RedisDirectoryWarningCode.BadMessage).length >=
          bad.length,
        { timeoutMs: 3_000, message: 'every bad request to be reported' },
      );
      expect(makes).toBe(before);

      // A forged reply to a pending ask: a bad one is ignored, one naming another process's
      // room ends the ask with no room.
      const replies: string[] = [];
      await withRedis(redis.url, async (spy) => {
        await spy.psubscribe(`${keyPrefix}create:*`);
        spy.on('pmessage', (_p: string, _c: string, m: string) => replies.push(m));
        const pending = asking.askCreate('nobody-answers', createAsk, 5_000);
        const request = await waitFor(() => replies[0], { timeoutMs: 3_000 });
        const { id, replyTo } = JSON.parse(request) as { id: string; replyTo: string };
        await raw.publish(replyTo, JSON.stringify({ id, listing: ['roomId'] }));
        await raw.publish(replyTo, '{');
        await raw.publish(
          replyTo,
          JSON.stringify({
            id,
            listing: [
              'roomId',
              'x',
              'processId',
              'someone-else',
              'mode',
              'duel',
              'maxPlayers',
              '4',
              'players',
              '0',
              'open',
              '1',
              'metadata',
              '{}',
              'order',
              '1',
            ],
          }),
        );
        expect(await pending).toBeUndefined();
      });
      expect(
        warnings.filter((w) => w.code === RedisDirectoryWarningCode.BadMessage).length,
      ).toBeGreaterThanOrEqual(bad.length + 3);
      // Good requests are still answered.
      expect((await asking.askCreate('m', createAsk, 2_000))?.processId).toBe('m');
    });
  });

  it('reports a make that throws, and answers no room at once', async () => {
    const keyPrefix = freshPrefix();
    const serving = open({ keyPrefix });
    const asking = open({ keyPrefix });
    const warnings: RedisDirectoryWarning[] = [];
    serving.warnings$.subscribe((w) => warnings.push(w));
    let ready = false;
    serving.serveCreate('m', () => {
      if (!ready) return Promise.resolve(undefined);
      throw new Error('no rooms today');
    });
    // Served once an answer (undefined, but quick) comes.
    await waitFor(
      async () => {
        const started = performance.now();
        await asking.askCreate('m', createAsk, 1_000);
        return performance.now() - started < 900;
      },
      { timeoutMs: 5_000 },
    );
    ready = true;
    const started = performance.now();
    expect(await asking.askCreate('m', createAsk, 2_000)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(warnings.map((w) => w.code)).toContain(RedisDirectoryWarningCode.CreateFailed);
  });
});

describe.skipIf(!runnable)('create requests across a Redis restart', () => {
  const redis = useRedisDirectories({ commandTimeoutMs: 300 });

  it('subscribes again when Redis is back: requests are answered again, and fail fast while it is away', async () => {
    const own = redis.server;
    const keyPrefix = freshPrefix();
    const serving = redis.open({ keyPrefix });
    const asking = redis.open({ keyPrefix });
    serving.serveCreate('s', () => Promise.resolve(listing('s-room', { processId: 's' })));
    await waitFor(() => asking.askCreate('s', createAsk, 1_000), { timeoutMs: 5_000 });

    await own.stop();
    const started = performance.now();
    expect(await asking.askCreate('s', createAsk, 1_000)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);

    await own.restart(); // empty: it knows no subscriptions
    const again = await waitFor(
      orFalse(() => asking.askCreate('s', createAsk, 500)),
      { timeoutMs: 10_000, message: 'create requests to be answered after the restart' },
    );
    expect(again.roomId).toBe('s-room');
  });
});
