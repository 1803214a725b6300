// Rooms over several server processes sharing one directory (here the in-process one, so the logic is tested without Redis): redirects, filling in order, a process leaving.
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  localDirectory,
  type GameClient,
  type GameServer,
  type RoomDirectory,
} from '../../src/node.js';
import { playBot } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function cluster(n: number, directory: RoomDirectory): Promise<GameServer[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const server = await createServer({
        host: '127.0.0.1',
        maxPlayers: 4,
        rooms: { directory, processId: `p${i}` },
      });
      open.push(server);
      return server;
    }),
  );
}

async function join(
  server: GameServer,
  username: string,
  more: Partial<Parameters<typeof connect>[0]> = {},
): Promise<GameClient> {
  const client = await connect({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username,
    ...more,
  });
  open.push(client);
  return client;
}

describe('rooms over several processes with one directory', () => {
  it('40 players asking random processes fill exactly 10 rooms of 4; the redirected play with equal checksums', async () => {
    const directory = localDirectory();
    const servers = await cluster(3, directory);
    const clients = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        join(servers[i % 3], `m${i}`, { match: { mode: 'duel', size: 4 } }),
      ),
    );
    const byRoom = new Map<string, GameClient[]>();
    for (const c of clients) byRoom.set(c.room!, [...(byRoom.get(c.room!) ?? []), c]);
    expect(byRoom.size).toBe(10);
    for (const members of byRoom.values())
      expect(members.map((c) => c.playerId).sort()).toEqual([0, 1, 2, 3]);
    // Every room lives in exactly one process, and its players are there.
    const owners = new Map<string, GameServer>();
    for (const id of byRoom.keys()) {
      const held = servers.filter((s) => s.room(id) !== undefined);
      expect(held).toHaveLength(1);
      owners.set(id, held[0]);
    }
    for (const [id, server] of owners) expect(server.room(id)!.seated).toBe(4);
    expect(new Set(owners.values()).size).toBeGreaterThan(1); // spread, not all in one
    const listed = await directory.list({ mode: 'duel' }, 100);
    expect(listed.map((l) => l.players)).toEqual(Array.from({ length: 10 }, () => 4));
    // They play: every room's four clients agree tick by tick.
    for (const c of clients) c.ready();
    const bots = clients.map((c) => ({ c, bot: playBot(c) }));
    await waitFor(() => bots.every(({ bot }) => bot.world.tick >= 60), { timeoutMs: 20_000 });
    for (const { bot } of bots) bot.stop();
    for (const members of byRoom.values()) {
      const sums = members.map((c) => bots.find((b) => b.c === c)!.bot.checksums.get(60));
      expect(new Set(sums).size).toBe(1);
    }
  }, 40_000);

  it('a join by id at the wrong process is redirected to the owner; a process that closes takes its rooms off the directory', async () => {
    const directory = localDirectory();
    const [a, b] = await cluster(2, directory);
    await b.createRoom({ id: 'arena' });
    const ann = await join(a, 'ann', { room: 'arena' });
    expect(ann.room).toBe('arena');
    expect(b.room('arena')!.seated).toBe(1);
    expect((await directory.get('arena'))?.players).toBe(1);
    await b.close();
    open.splice(open.indexOf(b), 1);
    expect(await directory.get('arena')).toBeUndefined();
    expect((await directory.processes()).map((p) => p.processId)).toEqual(['p0']);
    const bob = await join(a, 'bob', { match: { mode: 'duel', size: 4 } });
    expect(a.room(bob.room!)).toBeDefined();
  }, 20_000);
});
