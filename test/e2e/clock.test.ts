import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
} from '../../src/node.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function startServer(opts: Parameters<typeof createServer>[0] = {}): Promise<GameServer> {
  const server = await createServer({ tickRate: 60, inputSize: 2, maxPlayers: 4, ...opts });
  open.push(server);
  return server;
}

async function join(
  server: GameServer,
  username: string,
  opts: Partial<Parameters<typeof connect>[0]> = {},
): Promise<GameClient> {
  const client = await connect({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username,
    password: 'pw',
    ...opts,
  });
  open.push(client);
  return client;
}

describe('ticks$ over real sockets', () => {
  it('paces two players: the game loop is ticks$ -> sendInput, frames agree', async () => {
    const server = await startServer();
    const clients = [await join(server, 'ann'), await join(server, 'bob')];
    const frames: ConfirmedFrame[][] = [[], []];
    clients.forEach((c, i) => {
      c.frames$.subscribe((f) => frames[i].push(f));
      c.ticks$
        .pipe(map((tick) => Uint8Array.of(i, tick & 0xff)))
        .subscribe((input) => c.sendInput(input));
    });
    await waitFor(() => frames.every((f) => f.length >= 90), {
      timeoutMs: 10_000,
      message: '90 frames each',
    });
    const byTick = new Map(frames[0].map((f) => [f.tick, f]));
    for (const f of frames[1]) if (byTick.has(f.tick)) expect(f).toEqual(byTick.get(f.tick));
    // The server measured both players against each other: their ticks$ follow it.
    const ticks = clients.map((c) => c.currentTick);
    expect(Math.abs(ticks[0] - ticks[1])).toBeLessThan(20);
  });

  it("inputDelay: 'auto' follows the round trip (100 ms: about 7 ticks at 60 Hz)", async () => {
    const server = await startServer();
    const c = await join(server, 'ann', {
      inputDelay: 'auto',
      statsIntervalMs: 50,
      conditioner: { delayMs: 100 },
    });
    expect(c.inputDelay).toBe(2);
    c.ticks$.subscribe(() => c.sendInput(Uint8Array.of(1, 2)));
    await waitFor(() => c.inputDelay >= 7, { timeoutMs: 5000, message: 'a longer delay' });
    expect(c.inputDelay).toBeLessThanOrEqual(14); // the first jitter measures are wide
    c.setInputDelay(1); // a delay set by the game turns 'auto' off
    await waitFor(() => c.getStats().rttMs !== null);
    expect(c.inputDelay).toBe(1);
  });

  it('lateInputMs: 100: a player with 300 ms lag spikes never freezes the others much longer', async () => {
    const server = await startServer({ maxPlayers: 3, lateInputMs: 100 });
    const clients = [
      await join(server, 'ann'),
      await join(server, 'bob'),
      await join(server, 'cat'),
    ];
    const frames: ConfirmedFrame[][] = [[], [], []];
    const times: number[] = [];
    clients.forEach((c, i) => {
      c.frames$.subscribe((f) => {
        frames[i].push(f);
        if (i === 0) times.push(performance.now());
      });
    });
    const start = performance.now();
    // ann and bob on time; cat holds its inputs back 300 ms every second (a lag spike).
    for (const c of clients.slice(0, 2))
      c.ticks$.subscribe(() => c.sendInput(Uint8Array.of(c.playerId, 0)));
    const cat = clients[2];
    const held: Uint8Array[] = [];
    cat.ticks$.subscribe(() => {
      const inSpike = (performance.now() - start) % 1000 >= 500;
      held.push(Uint8Array.of(2, held.length & 0xff));
      if (!inSpike || held.length > 18) for (const input of held.splice(0)) cat.sendInput(input);
    });
    await waitFor(() => frames.every((f) => f.length >= 240), {
      timeoutMs: 15_000,
      message: '240 frames each',
    });
    // After the first second: no gap between ann's frames much longer than lateInputMs.
    let gap = 0;
    for (let i = 1; i < times.length; i++)
      if (times[i] - start > 1000) gap = Math.max(gap, times[i] - times[i - 1]);
    expect(gap).toBeLessThan(200);
    expect(frames[0].some((f) => f.substituted?.includes(cat.playerId))).toBe(true);
    // Every client's frames are the same, substitutions included (cat sees its own mark).
    const n = Math.min(...frames.map((f) => f.length));
    const ref = frames[0].slice(0, n);
    for (const f of frames) expect(f.slice(0, n)).toEqual(ref);
  });
});
