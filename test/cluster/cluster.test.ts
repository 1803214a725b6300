// A cluster of 3 server processes on a real redis-server: 40 clients through random processes fill exactly 10 rooms and play; a process killed leaves the directory; Redis restarting stops no match.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisRoomDirectory, redisDirectory } from '../../src/cluster/redisDirectory.js';
import * as scripts from '../../src/cluster/redisScripts.js';
import { connect, type GameClient, JoinRefusedError, RefuseReason } from '../../src/node.js';
import { type Bot, playBot } from '../helpers/players.js';
import { RedisServer, redisTestsRunnable } from '../helpers/redisServer.js';
import { waitFor } from '../helpers/waitFor.js';

const runnable = redisTestsRunnable();
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = 'test/cluster/fixtures/clusterProcess.ts';
/** The processes' time to live in the directory (heartbeats every third of it). */
const TTL_MS = 1_500;

/** A server process of the cluster, as its fixture printed it. */
interface Member {
  readonly processId: string;
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcessWithoutNullStreams;
}

/** A client of the test, the process it asked, and its bot once it plays. */
interface Player {
  readonly client: GameClient;
  readonly asked: Member;
  bot?: Bot;
}

/** Starts one server process and reads its address (bounded). */
async function startMember(url: string, keyPrefix: string): Promise<Member> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL: url, KEY_PREFIX: keyPrefix, PROCESS_TTL_MS: String(TTL_MS) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // Warnings are expected while Redis restarts: kept out of the test's output unless asked.
  child.stderr.on('data', (d: Buffer) => {
    if (process.env.CLUSTER_TEST_VERBOSE) process.stderr.write(d);
  });
  const line = await waitFor(() => out.includes('\n') && out.slice(0, out.indexOf('\n')), {
    timeoutMs: 30_000,
    message: 'a server process to print its address',
  });
  const { processId, host, port } = JSON.parse(line) as Omit<Member, 'child'>;
  return { processId, host, port, child };
}

