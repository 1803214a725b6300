// Many rooms in one server process over real sockets: isolation, join-or-create, listing, and ending.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scan } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinRefusedError,
  connect,
  createServer,
  listRooms,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type Room,
  type RoomEvent,
  type ServerOptions,
} from '../../src/node.js';
import { flakyTransport, initialWorld, playBot, step, type Bot } from '../helpers/players.js';
import { createListedRooms } from '../helpers/listedRooms.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function start(opts: ServerOptions = {}): Promise<GameServer> {
  const server = await createServer({
    host: '127.0.0.1',
    tickRate: 60,
    inputSize: 2,
    maxPlayers: 4,
    rooms: {},
    ...opts,
  });
  open.push(server);
  return server;
}

function where(server: GameServer): { host: string; port: number } {
  return { host: '127.0.0.1', port: server.address.tcpPort };
}

async function join(
  server: GameServer,
  username: string,
  more: Partial<Parameters<typeof connect>[0]> = {},
): Promise<GameClient> {
  const client = await connect({ ...where(server), username, ...more });
  open.push(client);
  return client;
}

/** The room's frames folded into the README world, by tick: what every client must match. */
function serverWorld(room: Room): { checksums: Map<number, number>; frames: ConfirmedFrame[] } {
  const checksums = new Map<number, number>();
  const frames: ConfirmedFrame[] = [];
  room.frames$.pipe(scan(step, initialWorld)).subscribe((w) => checksums.set(w.tick, w.checksum));
  room.frames$.subscribe((f) => frames.push(f));
  return { checksums, frames };
}

