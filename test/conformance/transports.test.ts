import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createMemoryTransport,
  createServer,
  nodeTransport,
  nodeWebTransport,
  type ConnectOptions,
  type GameClient,
  type GameServer,
  type ServerOptions,
  type Transport,
} from '../../src/node.js';
import { flakyTransport } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * One suite, run over every transport: what the server and client promise does not depend
 * on what carries the bytes.
 */
const transports: [string, () => Transport][] = [
  ['node (UDP + TCP)', () => nodeTransport],
  ['memory', () => createMemoryTransport()],
  ['web (WebSocket + WebRTC data channel)', () => nodeWebTransport()],
  [
    'web, datagrams on the WebSocket fallback',
    () => nodeWebTransport({ client: { RTCPeerConnection: null } }),
  ],
];

describe.each(transports)('over the %s transport', (_name, makeTransport) => {
  const open: { close(): Promise<void> }[] = [];
  let transport: Transport;
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });

  async function start(opts: ServerOptions = {}): Promise<GameServer> {
    transport = makeTransport();
    const s = await createServer({
      host: '127.0.0.1',
      tickRate: 100,
      inputSize: 2,
      maxPlayers: 4,
      transport,
      ...opts,
    });
    open.push(s);
    return s;
  }
  async function join(
    server: GameServer,
    username: string,
    opts: Partial<ConnectOptions> = {},
  ): Promise<GameClient> {
    const c = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username,
      transport,
      ...opts,
    });
    open.push(c);
    c.ready(); // as a game does once loaded: the join takes effect
    await c.seated;
    return c;
  }
  /** Both send n inputs and wait until both have every frame up to the last. */
  async function play(clients: GameClient[], n: number): Promise<void> {
    const last = Math.max(...clients.map((c) => c.currentTick)) + n - 1;
    const done = Promise.all(
      clients.map((c) => firstValueFrom(c.frames$.pipe(filter((f) => f.tick >= last)))),
    );
    for (let i = 0; i < n; i++) for (const c of clients) c.sendInput(Uint8Array.of(c.playerId, i));
    await done;
  }

  it('gives a late joiner every frame from the first tick, then the live ones, with no gap', async () => {
    const server = await start();
    const a = await join(server, 'ann');
    const fa = firstValueFrom(a.frames$.pipe(take(60), toArray()));
    await play([a], 30);
    const b = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'bob',
      transport,
    });
    open.push(b);
    const fb = firstValueFrom(b.frames$.pipe(take(60), toArray()));
    expect(await b.caughtUp).toBe(30);
    b.ready();
    await b.seated;
    await play([a, b], 30);
    expect(await fb).toEqual(await fa);
  });

  it('gives a spectator every frame from the first tick, then the live ones, with no slot', async () => {
    const server = await start({ maxPlayers: 1 });
    const a = await join(server, 'ann');
    const fa = firstValueFrom(a.frames$.pipe(take(60), toArray()));
    await play([a], 30);
    const w = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: 'eve',
      transport,
      spectate: true,
    });
    open.push(w);
    const fw = firstValueFrom(w.frames$.pipe(take(60), toArray()));
    expect(w.playerId).toBe(-1);
    expect(await w.caughtUp).toBe(30);
    await play([a], 30);
    expect(await fw).toEqual(await fa);
    expect(server.spectators).toEqual(['eve']);
    const closed = w.closed;
    await server.close();
    expect(await closed).toMatchObject({ reason: 'server-closing' });
  });

  it('brings a client whose reliable channel is lost back to its slot, frames without a gap', async () => {
    const server = await start({ disconnectTimeoutMs: 300 });
    const a = await join(server, 'ann');
    const flaky = flakyTransport(transport);
    const b = await join(server, 'bob', { transport: flaky });
    const fa = firstValueFrom(a.frames$.pipe(take(40), toArray()));
    const fb = firstValueFrom(b.frames$.pipe(take(40), toArray()));
    await play([a, b], 10);
    const back = firstValueFrom(b.events$.pipe(filter((e) => e.type === 'reconnected')));
    const reseated = firstValueFrom(b.events$.pipe(filter((e) => e.type === 'seated')));
    flaky.cut();
    await back;
    await reseated; // its inputs count again from a new start tick
    // Both go on from their own next ticks; the ticks bob missed have his input put in.
    for (let i = 0; i < 30; i++) a.sendInput(Uint8Array.of(a.playerId, i));
    const seatedAt = b.startTick;
    const target = a.startTick + a.inputsSent;
    while (b.startTick + b.inputsSent < target) b.sendInput(Uint8Array.of(b.playerId, 0));
    expect(await fb).toEqual(await fa);
    expect(b.playerId).toBe(1);
    expect(seatedAt).toBeGreaterThan(9);
  });

  it('delivers the same frames to every client, with joins in the stream', async () => {
    const server = await start();
    const a = await join(server, 'ann');
    const b = await join(server, 'bob');
    const fa = firstValueFrom(a.frames$.pipe(take(20), toArray()));
    const fb = firstValueFrom(b.frames$.pipe(take(20), toArray()));
    await play([a, b], 20);
    expect(await fa).toEqual(await fb);
    expect((await fa)[0].joined?.map((p) => p.username)).toEqual(['ann', 'bob']);
  });

  it('carries chat to everyone with the sender name, and world state to one player', async () => {
    const server = await start();
    const a = await join(server, 'ann');
    const b = await join(server, 'bob');
    const chatB = firstValueFrom(b.chat$);
    const serverChat = firstValueFrom(server.chat$);
    a.sendChat('hello');
    expect(await chatB).toEqual({ from: 'ann', text: 'hello' });
    expect(await serverChat).toEqual({ from: 'ann', text: 'hello' });
    const world = firstValueFrom(b.worldState$);
    expect(server.sendWorldState(b.playerId, Uint8Array.of(7, 7, 7))).toBe(true);
    expect(await world).toEqual(Uint8Array.of(7, 7, 7));
  });

  it('keeps frames identical at 30% loss with duplication and reordering', async () => {
    const bad = (seed: number) => ({ loss: 0.3, duplicate: 0.2, reorder: 0.2, jitterMs: 4, seed });
    const server = await start({ conditioner: bad(1) });
    const clients = [
      await join(server, 'a', { conditioner: bad(2) }),
      await join(server, 'b', { conditioner: bad(3) }),
      await join(server, 'c', { conditioner: bad(4) }),
    ];
    const all = clients.map((c) => firstValueFrom(c.frames$.pipe(take(100), toArray())));
    await play(clients, 100);
    const [x, y, z] = await Promise.all(all);
    expect(y).toEqual(x);
    expect(z).toEqual(x);
    for (const c of clients)
      expect(x.map((f) => f.inputs[c.playerId]![1])).toEqual(
        Array.from({ length: 100 }, (_, i) => i),
      );
  });

  it('a leaving player is named in one frame for all; a kicked one is told why', async () => {
    const server = await start();
    const a = await join(server, 'ann');
    const b = await join(server, 'bob');
    const c = await join(server, 'cid');
    await play([a, b, c], 5);
    await c.close();
    const leave = firstValueFrom(server.players$.pipe(filter((e) => e.type === 'leave')));
    await play([a, b], 5);
    expect(await leave).toMatchObject({
      type: 'leave',
      player: { username: 'cid' },
      reason: 'left',
    });
    expect(server.kick(b.playerId, 'be nice')).toBe(true);
    expect(await b.closed).toEqual({ type: 'disconnected', reason: 'kicked', message: 'be nice' });
    await play([a], 5);
    expect(server.players.map((p) => p.username)).toEqual(['ann']);
  });

  it('completes every client stream when the server closes', async () => {
    const server = await start();
    const a = await join(server, 'ann');
    const frames = firstValueFrom(a.frames$.pipe(toArray()));
    await play([a], 3);
    await server.close();
    expect(await a.closed).toMatchObject({ reason: 'server-closing' });
    expect((await frames).length).toBe(3);
    await a.close(); // still safe
  });

  it('rejects a join to a port nobody listens on', async () => {
    const server = await start();
    const port = server.address.tcpPort;
    await server.close();
    await expect(connect({ host: '127.0.0.1', port, username: 'x', transport })).rejects.toThrow();
  });

  it('refuses a duplicate name', async () => {
    const server = await start();
    await join(server, 'ann');
    await expect(join(server, 'ann')).rejects.toMatchObject({ reason: 'duplicate-name' });
    await waitFor(() => server.players.length === 1);
  });
});