/** Kills a process and waits for its exit. */
async function kill(member: Member, signal: NodeJS.Signals): Promise<void> {
  const { child } = member;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** The SHA1 of a script (as EVALSHA names it), to tell the directory's calls apart in MONITOR. */
const sha1 = (lua: string): string => createHash('sha1').update(lua).digest('hex');

describe.skipIf(!runnable)('a cluster of 3 server processes on Redis', () => {
  let redis: RedisServer;
  let members: Member[] = [];
  let dir: RedisRoomDirectory;
  const keyPrefix = `cluster-${randomUUID()}:`;
  const players: Player[] = [];
  /** The rooms after the fill: their ids, and the process that holds each. */
  const owners = new Map<string, string>();

  const join = async (asked: Member, username: string): Promise<Player> => {
    const client = await connect({
      host: asked.host,
      port: asked.port,
      username,
      match: { mode: 'duel', size: 4 },
    });
    const player: Player = { client, asked };
    players.push(player);
    return player;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    members = await Promise.all([0, 1, 2].map(() => startMember(redis.url, keyPrefix)));
    dir = redisDirectory({ redis: redis.url, keyPrefix, processTtlMs: TTL_MS });
    await waitFor(async () => (await dir.processes()).length === 3, {
      timeoutMs: 10_000,
      message: 'the 3 processes to be listed',
    });
  }, 60_000);

  afterAll(async () => {
    for (const p of players) p.bot?.stop();
    await Promise.all(players.map((p) => p.client.close().catch(() => undefined)));
    await dir?.close();
    await Promise.all(members.map((m) => kill(m, 'SIGTERM')));
    await redis?.stop();
  }, 30_000);

  it('40 clients asking random processes fill exactly 10 rooms of 4, every seat once, and the redirected play with equal checksums', async () => {
    const clients = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        join(members[Math.floor(Math.random() * members.length)], `p${i}`),
      ),
    );
    const byRoom = new Map<string, Player[]>();
    for (const p of clients) {
      const room = p.client.room;
      expect(room).toBeDefined();
      if (room) byRoom.set(room, [...(byRoom.get(room) ?? []), p]);
    }
    expect(byRoom.size).toBe(10);
    for (const members of byRoom.values())
      expect(members.map((p) => p.client.playerId).sort()).toEqual([0, 1, 2, 3]);
    const listed = await dir.list({ mode: 'duel', size: 4 }, 100);
    expect(listed.map((l) => l.roomId).sort()).toEqual([...byRoom.keys()].sort());
    for (const l of listed) {
      expect(l.players).toBe(4);
      owners.set(l.roomId, l.processId);
    }
    const ids = new Set(members.map((m) => m.processId));
    for (const owner of owners.values()) expect(ids.has(owner)).toBe(true);
    expect(new Set(owners.values()).size).toBeGreaterThan(1); // spread over processes
    // The clients that asked a process other than their room's were redirected there.
    const redirected = clients.filter((p) => owners.get(p.client.room ?? '') !== p.asked.processId);
    expect(redirected.length).toBeGreaterThan(0);

    for (const p of clients) {
      p.client.ready();
      p.bot = playBot(p.client);
    }
    await waitFor(() => clients.every((p) => (p.bot?.world.tick ?? -1) >= 60), {
      timeoutMs: 30_000,
      message: 'every client to play 60 ticks',
    });
    for (const [room, inRoom] of byRoom) {
      const sums = inRoom.map((p) => p.bot?.checksums.get(60));
      expect(sums[0], room).toBeDefined();
      expect(new Set(sums).size, room).toBe(1);
    }
  }, 90_000);

  it('Redis away and restarted mid-game stops no match (only matchmaking waits), and the directory is rebuilt', async () => {
    await redis.stop();
    // Frames keep coming in every room while Redis is away.
    const before = players.map((p) => p.bot?.world.tick ?? -1);
    await waitFor(() => players.every((p, i) => (p.bot?.world.tick ?? -1) >= before[i] + 60), {
      timeoutMs: 20_000,
      message: 'every match to go on while Redis is away',
    });
    // A join-or-create meanwhile is refused, to be tried again later (it does not hang).
    const refused = await connect({
      host: members[0].host,
      port: members[0].port,
      username: 'while-away',
      match: { mode: 'duel', size: 4 },
    }).then(
      (client) => {
        players.push({ client, asked: members[0] });
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(JoinRefusedError);
    expect((refused as JoinRefusedError).reason).toBe(RefuseReason.TryLater);
    await redis.restart(); // empty: no persistence
    const after = players.map((p) => p.bot?.world.tick ?? -1);
    await waitFor(() => players.every((p, i) => (p.bot?.world.tick ?? -1) >= after[i] + 30), {
      timeoutMs: 20_000,
      message: 'every match to go on through the Redis restart',
    });
    for (const p of players) expect(p.client.room).toBeDefined();
    const rebuilt = await waitFor(
      async () => {
        try {
          const [procs, rooms] = await Promise.all([
            dir.processes(),
            dir.list({ mode: 'duel', size: 4 }, 100),
          ]);
          return procs.length === 3 && rooms.length === 10 && rooms;
        } catch {
          return false; // Redis is not back yet
        }
      },
      { timeoutMs: 15_000, message: 'the directory to be rebuilt' },
    );
    for (const room of rebuilt) {
      expect(owners.get(room.roomId)).toBe(room.processId);
      expect(room.players).toBe(4);
    }
    // Still playing, with equal checksums in each room.
    const tick = Math.max(...players.map((p) => p.bot?.world.tick ?? -1)) + 30;
    await waitFor(() => players.every((p) => (p.bot?.world.tick ?? -1) >= tick), {
      timeoutMs: 20_000,
      message: 'every match to go on after the rebuild',
    });
    for (const room of owners.keys()) {
      const sums = players
        .filter((p) => p.client.room === room)
        .map((p) => p.bot?.checksums.get(tick));
      expect(new Set(sums).size, room).toBe(1);
    }
  }, 60_000);

  it('counts the Redis round trips of a join-or-create: one that makes a room, one redirected, one direct', async () => {
    // Every room is full: a join makes a new one (here or, asked over pub/sub, on the
    // least-loaded process); then a join at a process that does not hold it (a redirect) and
    // one at the owner. Each is watched with MONITOR, between two markers.
    const monitor = await new Redis(redis.url).monitor();
    const names = new Map<string, string>(
      Object.entries(scripts).map(([name, script]) => [sha1(script.lua), name] as const),
    );
    /** Each command: its name, and whether a script ran it (inside one round trip). */
    const seen: { name: string; arg: string; inScript: boolean }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const [command = '', first = ''] = args;
      const verb = command.toLowerCase();
      // EVAL is a script sent again after a NOSCRIPT (Redis restarted): its EVALSHA is counted.
      const name =
        verb === 'evalsha' ? `evalsha ${(names.get(first) ?? first).toLowerCase()}` : verb;
      seen.push({ name, arg: first, inScript: source === 'lua' });
    });
    /** Waits until MONITOR has shown a marker sent now: what came before is in `seen`. */
    const marker = new Redis(redis.url);
    let markers = 0;
    const mark = async (): Promise<number> => {
      const text = `marker-${++markers}`;
      await marker.echo(text);
      await waitFor(() => seen.some((c) => c.name === 'echo' && c.arg === text), {
        timeoutMs: 5_000,
        message: 'MONITOR to show the marker',
      });
      return seen.findIndex((c) => c.name === 'echo' && c.arg === text);
    };
    /**
     * The round trips of a join (not the heartbeats', nor a script sent again after Redis
     * restarted), and the commands its scripts ran inside them.
     */
    const count = async (
      run: () => Promise<unknown>,
    ): Promise<{ trips: string[]; inScripts: number }> => {
      const from = await mark();
      await run();
      const to = await mark();
      const cmds = seen.slice(from + 1, to);
      // A heartbeat's script (REFRESH_PROCESS) runs EXISTS, SET and SADD: left out with it.
      const heartbeats = cmds.filter((c) => c.name === 'evalsha refresh_process').length;
      return {
        trips: cmds
          .filter((c) => !c.inScript && c.name !== 'evalsha refresh_process' && c.name !== 'eval')
          .map((c) => c.name),
        inScripts: cmds.filter((c) => c.inScript).length - heartbeats * 3,
      };
    };
    try {
      const first = await count(() => join(members[0], 'm0')); // all rooms full: a new room
      const room = players.at(-1)?.client.room ?? '';
      const owner = await ownerOf(room);
      const elsewhere = members.find((m) => m !== owner) ?? members[0];
      const redirected = await count(() => join(elsewhere, 'm1'));
      const direct = await count(() => join(owner, 'm2'));
      const tally = (cmds: string[]): string =>
        JSON.stringify(
          cmds.reduce<Record<string, number>>((t, c) => ({ ...t, [c]: (t[c] ?? 0) + 1 }), {}),
        );
      const line = (what: string, c: { trips: string[]; inScripts: number }): string =>
        `${what}: ${c.trips.length} round trips ${tally(c.trips)}, ${c.inScripts} commands inside scripts [${c.trips.join(', ')}]`;
      console.log(
        `Redis per join-or-create (owner ${owner.processId === members[0].processId ? 'asked' : 'another'} process for the new room):\n` +
          [line('new room', first), line('redirected', redirected), line('direct', direct)].join(
            '\n',
          ),
      );
      for (const p of players.slice(-3)) expect(p.client.room).toBe(room);
      expect(redirected.trips).toContain('evalsha hold');
      expect(redirected.trips).toContain('evalsha claim');
      expect(direct.trips).not.toContain('evalsha hold');
      // A handful of round trips, never one per room or per player.
      for (const c of [first, redirected, direct]) expect(c.trips.length).toBeLessThan(20);
    } finally {
      monitor.disconnect();
      marker.disconnect();
    }

    async function ownerOf(roomId: string): Promise<Member> {
      const listing = await dir.get(roomId);
      const m = members.find((x) => x.processId === listing?.processId);
      if (!m) throw new Error(`no owner for ${roomId}`);
      owners.set(roomId, m.processId);
      return m;
    }
  }, 30_000);

  it('a process killed with SIGKILL leaves the directory with its rooms within the time to live, and new rooms go to the live ones', async () => {
    // The process that holds the most rooms.
    const held = (m: Member): number =>
      [...owners.values()].filter((o) => o === m.processId).length;
    const victim = [...members].sort((a, b) => held(b) - held(a))[0];
    const itsRooms = [...owners].filter(([, o]) => o === victim.processId).map(([id]) => id);
    expect(itsRooms.length).toBeGreaterThan(0);
    for (const p of players)
      if (owners.get(p.client.room ?? '') === victim.processId) p.bot?.stop();
    await kill(victim, 'SIGKILL');
    const killed = performance.now();
    await waitFor(
      async () => {
        const [procs, rooms] = await Promise.all([dir.processes(), dir.list({}, 100)]);
        return (
          !procs.some((p) => p.processId === victim.processId) &&
          !rooms.some((r) => r.processId === victim.processId)
        );
      },
      { timeoutMs: TTL_MS * 4, message: "the killed process's rooms to leave the directory" },
    );
    // The time to live, and as long again for the polling of a loaded machine.
    expect(performance.now() - killed).toBeLessThan(TTL_MS * 2);
    for (const id of itsRooms) expect(await dir.get(id)).toBeUndefined();

    const live = members.filter((m) => m !== victim);
    const fresh = await Promise.all(
      [0, 1, 2, 3].map((i) => join(live[i % live.length], `after${i}`)),
    );
    const listed = await Promise.all(fresh.map((p) => dir.get(p.client.room ?? '')));
    for (const l of listed) {
      expect(l).toBeDefined();
      expect(live.map((m) => m.processId)).toContain(l?.processId);
    }
    // The other matches still run.
    const others = players.filter(
      (p) =>
        p.bot &&
        owners.has(p.client.room ?? '') &&
        owners.get(p.client.room ?? '') !== victim.processId,
    );
    expect(others.length).toBeGreaterThan(0);
    const ticks = others.map((p) => p.bot?.world.tick ?? -1);
    await waitFor(() => others.every((p, i) => (p.bot?.world.tick ?? -1) >= ticks[i] + 30), {
      timeoutMs: 20_000,
      message: 'the live processes to go on playing',
    });
  }, 60_000);
});
