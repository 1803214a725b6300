import * as net from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectTimeoutError,
  ConnectionError,
  JoinRefusedError,
  connect,
  createServer,
  type GameServer,
  type WarningEvent,
} from '../../src/node.js';
import { connectReady } from '../helpers/players.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function start(opts: Parameters<typeof createServer>[0] = {}): Promise<GameServer> {
  const s = await createServer({
    host: '127.0.0.1',
    tickRate: 100,
    inputSize: 2,
    maxPlayers: 2,
    ...opts,
  });
  open.push(s);
  return s;
}

describe('connect and the client, at the edges', () => {
  it('is refused with server-full when every slot is taken', async () => {
    const server = await start();
    for (const name of ['a', 'b'])
      open.push(
        await connectReady({ host: '127.0.0.1', port: server.address.tcpPort, username: name }),
      );
    await expect(
      connectReady({ host: '127.0.0.1', port: server.address.tcpPort, username: 'c' }),
    ).rejects.toEqual(new JoinRefusedError('server-full'));
  });

  it('rejects with ConnectTimeoutError when the server never answers the join', async () => {
    const silent = net.createServer((s) => s.resume());
    open.push({ close: () => new Promise((r) => silent.close(r)) });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const err = await connectReady({
      host: '127.0.0.1',
      port,
      username: 'x',
      connectTimeoutMs: 200,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectTimeoutError);
    silent.close();
  });

  it('rejects with ConnectionError when nothing listens', async () => {
    const server = await start();
    const port = server.address.tcpPort;
    await server.close();
    await expect(connect({ host: '127.0.0.1', port, username: 'x' })).rejects.toBeInstanceOf(
      ConnectionError,
    );
  });

  it('throws at once on an input of the wrong size', async () => {
    const server = await start();
    const c = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'a',
    });
    open.push(c);
    expect(() => c.sendInput(Uint8Array.of(1))).toThrow(RangeError);
    expect(() => c.sendInput(Uint8Array.of(1, 2, 3))).toThrow(RangeError);
    expect(c.inputsSent).toBe(0);
  });

  it('reports a full input window on events$ when the server acknowledges nothing', async () => {
    // The server hears nothing (100% loss on what it receives), so it never acknowledges.
    const server = await start({ conditioner: { loss: 1 }, disconnectTimeoutMs: 60_000 });
    const c = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'a',
      maxUnackedInputs: 8,
    });
    open.push(c);
    const full = firstValueFrom(
      c.events$.pipe(
        filter((e): e is WarningEvent => e.type === 'warning' && e.code === 'buffer-full'),
      ),
    );
    for (let i = 0; i < 9; i++) c.sendInput(Uint8Array.of(0, i));
    expect((await full).message).toContain('input for tick 8 refused (window-full)');
    expect(c.getStats().unacked).toBe(8);
  });

  it('after close, sendInput does nothing and close can be called again', async () => {
    const server = await start();
    const c = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'a',
    });
    await c.close();
    c.sendInput(Uint8Array.of(0, 0));
    await c.close();
    expect(await c.closed).toMatchObject({ reason: 'closed' });
  });
});

describe('flow control', () => {
  it('a full input window holds the player back, and play goes on once acks come', async () => {
    const server = await start();
    const c = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'a',
      maxUnackedInputs: 4,
    });
    open.push(c);
    const warned = firstValueFrom(
      c.events$.pipe(filter((e) => e.type === 'warning' && e.code === 'buffer-full')),
    );
    // A burst the server cannot acknowledge in between: only 4 fit.
    for (let i = 0; i < 20; i++) c.sendInput(Uint8Array.of(0, i));
    await warned;
    // Then one input per frame received: the game moves on well past the window.
    const target = c.startTick + 40;
    const reached = firstValueFrom(c.frames$.pipe(filter((f) => f.tick >= target)));
    const sub = c.frames$.subscribe(() => c.sendInput(Uint8Array.of(1, 1)));
    c.sendInput(Uint8Array.of(1, 1));
    await reached;
    sub.unsubscribe();
    expect(server.players).toHaveLength(1);
  });

  it('inputs far beyond the assembler window are taken later, not lost', async () => {
    const server = await start({ maxTicksAhead: 16 });
    const drops: unknown[] = [];
    server.events$.subscribe((e) => e.type === 'drop' && drops.push(e));
    const a = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'a',
    });
    const b = await connectReady({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'b',
    });
    open.push(a, b);
    // a runs 60 ticks ahead at once; b follows one tick per frame.
    for (let i = 0; i < 60; i++) a.sendInput(Uint8Array.of(0, i));
    const end = firstValueFrom(b.frames$.pipe(filter((f) => f.tick >= b.startTick + 59)));
    const sub = b.frames$.subscribe(() => {
      if (b.inputsSent < 60) b.sendInput(Uint8Array.of(1, b.inputsSent));
    });
    b.sendInput(Uint8Array.of(1, 0));
    const last = await end;
    sub.unsubscribe();
    expect(last.inputs[a.playerId]).toEqual(Uint8Array.of(0, 59 - (a.startTick - b.startTick)));
    expect(drops).toEqual([]);
  });
});
