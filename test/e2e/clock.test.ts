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
});
