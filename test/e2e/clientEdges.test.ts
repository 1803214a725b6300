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
} from '../../src/index.js';

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
      open.push(await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: name }));
    await expect(
      connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'c' }),
    ).rejects.toEqual(new JoinRefusedError('server-full'));
  });

  it('rejects with ConnectTimeoutError when the server never answers the join', async () => {
    const silent = net.createServer((s) => s.resume());
    open.push({ close: () => new Promise((r) => silent.close(r)) });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const err = await connect({
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
    const c = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'a' });
    open.push(c);
    expect(() => c.sendInput(Uint8Array.of(1))).toThrow(RangeError);
    expect(() => c.sendInput(Uint8Array.of(1, 2, 3))).toThrow(RangeError);
    expect(c.inputsSent).toBe(0);
  });

  it('reports a full input window on events$ when the server acknowledges nothing', async () => {
    // The server hears nothing (100% loss on what it receives), so it never acknowledges.
    const server = await start({ conditioner: { loss: 1 }, disconnectTimeoutMs: 60_000 });
    const c = await connect({
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
    const c = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'a' });
    await c.close();
    c.sendInput(Uint8Array.of(0, 0));
    await c.close();
    expect(await c.closed).toMatchObject({ reason: 'closed' });
  });
});
