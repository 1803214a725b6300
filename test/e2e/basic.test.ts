import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createServer,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
} from '../../src/node.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function startServer(opts: Parameters<typeof createServer>[0] = {}): Promise<GameServer> {
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    tickRate: 60,
    inputSize: 2,
    maxPlayers: 4,
    ...opts,
  });
  open.push(server);
  return server;
}

async function join(server: GameServer, username: string): Promise<GameClient> {
  const client = await connect({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username,
    password: 'pw',
  });
  open.push(client);
  return client;
}

describe('server and client, smoke', () => {
  it('two clients get the same frames with every input as sent', async () => {
    const server = await startServer();
    const a = await join(server, 'ann');
    const b = await join(server, 'bob');
    expect(a.playerId).not.toBe(b.playerId);
    const n = 50;
    const aFrames = firstValueFrom(a.frames$.pipe(take(n), toArray()));
    const bFrames = firstValueFrom(
      b.frames$.pipe(take(n - (b.startTick - a.startTick)), toArray()),
    );
    for (let i = 0; i < n; i++) {
      a.sendInput(Uint8Array.of(1, i));
      b.sendInput(Uint8Array.of(2, i));
    }
    const fa: ConfirmedFrame[] = await aFrames;
    const fb: ConfirmedFrame[] = await bFrames;
    expect(fa.map((f) => f.tick)).toEqual(Array.from({ length: n }, (_, i) => a.startTick + i));
    const byTick = new Map(fa.map((f) => [f.tick, f]));
    for (const f of fb) expect(f).toEqual(byTick.get(f.tick));
    const last = fb[fb.length - 1];
    expect(last.inputs[a.playerId]).toEqual(Uint8Array.of(1, last.tick - a.startTick));
    expect(last.inputs[b.playerId]).toEqual(Uint8Array.of(2, last.tick - b.startTick));
  });
});
