// Bench of rooms over several processes on Redis (issue 16): connect-to-first-frame through a redirect against a direct join, Redis commands per join, the directory with 1,000 rooms.
// Run: npx tsx bench/cluster.ts [joins]   (needs Debian's redis-server; starts its own on a free port)
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { connect, createServer, redisDirectory, type GameServer } from '../src/node.js';
import { RedisServer } from '../test/helpers/redisServer.js';

const JOINS = Number(process.argv[2] ?? 200);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${quantile(s, 0.5).toFixed(2)} ms, p99 ${quantile(s, 0.99).toFixed(2)} ms (${s.length} joins)`;
}

/** Redis commands run so far (INFO commandstats), in all and by command. */
async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const counts = new Map<string, number>();
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([a-z|]+):calls=(\d+)/.exec(line.trim());
    if (m) counts.set(m[1], Number(m[2]));
  }
  return counts;
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0 && k !== 'info') out.set(k, d);
  }
  return out;
}

/** Connects, sends one input, and resolves with the ms from the call to its first frame. */
async function timeToFirstFrame(
  server: GameServer,
  name: string,
  ask: { room: string } | { match: { mode: string; size: number } },
): Promise<{ ms: number; close: () => Promise<void> }> {
  const start = performance.now();
  const client = await connect({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username: name,
    ...ask,
  });
  const first = firstValueFrom(client.frames$);
  client.ready();
  client.sendInput(Uint8Array.of(1, 2));
  await first;
  return { ms: performance.now() - start, close: () => client.close().then(() => undefined) };
}

async function main(): Promise<void> {
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  const cluster = { redis: redisServer.url, processTtlMs: 3000 };
  const common = { host: '127.0.0.1', tickRate: 60, inputSize: 2, maxPlayers: 2 };
  const a = await createServer({ ...common, rooms: { maxRoomsPerAddress: 1000 }, cluster });
  const b = await createServer({ ...common, rooms: { maxRoomsPerAddress: 1000 }, cluster });
  try {
    const target = await b.createRoom({ id: 'target', maxPlayers: 1, emptyTimeoutMs: Infinity });
    void target;
    const direct: number[] = [];
    const redirected: number[] = [];
    const perJoinDirect = new Map<string, number>();
    const perJoinRedirect = new Map<string, number>();
    for (let i = 0; i < JOINS; i++) {
      // Interleaved: direct, then through the other process.
      for (const via of i % 2 === 0 ? [b, a] : [a, b]) {
        const before = await commandCounts(redis);
        const { ms, close } = await timeToFirstFrame(via, `u${i}`, { room: 'target' });
        const used = diff(await commandCounts(redis), before);
        await close();
        const into = via === b ? perJoinDirect : perJoinRedirect;
        for (const [k, v] of used) into.set(k, (into.get(k) ?? 0) + v);
        (via === b ? direct : redirected).push(ms);
      }
    }
    const perJoin = (m: Map<string, number>): string => {
      let total = 0;
      const parts: string[] = [];
      for (const [k, v] of [...m].sort()) {
        total += v;
        parts.push(`${k} ${(v / JOINS).toFixed(2)}`);
      }
      return `${(total / JOINS).toFixed(2)} (${parts.join(', ')})`;
    };
    console.log(
      `join by room id, direct:       ${summary(direct)}; Redis commands per join ${perJoin(perJoinDirect)}`,
    );
    console.log(
      `join by room id, redirected:   ${summary(redirected)}; Redis commands per join ${perJoin(perJoinRedirect)}`,
    );
    console.log(
      `redirect / direct (medians):   ${(
        quantile(
          [...redirected].sort((x, y) => x - y),
          0.5,
        ) /
        quantile(
          [...direct].sort((x, y) => x - y),
          0.5,
        )
      ).toFixed(2)}x`,
    );
    await target.close();

    // Join-or-create: pairs of players, each pair's two through different processes.
    const jc: number[] = [];
    const perJoinCreate = new Map<string, number>();
    const open: (() => Promise<void>)[] = [];
    for (let i = 0; i < JOINS; i++) {
      const before = await commandCounts(redis);
      const { ms, close } = await timeToFirstFrame(i % 2 ? a : b, `j${i}`, {
        match: { mode: 'pair', size: 2 },
      });
      const used = diff(await commandCounts(redis), before);
      for (const [k, v] of used) perJoinCreate.set(k, (perJoinCreate.get(k) ?? 0) + v);
      jc.push(ms);
      open.push(close);
    }
    console.log(
      `join-or-create (half redirected): ${summary(jc)}; Redis commands per join ${perJoin(perJoinCreate)}`,
    );
    await Promise.all(open.map((c) => c()));

    // The directory with 1,000 rooms: listing and reserving stay fast.
    const dir = redisDirectory({
      redis: redisServer.url,
      keyPrefix: 'load:',
      processTtlMs: 60_000,
    });
    await dir.putProcess({ processId: 'load', address: { host: '127.0.0.1', port: 1 }, load: 0 });
    const memBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const putStart = performance.now();
    for (let i = 0; i < 1000; i++)
      await dir.put({
        roomId: `r${i}`,
        processId: 'load',
        mode: i % 2 ? 'duel' : 'ffa',
        maxPlayers: 4,
        players: i < 990 ? 4 : 0,
        open: true,
        metadata: { map: 'castle' },
        order: await dir.nextOrder(),
      });
    const putMs = performance.now() - putStart;
    const memAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const reserveMs: number[] = [];
    const listMs: number[] = [];
    for (let i = 0; i < 500; i++) {
      let t = performance.now();
      const got = await dir.reserve('duel', 4);
      reserveMs.push(performance.now() - t);
      if (got) await dir.unreserve(got.roomId);
      t = performance.now();
      await dir.list({ mode: 'duel', available: true }, 100);
      listMs.push(performance.now() - t);
    }
    console.log(
      `1,000 rooms listed in ${putMs.toFixed(0)} ms (${((memAfter - memBefore) / 1000).toFixed(0)} bytes of Redis memory per room)`,
    );
    console.log(`  reserve (990 full): ${summary(reserveMs).replace('joins', 'calls')}`);
    console.log(`  list open rooms of a mode: ${summary(listMs).replace('joins', 'calls')}`);
    await dir.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
    await redisServer.stop();
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
