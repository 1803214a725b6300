import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ConfirmedFrame, type GameClient } from '../../src/node.js';
import { connectReady } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('a burst of joins and leaves', () => {
  it('spreads 48 joins with long names over ticks so every frame fits a datagram, and names every leave', async () => {
    const server = await createServer({
      host: '127.0.0.1',
      tickRate: 100,
      inputSize: 2,
      maxPlayers: 64,
    });
    open.push(server);
    const serverFrames: ConfirmedFrame[] = [];
    server.frames$.subscribe((f) => serverFrames.push(f));
    const names = Array.from(
      { length: 48 },
      (_, i) => `player-with-a-long-name-${String(i).padStart(6, '0')}`,
    );
    const clients: GameClient[] = await Promise.all(
      names.map((username) =>
        connectReady({ host: '127.0.0.1', port: server.address.tcpPort, username }),
      ),
    );
    open.push(...clients);
    const starts = new Set(clients.map((c) => c.startTick));
    expect(starts.size).toBeGreaterThan(1); // not all in one frame
    const end = Math.max(...clients.map((c) => c.startTick)) + 20;
    const done = Promise.all(
      clients.map((c) => firstValueFrom(c.frames$.pipe(filter((f) => f.tick >= end)))),
    );
    const frames: ConfirmedFrame[][] = clients.map(() => []);
    clients.forEach((c, i) => c.frames$.subscribe((f) => frames[i].push(f)));
    for (let t = 0; t <= end; t++) {
      for (const c of clients)
        if (c.currentTick <= end) c.sendInput(Uint8Array.of(c.playerId, t & 0xff));
    }
    await done;
    // Every name joined exactly once, at that client's start tick, seen by everyone after.
    const joins = serverFrames.flatMap((f) =>
      (f.joined ?? []).map((p) => [f.tick, p.username] as const),
    );
    expect(joins.map(([, n]) => n).sort()).toEqual([...names].sort());
    for (const c of clients) expect(joins.find(([, n]) => n === c.username)?.[0]).toBe(c.startTick);
    const byTick = new Map(serverFrames.map((f) => [f.tick, f]));
    frames.forEach((fs) => fs.forEach((f) => expect(f).toEqual(byTick.get(f.tick))));

    // Half of them leave at once: one frame names them all, with their names, for everyone.
    const leaving = clients.slice(0, 24);
    const staying = clients.slice(24);
    await Promise.all(leaving.map((c) => c.close()));
    const allLeft = firstValueFrom(
      staying[0].frames$.pipe(filter((f) => (f.left?.length ?? 0) > 0)),
    );
    for (let t = 0; t < 30; t++) for (const c of staying) c.sendInput(Uint8Array.of(c.playerId, 0));
    const leftFrame = await allLeft;
    expect(leftFrame).toEqual(
      byTick.get(leftFrame.tick) ?? serverFrames.find((f) => f.tick === leftFrame.tick),
    );
    expect(leftFrame.left!.every((l) => names.includes(l.username))).toBe(true);
  }, 30_000);

  const long = (i: number) => `player-with-a-long-name-${String(i).padStart(8, '0')}`;

  it('never gives a join an earlier tick than one already given', async () => {
    const server = await createServer({ host: '127.0.0.1', maxPlayers: 8 });
    open.push(server);
    const port = server.address.tcpPort;
    // Six long names fill tick 0's room for joins; the seventh goes to tick 1.
    for (let i = 0; i < 6; i++)
      open.push(await connectReady({ host: '127.0.0.1', port, username: long(i) }));
    const x = await connectReady({ host: '127.0.0.1', port, username: long(6) });
    open.push(x);
    expect(x.startTick).toBe(1);
    // A short name would still fit at tick 0, but x would then never see it join.
    const y = await connectReady({ host: '127.0.0.1', port, username: 'y' });
    open.push(y);
    expect(y.startTick).toBeGreaterThanOrEqual(x.startTick);
  });

  it('frees the slot of a player who leaves before its first frame', async () => {
    const server = await createServer({ host: '127.0.0.1', maxPlayers: 7 });
    open.push(server);
    const port = server.address.tcpPort;
    for (let i = 0; i < 6; i++)
      open.push(await connectReady({ host: '127.0.0.1', port, username: long(i) }));
    const x = await connectReady({ host: '127.0.0.1', port, username: long(6) });
    expect(x.startTick).toBe(1);
    await x.close();
    await waitFor(() => server.players.length === 6);
    const z = await connectReady({ host: '127.0.0.1', port, username: 'z' });
    open.push(z);
    expect(z.playerId).toBe(x.playerId);
  });

  it('refuses a match whose frames could never fit a datagram', async () => {
    await expect(createServer({ maxPlayers: 256, inputSize: 4 })).rejects.toThrow(RangeError);
  });
});
