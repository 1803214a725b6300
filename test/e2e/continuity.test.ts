// Issue 12 over real sockets: late join with catch-up, ready before playing, away and reconnect, forged and replayed tokens.
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinRefusedError,
  connect,
  createServer,
  type ClientNetworkEvent,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type ServerNetworkEvent,
  type ServerOptions,
} from '../../src/node.js';
import {
  connectReady,
  flakyTransport,
  initialWorld,
  playBot,
  step,
  type Bot,
  type World,
} from '../helpers/players.js';
import { Resources } from '../helpers/resources.js';
import { waitFor } from '../helpers/waitFor.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const DISCONNECT_MS = 300;

async function startServer(options: ServerOptions = {}): Promise<GameServer> {
  return resources.add(
    await createServer({
      host: '127.0.0.1',
      tickRate: 200,
      inputSize: 2,
      maxPlayers: 4,
      disconnectTimeoutMs: DISCONNECT_MS,
      ...options,
    }),
  );
}

function where(server: GameServer) {
  return { host: '127.0.0.1', port: server.address.tcpPort };
}

async function bots(server: GameServer, names: string[]): Promise<[GameClient, Bot][]> {
  const out: [GameClient, Bot][] = [];
  for (const username of names) {
    const client = resources.add(await connectReady({ ...where(server), username }));
    const bot = playBot(client);
    resources.add({ close: () => bot.stop() });
    out.push([client, bot]);
  }
  return out;
}

/** Every bot has the frame of `tick`, and the same world after it. */
async function sameWorldAt(all: Bot[], tick: number, timeoutMs = 10_000): Promise<number> {
  await waitFor(() => all.every((b) => b.checksums.has(tick)), { timeoutMs });
  const sums = all.map((b) => b.checksums.get(tick));
  expect(new Set(sums).size).toBe(1);
  return sums[0]!;
}

/** The frames a bot got are consecutive from its first, each once. */
function gapless(bot: Bot, from: number): void {
  expect(bot.ticks[0]).toBe(from);
  bot.ticks.forEach((t, i) => expect(t).toBe(from + i));
}

describe('a late joiner', () => {
  it('at tick 600 of a 4-player match gets every frame from tick 0 and the same world', async () => {
    const server = await startServer();
    const three = await bots(server, ['ann', 'bob', 'cat']);
    await waitFor(() => three.every(([, b]) => b.world.tick >= 600), { timeoutMs: 15_000 });
    const dan = resources.add(await connect({ ...where(server), username: 'dan' }));
    const events: ClientNetworkEvent[] = [];
    dan.events$.subscribe((e) => events.push(e));
    const danBot = playBot(dan); // the README pattern: frames$.pipe(scan(step, initialWorld))
    resources.add({ close: () => danBot.stop() });
    expect(dan.firstTick).toBe(0);
    const live = await dan.caughtUp;
    expect(live).toBeGreaterThan(600);
    dan.ready();
    const start = await dan.seated;
    expect(start).toBeGreaterThanOrEqual(live - 1);
    const all = [...three.map(([, b]) => b), danBot];
    await sameWorldAt(all, start + 100);
    gapless(danBot, 0);
    expect(danBot.world.players).toEqual(['ann', 'bob', 'cat', 'dan']);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['caught-up', 'seated']));
  });

  it('of a match longer than the frame log starts from a snapshot a player gave', async () => {
    const server = await startServer({ frameLogBytes: 60_000, maxPlayers: 2 });
    // ann's world is just its checksum and tick: the snapshot is that.
    const ann = resources.add(
      await connect({
        ...where(server),
        username: 'ann',
        provideSnapshot: (tick) => {
          const sum = annBot.checksums.get(tick - 1)!;
          return new Uint8Array(new Uint32Array([tick - 1, sum]).buffer);
        },
      }),
    );
    const annBot = playBot(ann);
    resources.add({ close: () => annBot.stop() });
    ann.ready();
    await waitFor(() => server.events$ !== undefined && annBot.world.tick > 1500, {
      timeoutMs: 20_000,
    });
    const bob = resources.add(await connect({ ...where(server), username: 'bob' }));
    expect(bob.firstTick).toBeGreaterThan(0);
    expect(bob.snapshot?.tick).toBe(bob.firstTick);
    const [lastTick, sum] = new Uint32Array(bob.snapshot!.data.slice().buffer);
    expect(lastTick).toBe(bob.firstTick - 1);
    expect(sum).toBe(annBot.checksums.get(bob.firstTick - 1));
    const frames: ConfirmedFrame[] = [];
    bob.frames$.subscribe((f) => frames.push(f));
    await bob.caughtUp;
    expect(frames[0].tick).toBe(bob.firstTick);
    frames.forEach((f, i) => expect(f.tick).toBe(bob.firstTick + i));
  });
});

