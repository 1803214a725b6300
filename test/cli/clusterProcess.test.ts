// A cluster from the real command line, as child processes on a real redis-server: two
// `server --redis` processes and bots asking through either, a Redis that does not answer,
// bad flags, and `demo --cluster 3` end to end (and without redis-server).
import { createConnection } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, freePort, redisTestsRunnable } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/waitFor.js';
import { cli, exitOf, killChildren, type Running } from './cliProcess.js';

const runnable = redisTestsRunnable();

let redis: RedisServer | undefined;
beforeAll(async () => {
  if (runnable) redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(killChildren);

/** Whether something accepts TCP connections on 127.0.0.1:`port` now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A server's process id and TCP port, once it has printed both. */
async function started(server: Running): Promise<{ processId: string; port: number }> {
  const m = await waitFor(
    () =>
      /^cluster process (p-\S+): rooms listed in Redis at (\S+) with the other processes'; players sent here at 127\.0\.0\.1:(\d+) .*\nlistening tcp 127\.0\.0\.1:(\d+) .*; rooms mode: 0 rooms made, join-or-create on/m.exec(
        server.stdout(),
      ),
    { timeoutMs: 20_000, message: 'the server to print its process id and ports' },
  );
  expect(m[3]).toBe(m[4]);
  return { processId: m[1], port: Number(m[4]) };
}

/** Waits for a process's exit; if it does not come in time, SIGTERM (its clean stop), then fail. */
async function exitWithin(run: Running, timeoutMs: number, what: string): Promise<number | string> {
  try {
    return await exitOf(run, timeoutMs, what);
  } catch (err) {
    run.child.kill('SIGTERM');
    await exitOf(run, 20_000, `${what} after SIGTERM`).catch(() => undefined);
    throw new Error(`${String(err)}\n${run.stdout()}\n${run.stderr()}`);
  }
}

const CHECKSUM = /final checksum (0x[0-9a-f]{8}) after tick (\d+)/;

describe.skipIf(!runnable)('game-network server --redis', () => {
  it('two processes on one Redis: bots asking either share one room, held by one process; the other logs nothing of it', async () => {
    const url = redis!.url;
    const a = cli(['server', '--port', '0', '--redis', url, '--max-players', '4']);
    const b = cli(['server', '--port', '0', '--redis', url, '--process-ttl', '3000']);
    const [pa, pb] = await Promise.all([started(a), started(b)]);
    expect(pa.processId).not.toBe(pb.processId);

    // ann first, through a: a makes the room. bob through b: the room is on a, so b redirects
    // him there and his client follows.
    const bot = (name: string, port: number) =>
      cli([
        'bot',
        '--connect',
        `127.0.0.1:${port}`,
        '--name',
        name,
        '--mode',
        'duel',
        '--size',
        '2',
        '--ticks',
        '30',
      ]);
    const ann = bot('ann', pa.port);
    const made = await waitFor(
      () => /^\S+ room (r-\S+) made: mode duel, 2 slots$/m.exec(a.stdout()),
      {
        timeoutMs: 20_000,
        message: 'process a to make ann a room',
      },
    );
    const bob = bot('bob', pb.port);
    const codes = await Promise.all([
      exitWithin(ann, 30_000, 'ann to exit'),
      exitWithin(bob, 30_000, 'bob to exit'),
    ]);
    for (const [i, p] of [ann, bob].entries()) {
      expect(codes[i], p.stdout() + p.stderr()).toBe(0);
      expect(p.stderr()).toBe('');
      expect(p.stdout()).toMatch(
        new RegExp(`in room ${made[1]} \\(join-or-create: mode duel, size 2\\)`),
      );
    }
    expect(CHECKSUM.exec(ann.stdout())?.[1]).toBe(CHECKSUM.exec(bob.stdout())?.[1]);

    // Both played in a's room; b never held it, nor logged the redirect.
    await waitFor(() => /\] leave ann /.test(a.stdout()) && /\] leave bob /.test(a.stdout()), {
      timeoutMs: 10_000,
      message: 'process a to log both leaves',
    });
    expect(a.stdout()).toMatch(new RegExp(`^\\S+ \\[${made[1]}\\] join ann \\(player 0\\)`, 'm'));
    expect(a.stdout()).toMatch(new RegExp(`^\\S+ \\[${made[1]}\\] join bob \\(player 1\\)`, 'm'));
    expect(b.stdout()).not.toContain(made[1]);
    expect(b.stdout().trimEnd().split('\n')).toHaveLength(2); // its cluster and listening lines only

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await exitWithin(a, 15_000, 'a to close')).toBe(0);
    expect(await exitWithin(b, 15_000, 'b to close')).toBe(0);
    expect(a.stdout()).toMatch(/closing\n.*closed\n$/);
    expect(a.stderr() + b.stderr()).toBe('');
  }, 90_000);

  it('exits 1 at start, naming --redis, when Redis does not answer', async () => {
    const port = await freePort();
    const s = cli(['server', '--port', '0', '--redis', `redis://127.0.0.1:${port}`]);
    expect(await exitWithin(s, 20_000, 'the server to give up')).toBe(1);
    expect(s.stdout()).toBe('');
    expect(s.stderr()).toMatch(
      new RegExp(
        `^game-network server: cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(--redis\\): `,
      ),
    );
  }, 30_000);

  it('bad values exit 2 naming the flag, before anything starts', async () => {
    const cases: [string[], RegExp][] = [
      [['--redis', 'http://127.0.0.1:6379'], /--redis must be a redis:\/\/ URL/],
      [['--redis', redis!.url, '--process-ttl', '10'], /--process-ttl must be an integer from 500/],
      [['--redis', redis!.url, '--public-host', 'a b'], /--public-host must be a host name/],
      [['--public-host', 'example.com'], /--public-host goes with --redis/],
    ];
    const runs = cases.map(([args]) => cli(['server', '--port', '0', ...args]));
    const codes = await Promise.all(runs.map((r) => exitWithin(r, 20_000, 'a bad server line')));
    for (const [i, [, message]] of cases.entries()) {
      expect(codes[i]).toBe(2);
      expect(runs[i].stdout()).toBe('');
      expect(runs[i].stderr()).toMatch(message);
      expect(runs[i].stderr()).toMatch(/Run 'game-network server --help' for usage\.\n$/);
    }
  }, 30_000);
});

