// Joins that fail authentication and idle connections (a slowloris) lock no honest player out.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type GameServer } from '../../src/node.js';
import { MessageType, PROTOCOL_VERSION, encodeMessage } from '../../src/protocol/index.js';
import { frameMessage } from '../../src/sources/fromTcpSocket.js';
import { connectReady } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** A raw TCP connection from `localAddress`; `join` sends a join request with a wrong password. */
function rawConnect(server: GameServer, localAddress: string, join: boolean): net.Socket {
  const tcp = net.connect({ port: server.address.tcpPort, host: '127.0.0.1', localAddress });
  tcp.on('error', () => undefined);
  tcp.resume(); // reads (and drops) what the server sends, so its close is seen
  if (join)
    tcp.once('connect', () =>
      tcp.write(
        frameMessage(
          encodeMessage({
            type: MessageType.Join,
            protocolVersion: PROTOCOL_VERSION,
            username: `bad-${sockets.length}`,
            password: 'wrong',
          }),
        ),
      ),
    );
  sockets.push(tcp);
  return tcp;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('no one locks the others out', () => {
  it('500 wrong-password joins with a 5 ms authenticator hold no seat: an honest join gets in', async () => {
    const server = await createServer({
      maxPlayers: 4,
      maxPendingJoins: 1000,
      maxPendingJoinsPerAddress: 1000,
      authenticate: async ({ password }) => {
        await sleep(5);
        return password === 'right';
      },
    });
    open.push(server);
    // Wrong-password joins, 100 at a time (each refused is followed by the next), until the
    // honest joins are done and 500 were made.
    let made = 0;
    let honestDone = false;
    const flood = (): void => {
      if (honestDone && made >= 500) return;
      made++;
      rawConnect(server, '127.0.0.2', true).once('close', flood);
    };
    for (let i = 0; i < 100; i++) flood();
    await waitFor(() => made >= 250); // the flood is inside authenticate
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) =>
        connectReady({
          host: '127.0.0.1',
          port: server.address.tcpPort,
          username: `honest${i}`,
          password: 'right',
        }),
      ),
    );
    honestDone = true;
    await waitFor(() => made >= 500);
    for (const r of results) if (r.status === 'fulfilled') open.push(r.value);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason)))).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
  }, 20_000);

  for (const spread of [1, 64]) {
    it(`honest joins get in under a sustained slowloris from ${spread} address(es)`, async () => {
      const server = await createServer({ maxPlayers: 16, joinTimeoutMs: 5000 });
      open.push(server);
      let stop = false;
      let n = 0;
      // Each idle connection closed is opened again at once: 256 held all the time.
      const hold = (): void => {
        if (stop) return;
        const tcp = rawConnect(server, `127.0.0.${2 + (n++ % spread)}`, false);
        tcp.once('close', () => setImmediate(hold));
      };
      for (let i = 0; i < 256; i++) hold();
      await sleep(200);
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          connectReady({ host: '127.0.0.1', port: server.address.tcpPort, username: `h${i}` }),
        ),
      );
      stop = true;
      for (const r of results) if (r.status === 'fulfilled') open.push(r.value);
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      expect(ok).toBe(12);
    }, 20_000);
  }
});