describe('a late joiner of a long match, with a server-side simulation', () => {
  it('starts from the snapshot the server gave, and its world goes on equal', async () => {
    // The server runs the README world itself: its snapshot is the world's tick and checksum.
    const worlds = new Map<number, World>();
    let world = initialWorld;
    const server = await startServer({
      frameLogBytes: 60_000,
      maxPlayers: 2,
      provideSnapshot: (tick) => {
        const w = worlds.get(tick - 1)!;
        return new TextEncoder().encode(JSON.stringify(w));
      },
    });
    server.frames$.subscribe((f) => {
      world = step(world, f);
      worlds.set(f.tick, world);
    });
    const [[, annBot]] = await bots(server, ['ann']);
    await waitFor(() => annBot.world.tick > 1500, { timeoutMs: 20_000 });
    const bob = resources.add(await connect({ ...where(server), username: 'bob' }));
    expect(bob.firstTick).toBeGreaterThan(0);
    const start = JSON.parse(new TextDecoder().decode(bob.snapshot!.data)) as World;
    expect(start.tick).toBe(bob.firstTick - 1);
    expect(start.checksum).toBe(annBot.checksums.get(start.tick));
    // The README pattern, from the snapshot's world instead of the initial one.
    const bobBot = playBot(bob, 6, start);
    resources.add({ close: () => bobBot.stop() });
    bob.ready();
    const seatedAt = await bob.seated;
    await sameWorldAt([annBot, bobBot], seatedAt + 50);
    gapless(bobBot, bob.firstTick);
  }, 30_000);
});

describe('ready before playing', () => {
  it('a client that waits before ready stalls no one and gets chat and frames', async () => {
    const server = await startServer();
    const [[, annBot]] = await bots(server, ['ann']);
    const bob = resources.add(await connect({ ...where(server), username: 'bob' }));
    const chat = firstValueFrom(bob.chat$);
    const bobBot = playBot(bob); // its world, folded from the frames; no input until seated
    resources.add({ close: () => bobBot.stop() });
    const from = annBot.world.tick;
    server.broadcastChat('hello');
    expect(await chat).toEqual({ from: 'server', text: 'hello' });
    expect(server.players.map((p) => p.username)).toEqual(['ann']);
    // Five seconds of bob loading (1000 ticks): ann plays on at full speed.
    await new Promise<void>((resolve) => setTimeout(resolve, 5000));
    expect(annBot.world.tick - from).toBeGreaterThan(800);
    expect(annBot.longestGapMs()).toBeLessThan(DISCONNECT_MS);
    expect(bob.startTick).toBe(-1);
    expect(bobBot.ticks.length).toBeGreaterThan(800);
    bob.ready();
    const start = await bob.seated;
    await sameWorldAt([annBot, bobBot], start + 50);
  }, 15_000);

  it('a seat held past readyTimeoutMs is released with a ready-timeout goodbye', async () => {
    const server = await startServer({ readyTimeoutMs: 200 });
    const bob = resources.add(await connect({ ...where(server), username: 'bob' }));
    expect((await bob.closed).reason).toBe('ready-timeout');
    const again = resources.add(await connectReady({ ...where(server), username: 'bob' }));
    expect(again.playerId).toBe(0);
  });

  it('inputs given before the seat is taken go to the ticks from the start tick on', async () => {
    const server = await startServer({ maxPlayers: 1 });
    const frames: ConfirmedFrame[] = [];
    server.frames$.subscribe((f) => frames.push(f));
    const ann = resources.add(await connect({ ...where(server), username: 'ann' }));
    for (let i = 0; i < 5; i++) ann.sendInput(Uint8Array.of(7, i)); // says ready
    const start = await ann.seated;
    await waitFor(() => frames.length >= 5);
    expect(frames.slice(0, 5).map((f) => [f.tick, f.inputs[0]])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [start + i, Uint8Array.of(7, i)]),
    );
  });
});

