import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GameNetworkError, connect, createServer, type GameServer } from '../../src/node.js';
import { waitFor } from '../helpers/waitFor.js';
import { selfSigned, type SelfSigned } from '../transport/selfSigned.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

let cert: SelfSigned;
beforeAll(() => {
  cert = selfSigned();
});

async function tlsServer(): Promise<GameServer> {
  const server = await createServer({
    host: '127.0.0.1',
    tickRate: 60,
    inputSize: 2,
    maxPlayers: 4,
    tls: { key: cert.key, cert: cert.cert },
  });
  open.push(server);
  return server;
}

describe('a match over TLS', () => {
  it('two players who trust the certificate play a short match, the same frames for both', async () => {
    const server = await tlsServer();
    const join = async (username: string) => {
      const client = await connect({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username,
        tls: { ca: cert.cert },
      });
      open.push(client);
      return client;
    };
    const a = await join('ann');
    const b = await join('bob');
    const n = 30;
    const aFrames = firstValueFrom(a.frames$.pipe(take(n), toArray()));
    const bFrames = firstValueFrom(
      b.frames$.pipe(take(n - (b.startTick - a.startTick)), toArray()),
    );
    for (let i = 0; i < n; i++) {
      a.sendInput(Uint8Array.of(1, i));
      b.sendInput(Uint8Array.of(2, i));
    }
    const fa = await aFrames;
    const fb = await bFrames;
    expect(fa.map((f) => f.tick)).toEqual(Array.from({ length: n }, (_, i) => a.startTick + i));
    const byTick = new Map(fa.map((f) => [f.tick, f]));
    for (const f of fb) expect(f).toEqual(byTick.get(f.tick));
    expect(fa[fa.length - 1].inputs[a.playerId]).toEqual(Uint8Array.of(1, n - 1));
    // Chat goes over the reliable channel, over TLS too.
    const said = firstValueFrom(b.chat$);
    a.sendChat('hello over TLS');
    expect(await said).toMatchObject({ text: 'hello over TLS' });
  });

  it('a client without TLS cannot join a TLS server: its join is closed, and the server says why', async () => {
    const server = await tlsServer();
    const warnings: string[] = [];
    server.events$.subscribe((e) => {
      if (e.type === 'warning') warnings.push(`${e.code}: ${e.message}`);
    });
    const joining = connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'plain',
      connectTimeoutMs: 3000,
    });
    const err: unknown = await joining.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GameNetworkError);
    expect(String(err)).toMatch(/closed the connection during the join/);
    await waitFor(() =>
      warnings.some((w) => /TLS handshake failed \(a client without TLS\?\)/.test(w)),
    );
    expect(server.players).toHaveLength(0);
  });

  it('a TLS client refuses a certificate it does not trust, and a server that does not speak TLS', async () => {
    const server = await tlsServer();
    const untrusted = connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'wary',
      tls: {},
    });
    await expect(untrusted).rejects.toThrow(/over TLS.*self[- ]signed/i);
    const plain = await createServer({ host: '127.0.0.1' });
    open.push(plain);
    const toPlain = connect({
      host: '127.0.0.1',
      port: plain.address.tcpPort,
      username: 'tls',
      tls: { ca: cert.cert },
    });
    await expect(toPlain).rejects.toThrow(/over TLS/);
  });

  it('createServer refuses a key and certificate that cannot be used, opening nothing', async () => {
    await expect(
      createServer({ host: '127.0.0.1', tls: { key: 'not a key', cert: cert.cert } }),
    ).rejects.toThrow(/cannot serve TLS/);
  });
});