describe('rooms in one process', () => {
  it('16 rooms of 4 play at once: each its own frames, equal on every client, none from another room', async () => {
    const server = await start();
    const rooms = await Promise.all(
      Array.from({ length: 16 }, (_, i) => server.createRoom({ id: `room-${i}`, mode: 'ffa' })),
    );
    // One UDP port and one TCP port for all of them.
    expect(new Set(rooms.map(() => server.address.udpPort)).size).toBe(1);
    const worlds = rooms.map(serverWorld);
    const bots: { room: number; client: GameClient; bot: Bot }[] = [];
    await Promise.all(
      rooms.flatMap((room, r) =>
        Array.from({ length: 4 }, async (_, p) => {
          const client = await join(server, `p${p}`, { room: room.id }); // same names in every room
          expect(client.room).toBe(room.id);
          client.ready();
          // Each room's inputs carry its number: a frame of room r holds only r.
          const bot = playBot(client, 6, initialWorld, (_id, tick) => Uint8Array.of(r, tick));
          bots.push({ room: r, client, bot });
        }),
      ),
    );
    await waitFor(() => bots.every(({ bot }) => bot.world.tick >= 120), {
      timeoutMs: 30_000,
      message: 'every client of every room past tick 120',
    });
    for (const { bot } of bots) bot.stop();
    for (const [r, { frames }] of worlds.entries()) {
      for (const f of frames)
        for (const input of f.inputs) if (input !== null) expect(input[0]).toBe(r);
      expect(rooms[r].players.map((p) => p.username).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    }
    for (const { room, bot } of bots)
      for (const [tick, sum] of bot.checksums)
        if (worlds[room].checksums.has(tick)) expect(sum).toBe(worlds[room].checksums.get(tick));
  }, 60_000);

  it("one room's bad player and its drop leave every other room alone", async () => {
    const server = await start({ disconnectTimeoutMs: 400, reconnectGraceMs: 0 });
    const a = await server.createRoom({ id: 'a' });
    const b = await server.createRoom({ id: 'b' });
    const drops: string[] = [];
    b.events$.subscribe((e) => {
      if (e.type === 'drop' || e.type === 'warning') drops.push(e.type);
    });
    const a1 = await join(server, 'a1', { room: 'a', reconnectTimeoutMs: 0 });
    const a2 = await join(server, 'a2', { room: 'a', reconnectTimeoutMs: 0 });
    const b1 = await join(server, 'b1', { room: 'b' });
    const b2 = await join(server, 'b2', { room: 'b' });
    for (const c of [a1, a2, b1, b2]) c.ready();
    const botsA = [playBot(a1), playBot(a2)];
    const botsB = [playBot(b1), playBot(b2)];
    await waitFor(() => [...botsA, ...botsB].every((x) => x.world.tick >= 30));
    // a2 goes silent: room a stalls, then drops it; room b never waits.
    botsA[1].paused = true;
    const dropped = new Promise((resolve) =>
      a.events$.subscribe((e) => e.type === 'drop' && resolve(e)),
    );
    const bFrom = botsB[0].world.tick;
    await dropped;
    const stalledFor = botsB[0].longestGapMs();
    expect(botsB[0].world.tick - bFrom).toBeGreaterThan(10);
    expect(stalledFor).toBeLessThan(300);
    expect(drops).toEqual([]);
    // Room a goes on without it.
    const aTick = botsA[0].world.tick;
    await waitFor(() => botsA[0].world.tick > aTick + 20);
    for (const x of [...botsA, ...botsB]) x.stop();
  }, 20_000);

  it('join-or-create by 20 clients at once fills 5 rooms of 4 exactly', async () => {
    const server = await start();
    const made: RoomEvent[] = [];
    server.rooms$.subscribe((e) => made.push(e));
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        join(server, `m${i}`, { match: { mode: 'duo', size: 4 } }),
      ),
    );
    const byRoom = new Map<string, number[]>();
    for (const c of clients) byRoom.set(c.room!, [...(byRoom.get(c.room!) ?? []), c.playerId]);
    expect(byRoom.size).toBe(5);
    for (const ids of byRoom.values()) expect(ids.sort()).toEqual([0, 1, 2, 3]);
    expect(made.filter((e) => e.type === 'create')).toHaveLength(5);
    expect(server.roomList.every((r) => r.mode === 'duo' && r.maxPlayers === 4)).toBe(true);
    // Full rooms are not listed; a 21st player gets a new room.
    expect(await listRooms({ ...where(server), mode: 'duo' })).toEqual([]);
    const late = await join(server, 'late', { match: { mode: 'duo', size: 4 } });
    expect(byRoom.has(late.room!)).toBe(false);
    const listed = await listRooms({ ...where(server) });
    expect(listed).toEqual([
      { roomId: late.room, mode: 'duo', players: 1, maxPlayers: 4, metadata: {} },
    ]);
  }, 20_000);

  it('listRooms shows open rooms with metadata and seats; unknown rooms are refused', async () => {
    const server = await start();
    await createListedRooms(server);
    await join(server, 'ann', { room: 'desert' });
    expect(await listRooms({ ...where(server), mode: 'ctf' })).toEqual([
      {
        roomId: 'castle',
        mode: 'ctf',
        players: 0,
        maxPlayers: 4,
        metadata: { map: 'castle', ranked: true },
      },
      { roomId: 'desert', mode: 'ctf', players: 1, maxPlayers: 2, metadata: {} },
    ]);
    server.setRoomMetadata('castle', { map: 'castle', ranked: false });
    expect((await listRooms({ ...where(server), mode: 'ctf' }))[0].metadata).toEqual({
      map: 'castle',
      ranked: false,
    });
    await expect(join(server, 'bob', { room: 'nowhere' })).rejects.toMatchObject({
      reason: 'room-not-found',
    });
    // Without a room, a server with rooms has no default one.
    await expect(join(server, 'cat')).rejects.toBeInstanceOf(JoinRefusedError);
    // Names are per room.
    await join(server, 'ann', { room: 'castle' });
    await expect(join(server, 'ann', { room: 'desert' })).rejects.toMatchObject({
      reason: 'duplicate-name',
    });
  });

  it('a room whose frames cannot fit a datagram is refused; a taken id too', async () => {
    const server = await start();
    await expect(server.createRoom({ maxPlayers: 256, inputSize: 64 })).rejects.toThrow(RangeError);
    await server.createRoom({ id: 'x' });
    await expect(server.createRoom({ id: 'x' })).rejects.toThrow(/exists/);
    await expect(server.createRoom({ metadata: { bad: {} as unknown as string } })).rejects.toThrow(
      RangeError,
    );
  });

  it('a closed room says goodbye (room-closed) to its players; the other rooms play on', async () => {
    const server = await start();
    const a = await server.createRoom({ id: 'a' });
    await server.createRoom({ id: 'b' });
    const ann = await join(server, 'ann', { room: 'a' });
    const bob = await join(server, 'bob', { room: 'b' });
    ann.ready();
    const bot = playBot(bob);
    bob.ready();
    const disposed = new Promise<RoomEvent>((resolve) =>
      server.rooms$.subscribe((e) => e.type === 'dispose' && resolve(e)),
    );
    await a.close('round over');
    const ended = await ann.closed;
    expect(ended.reason).toBe('room-closed');
    expect(ended.message).toContain('round over');
    expect(await disposed).toMatchObject({ type: 'dispose', reason: 'closed' });
    expect(server.room('a')).toBeUndefined();
    const t = bot.world.tick;
    await waitFor(() => bot.world.tick > t + 30);
    bot.stop();
  });

  it('an emptied room ends after its empty timeout; 200 create, play, dispose cycles leave nothing behind', async () => {
    const server = await start({ rooms: { emptyTimeoutMs: 20 } });
    const disposed: string[] = [];
    server.rooms$.subscribe((e) => e.type === 'dispose' && disposed.push(e.room.id));
    const cycle = async (i: number): Promise<void> => {
      const c = await join(server, `c${i}`, { match: { mode: 'solo', size: 1 } });
      c.ready();
      c.sendInput(Uint8Array.of(1, 2));
      await waitFor(() => c.lastFrameTick >= 0);
      const id = c.room!;
      await c.close();
      open.splice(open.indexOf(c), 1);
      await waitFor(() => disposed.includes(id), { message: `room ${id} disposed` });
    };
    // A real collection before each measure (V8's gc, exposed to this test only).
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (let i = 0; i < 20; i++) await cycle(i);
    const before = heap();
    for (let i = 20; i < 200; i++) await cycle(i);
    const after = heap();
    expect(disposed).toHaveLength(200);
    expect(server.roomList).toEqual([]);
    expect(await server.directory.list({}, 1000)).toEqual([]);
    // Nothing kept per room: a few MB of noise at most, not 180 rooms' frame logs and timers.
    expect(after - before).toBeLessThan(4 * 1024 * 1024);
  }, 90_000);
});