describe('dropping out and coming back', () => {
  async function withFlaky(options: ServerOptions = {}) {
    const server = await startServer(options);
    const others = await bots(server, ['ann', 'bob', 'cat']);
    const flaky = flakyTransport();
    const dan = resources.add(
      await connectReady({ ...where(server), username: 'dan', transport: flaky }),
    );
    const danBot = playBot(dan);
    resources.add({ close: () => danBot.stop() });
    const serverEvents: ServerNetworkEvent[] = [];
    server.events$.subscribe((e) => serverEvents.push(e));
    const danEvents: ClientNetworkEvent[] = [];
    dan.events$.subscribe((e) => danEvents.push(e));
    await waitFor(() => danBot.world.tick > dan.startTick + 50);
    return { server, others, flaky, dan, danBot, serverEvents, danEvents };
  }

  it('a player whose UDP is blocked for 5 s is away, substituted, and comes back to its slot', async () => {
    const { server, others, flaky, dan, danBot, serverEvents } = await withFlaky();
    const slot = dan.playerId;
    flaky.blocked = true;
    const away = await firstValueFrom(
      server.events$.pipe(filter((e) => e.type === 'away' && e.playerId === slot)),
    );
    expect(away).toMatchObject({ type: 'away', username: 'dan' });
    await new Promise<void>((resolve) => setTimeout(resolve, 5000));
    const otherBots = others.map(([, b]) => b);
    const substituted = server.frames$.pipe(filter((f) => f.substituted?.includes(slot) ?? false));
    await firstValueFrom(substituted);
    flaky.blocked = false;
    await waitFor(() => serverEvents.some((e) => e.type === 'back' && e.playerId === slot), {
      timeoutMs: 5000,
    });
    const back = danBot.world.tick;
    const tick = Math.max(...otherBots.map((b) => b.world.tick)) + 100;
    await sameWorldAt([...otherBots, danBot], tick);
    expect(back).toBeLessThan(tick);
    gapless(danBot, 0);
    expect(dan.playerId).toBe(slot);
    for (const b of otherBots) expect(b.longestGapMs()).toBeLessThan(DISCONNECT_MS + 200);
    expect(server.players.map((p) => p.username)).toContain('dan');
  }, 20_000);

  it('a player whose TCP connection is cut reconnects by itself to its slot, frames without a gap', async () => {
    const { server, others, flaky, dan, danBot, danEvents } = await withFlaky();
    const slot = dan.playerId;
    const token = dan.reconnectToken;
    let completed = false;
    dan.frames$.subscribe({ complete: () => (completed = true) });
    flaky.cut();
    await waitFor(() => danEvents.some((e) => e.type === 'reconnected'), { timeoutMs: 5000 });
    expect(danEvents.map((e) => e.type)).toEqual(
      expect.arrayContaining(['reconnecting', 'reconnected']),
    );
    expect(flaky.connections).toBe(2);
    expect(dan.reconnectToken).not.toEqual(token); // a new one at each reconnect
    const otherBots = others.map(([, b]) => b);
    const tick = Math.max(...otherBots.map((b) => b.world.tick)) + 100;
    await sameWorldAt([...otherBots, danBot], tick);
    gapless(danBot, 0);
    expect(completed).toBe(false);
    expect(dan.playerId).toBe(slot);
    for (const b of otherBots) expect(b.longestGapMs()).toBeLessThan(DISCONNECT_MS + 200);
    // The token it came back with is dead: a replay is refused and changes nothing.
    await expect(
      connect({ ...where(server), username: 'dan', reconnectToken: token }),
    ).rejects.toEqual(new JoinRefusedError('bad-token'));
    const after = Math.max(...otherBots.map((b) => b.world.tick)) + 50;
    await sameWorldAt([...otherBots, danBot], after);
  }, 20_000);

  it('a player away past the grace period leaves with reason timeout', async () => {
    const { server, flaky, dan } = await withFlaky({ reconnectGraceMs: 500 });
    const left = firstValueFrom(server.players$.pipe(filter((e) => e.type === 'leave')));
    flaky.blocked = true;
    expect(await left).toMatchObject({ player: { username: 'dan' }, reason: 'timeout' });
    flaky.blocked = false;
    expect((await dan.closed).reason).toBe('timeout');
  }, 10_000);

  it('a reconnect the server did not expect (its old connection still open) takes the seat over', async () => {
    const { server, others, dan, danBot } = await withFlaky();
    const slot = dan.playerId;
    danBot.stop();
    const again = resources.add(
      await connect({
        ...where(server),
        username: 'dan',
        reconnectToken: dan.reconnectToken,
        lastFrameTick: dan.lastFrameTick,
      }),
    );
    expect(again.playerId).toBe(slot);
    // The old client's connection is closed; its token is dead, so it cannot come back.
    expect((await dan.closed).reason).toBe('connection-lost');
    const againBot = playBot(again, 6, danBot.world);
    resources.add({ close: () => againBot.stop() });
    const start = await again.seated;
    const otherBots = others.map(([, b]) => b);
    await sameWorldAt([...otherBots, againBot], start + 50);
    // Its own inputs count again from the tick it was seated at.
    const frame = await firstValueFrom(server.frames$.pipe(filter((f) => f.tick >= start + 60)));
    expect(frame.substituted ?? []).not.toContain(slot);
  });

  it('a forged token is refused and changes nothing', async () => {
    const { server, others, danBot } = await withFlaky();
    const forged = globalThis.crypto.getRandomValues(new Uint8Array(16));
    await expect(
      connect({ ...where(server), username: 'eve', reconnectToken: forged }),
    ).rejects.toEqual(new JoinRefusedError('bad-token'));
    expect(server.players.map((p) => p.username)).toEqual(['ann', 'bob', 'cat', 'dan']);
    const tick = danBot.world.tick + 50;
    await sameWorldAt([...others.map(([, b]) => b), danBot], tick);
  });

  it('connect({ reconnectToken }) takes the seat back after a restart, frames after the last it has', async () => {
    const { server, others, dan, danBot } = await withFlaky();
    const token = dan.reconnectToken;
    danBot.stop();
    const last = dan.lastFrameTick;
    // The process "dies": its socket goes without a Leave.
    dan['conn'].close();
    await waitFor(() => server.isAway(dan.playerId));
    const again = resources.add(
      await connect({
        ...where(server),
        username: 'dan',
        reconnectToken: token,
        lastFrameTick: last,
      }),
    );
    expect(again.playerId).toBe(dan.playerId);
    expect(again.firstTick).toBe(last + 1);
    const frames: ConfirmedFrame[] = [];
    again.frames$.subscribe((f) => frames.push(f));
    await again.seated;
    await waitFor(() => frames.length > 20);
    expect(frames[0].tick).toBe(last + 1);
    expect(others.length).toBe(3);
  });
});