describe.skipIf(!runnable)('game-network demo --cluster', () => {
  it('--cluster 3: Redis, 3 server processes, 4 rooms of 4 bots through random processes; each room on one process, every room agrees; all stopped, exit 0', async () => {
    const demo = cli(['demo', '--cluster', '3', '--ticks', '120']);
    const code = await exitWithin(demo, 120_000, 'the cluster demo to exit');
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    expect(demo.stderr()).toBe('');
    expect(out).toMatch(
      /^game-network demo: a cluster of 3 server processes on one Redis, 4 rooms of 4 bots, 120 ticks at 60 Hz, 10\.0% loss/m,
    );
    const redisPort = Number(
      /^redis-server on 127\.0\.0\.1:(\d+) \(no persistence\)$/m.exec(out)?.[1],
    );
    const procs = [...out.matchAll(/^process (\d): (p-\S+), tcp 127\.0\.0\.1:(\d+)$/gm)];
    expect(procs.map((p) => p[1])).toEqual(['1', '2', '3']);
    expect(new Set(procs.map((p) => p[2])).size).toBe(3);

    // While joining: each room on one process, its bots asking through random ones.
    const placed = [
      ...out.matchAll(
        /^room (\d): (r-\S+) on process (\d); its bots asked processes ([1-3](?:, [1-3]){3}) \((\d) redirects?\)$/gm,
      ),
    ];
    expect(placed.map((p) => p[1])).toEqual(['1', '2', '3', '4']);
    for (const [, , , owner, asked, redirects] of placed)
      expect(Number(redirects)).toBe(asked.split(', ').filter((k) => k !== owner).length);
    const asked = new Set(placed.flatMap((p) => p[4].split(', ')));
    expect(asked.size).toBeGreaterThan(1);

    expect(out).toMatch(
      /^4 rooms ran ticks 0\.\.119 on 3 processes, .* \(Redis and the server processes stopped\)$/m,
    );
    const lines = [...out.matchAll(/^room (\d) (r-\S+) on process (\d): (.*): (agree|DIFFER)$/gm)];
    expect(lines.map((l) => l[1])).toEqual(['1', '2', '3', '4']);
    expect(new Set(lines.map((l) => l[2])).size).toBe(4);
    const roomSums: string[] = [];
    for (const [i, [, n, id, owner, bots, verdict]] of lines.entries()) {
      expect([id, owner]).toEqual([placed[i][2], placed[i][3]]);
      const sums = [...bots.matchAll(/bot-(\d)-\d (0x[0-9a-f]{8})/g)];
      expect(sums).toHaveLength(4);
      for (const [, room] of sums) expect(room).toBe(n); // the 4 bots that asked together share a room
      expect(new Set(sums.map((s) => s[2])).size).toBe(1);
      roomSums.push(sums[0][2]);
      expect(verdict).toBe('agree');
    }
    expect(new Set(roomSums).size).toBeGreaterThan(1); // each room its own game

    // Which process holds which room: every room listed once, on the process it was made on;
    // several processes used.
    const holding = [
      ...out.matchAll(
        /^process (\d) (p-\S+) \(tcp 127\.0\.0\.1:(\d+)\): (no rooms|\d rooms?: (.*))$/gm,
      ),
    ];
    expect(holding.map((h) => h[1])).toEqual(['1', '2', '3']);
    const held = holding.flatMap((h) =>
      (h[5] ?? '')
        .split(', ')
        .filter(Boolean)
        .map((id): [string, string] => [id, h[1]]),
    );
    expect(new Map(held)).toEqual(new Map(lines.map((l) => [l[2], l[3]])));
    expect(held).toHaveLength(4);
    const used = new Set(lines.map((l) => l[3])).size;
    expect(used).toBeGreaterThan(1);
    expect(out).toMatch(
      new RegExp(
        `^OK: all 4 rooms agree: in each, its 4 bots have the same checksum after tick 119; each room on one process, ${used} of 3 processes holding rooms; no desync`,
        'm',
      ),
    );

    // Everything stopped: Redis and the three servers no longer listen.
    expect(await listening(redisPort)).toBe(false);
    for (const p of procs) expect(await listening(Number(p[3]))).toBe(false);
  }, 150_000);
});

describe('game-network demo --cluster, no redis-server', () => {
  it('without redis-server: exit 1, saying to apt-get install redis-server', async () => {
    const demo = cli(['demo', '--cluster', '3'], {
      REDIS_SERVER_PATH: '/nonexistent/redis-server',
    });
    expect(await exitWithin(demo, 20_000, 'the demo to give up')).toBe(1);
    expect(demo.stdout()).toMatch(
      /^FAILED: \/nonexistent\/redis-server was not found \(or does not run\): .*install it with: apt-get install redis-server$/m,
    );
    expect(demo.stdout()).not.toMatch(/^process \d/m);
  }, 30_000);
});
