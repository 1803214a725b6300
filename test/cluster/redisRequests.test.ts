// The Redis directory's holds and create requests against a real redis-server: expiry by Redis's clock, keys cleaned, another process asked, bad messages ignored, Redis restarting.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisDirectoryOptions,
  type RedisDirectoryWarning,
  RedisDirectoryWarningCode,
  type RedisRoomDirectory,
  redisDirectory,
} from '../../src/cluster/redisDirectory.js';
import type { ProcessListing } from '../../src/rooms/RoomDirectory.js';
import { RedisServer, redisTestsRunnable } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { createAsk, listing } from '../rooms/directoryConformance.js';

const runnable = redisTestsRunnable();
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = 'test/cluster/fixtures/createServingProcess.ts';

let server: RedisServer | undefined;
const opened: RedisRoomDirectory[] = [];

function open(options: Partial<RedisDirectoryOptions> & { keyPrefix: string }): RedisRoomDirectory {
  if (!server) throw new Error('no redis-server');
  const dir = redisDirectory({ redis: server.url, processTtlMs: 60_000, ...options });
  opened.push(dir);
  return dir;
}

const freshPrefix = (): string => `t-${randomUUID()}:`;

const processListing = (processId: string): ProcessListing => ({
  processId,
  address: { host: '127.0.0.1', port: 7000 },
  load: 0,
});

/** A probe that counts a failed call (Redis away) as "not yet". */
const orFalse =
  <T>(probe: () => Promise<T>) =>
  async (): Promise<T | false> => {
    try {
      return await probe();
    } catch {
      return false;
    }
  };

describe.skipIf(!runnable)('the Redis directory: holds and create requests', () => {
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((dir) => dir.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });

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
    const raw = new Redis(server?.url ?? '');
    try {
      expect(await raw.exists(`${keyPrefix}holds:full`, `${keyPrefix}held`)).toBe(0);
      await dir.hold('full', 'c', 60_000);
      await dir.remove('full');
      expect(await raw.exists(`${keyPrefix}holds:full`, `${keyPrefix}held`)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('answers a create request from another process', async () => {
    const keyPrefix = freshPrefix();
    const dir = open({ keyPrefix });
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: repoRoot,
      env: { ...process.env, REDIS_URL: server?.url, KEY_PREFIX: keyPrefix, PROCESS_ID: 'far' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('ready'), {
        timeoutMs: 20_000,
        message: 'the child process to serve',
      });
      const made = await dir.askCreate('far', { ...createAsk, username: 'bob' }, 2_000);
      expect(made).toMatchObject({ processId: 'far', mode: 'duel', maxPlayers: 4 });
      expect(made?.metadata).toEqual({ for: 'bob' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      // No one serves it any more: undefined at once (no subscriber), not after the timeout.
      const started = performance.now();
      expect(await dir.askCreate('far', createAsk, 2_000)).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1_500);
    } finally {
      child.kill('SIGKILL');
    }
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
    const raw = new Redis(server?.url ?? '');
    try {
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
      const spy = new Redis(server?.url ?? '');
      try {
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
      } finally {
        spy.disconnect();
      }
      expect(
        warnings.filter((w) => w.code === RedisDirectoryWarningCode.BadMessage).length,
      ).toBeGreaterThanOrEqual(bad.length + 3);
      // Good requests are still answered.
      expect((await asking.askCreate('m', createAsk, 2_000))?.processId).toBe('m');
    } finally {
      raw.disconnect();
    }
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
  let own: RedisServer | undefined;
  const dirs: RedisRoomDirectory[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => d.close()));
    await own?.stop();
  });

  it('subscribes again when Redis is back: requests are answered again, and fail fast while it is away', async () => {
    own = await RedisServer.start();
    const options = { redis: own.url, commandTimeoutMs: 300 };
    const serving = redisDirectory(options);
    const asking = redisDirectory(options);
    dirs.push(serving, asking);
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
