import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ConfirmedFrame } from '../../src/node.js';
import { connectReady } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('a player who leaves', () => {
  it('has every input the server acknowledged confirmed before its leave takes effect', async () => {
    const server = await createServer({ host: '127.0.0.1', tickRate: 100, maxPlayers: 2 });
    open.push(server);
    const frames: ConfirmedFrame[] = [];
    server.frames$.subscribe((f) => frames.push(f));
    const a = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'ann',
    });
    const b = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'bob',
    });
    open.push(a, b);
    const first = Math.max(a.startTick, b.startTick);
    // ann runs ahead: inputs up to first + 9; bob only to first + 4.
    for (let t = a.startTick; t <= first + 9; t++) a.sendInput(Uint8Array.of(1, t & 0xff));
    for (let t = b.startTick; t <= first + 4; t++) b.sendInput(Uint8Array.of(2, t & 0xff));
    await waitFor(() => a.getStats().unacked === 0 && frames.some((f) => f.tick === first + 4));
    await a.close();
    // bob goes on; the frames he now completes still carry ann's inputs, to her last one.
    const left = firstValueFrom(server.players$.pipe(filter((e) => e.type === 'leave')));
    const bobs = firstValueFrom(
      b.frames$.pipe(
        filter((f) => f.tick > first + 4),
        take(6),
        toArray(),
      ),
    );
    for (let t = first + 5; t <= first + 10; t++) b.sendInput(Uint8Array.of(2, t & 0xff));
    expect(await left).toMatchObject({ tick: first + 10, reason: 'left' });
    const after = await bobs;
    for (const f of after.slice(0, 5))
      expect(f.inputs[a.playerId]).toEqual(Uint8Array.of(1, f.tick & 0xff));
    expect(after[5]).toMatchObject({
      tick: first + 10,
      left: [{ username: 'ann', reason: 'left' }],
    });
    expect(after[5].inputs[a.playerId]).toBeNull();
  });

  it('who has nothing acknowledged ahead of the game leaves at the next tick to confirm', async () => {
    const server = await createServer({ host: '127.0.0.1', tickRate: 100, maxPlayers: 2 });
    open.push(server);
    const a = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'ann',
    });
    const b = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'bob',
    });
    open.push(b);
    const left = firstValueFrom(server.players$.pipe(filter((e) => e.type === 'leave')));
    await a.close();
    await waitFor(() => server.players.length === 1);
    b.sendInput(Uint8Array.of(2, 0)); // the frame that names the leave needs bob's input
    const leave = await left;
    expect(leave).toMatchObject({ tick: b.startTick, player: { username: 'ann' }, reason: 'left' });
    expect(server.players.map((p) => p.username)).toEqual(['bob']);
  });
});