describe('a server with no rooms option', () => {
  it('is one default room: listed, joinable with or without its id', async () => {
    const server = await createServer({ host: '127.0.0.1', maxPlayers: 2 });
    open.push(server);
    expect(server.room('default')).toBeDefined();
    const ann = await join(server, 'ann');
    expect(ann.room).toBeUndefined();
    const bob = await join(server, 'bob', { room: 'default' });
    expect(bob.room).toBe('default');
    expect(await listRooms({ ...where(server) })).toEqual([]); // full
    await expect(join(server, 'cat', { match: { mode: 'x', size: 2 } })).rejects.toMatchObject({
      reason: 'room-refused',
    });
  });
});

describe('rooms over every way in', () => {
  it('a spectator watches a room, a lost connection reconnects into its room, a web player joins one', async () => {
    const server = await start({ web: { port: 0 } });
    const a = await server.createRoom({ id: 'a' });
    await server.createRoom({ id: 'b' });
    const flaky = flakyTransport();
    const ann = await join(server, 'ann', { room: 'a', transport: flaky });
    const bob = await join(server, 'bob', { room: 'b' });
    const web = await connect({
      url: `ws://127.0.0.1:${server.address.webPort}/`,
      username: 'wen',
      room: 'a',
    });
    open.push(web);
    expect(web.room).toBe('a');
    const eve = await join(server, 'eve', { room: 'a', spectate: true });
    expect(eve.room).toBe('a');
    expect(a.spectators).toEqual(['eve']);
    const bots = [playBot(ann), playBot(bob), playBot(web)];
    for (const c of [ann, bob, web]) c.ready();
    await waitFor(() => bots.every((x) => x.world.tick >= 30), { timeoutMs: 10_000 });
    // Cut ann's TCP: it reconnects to its seat in room a (not b, not the default room).
    const reconnected = new Promise((resolve) =>
      ann.events$.subscribe((e) => e.type === 'reconnected' && resolve(e)),
    );
    flaky.cut();
    await reconnected;
    expect(ann.room).toBe('a');
    expect(ann.playerId).toBe(0);
    const t = bots[0].world.tick;
    await waitFor(() => bots[0].world.tick > t + 30, { timeoutMs: 10_000 });
    let watched = initialWorld;
    eve.frames$.pipe(scan(step, initialWorld)).subscribe((w) => (watched = w));
    await waitFor(() => watched.tick >= 40, { timeoutMs: 10_000 });
    for (const x of bots) x.stop();
    expect(bots[0].checksums.get(40)).toBe(bots[2].checksums.get(40));
    expect([...watched.players].sort()).toEqual(['ann', 'wen']);
  }, 30_000);
});
