import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  type ConfirmedFrame,
  type ConnectOptions,
  type DesyncEvent,
  type GameClient,
  type GameServer,
  type NetworkEvent,
  type ServerOptions,
} from '../../src/node.js';
import { connectReady } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function start(opts: ServerOptions = {}): Promise<GameServer> {
  const server = await createServer({
    host: '127.0.0.1',
    tickRate: 100,
    inputSize: 2,
    maxPlayers: 4,
    ...opts,
  });
  open.push(server);
  return server;
}

async function join(
  server: GameServer,
  username: string,
  opts: Partial<ConnectOptions> = {},
): Promise<GameClient> {
  const c = await connectReady({
    host: '127.0.0.1',
    port: server.address.tcpPort,
    username,
    ...opts,
  });
  open.push(c);
  return c;
}

/** Sends an input every 5 ms (a tick at 200 Hz), at most `lead` ticks ahead of the frames. */
function drive(c: GameClient, input: (tick: number) => Uint8Array, lead = 10): () => void {
  const timer = setInterval(() => {
    if (c.currentTick - c.lastFrameTick <= lead) c.sendInput(input(c.currentTick));
  }, 5);
  return () => clearInterval(timer);
}

describe('network stats', () => {
  it('report loss near the conditioner settings each way, and a round trip near the added delay', async () => {
    const server = await start({
      conditioner: { loss: 0.2, delayMs: 15, seed: 3 },
      statsIntervalMs: 2500,
    });
    const c = await join(server, 'ann', {
      conditioner: { loss: 0.1, delayMs: 10, seed: 4 },
      statsIntervalMs: 2500,
    });
    const stop = drive(c, () => Uint8Array.of(1, 2));
    const serverSide = firstValueFrom(
      server.stats$.pipe(filter((s) => s.packetsIn > 150 && s.lossIn > 0)),
    );
    const [, second] = await firstValueFrom(c.stats$.pipe(take(2), toArray()));
    stop();
    const st = second;
    // Client side: packets from the server lost at 10%, its own lost at 20% (the server's report).
    expect(st.lossIn).toBeGreaterThan(0.03);
    expect(st.lossIn).toBeLessThan(0.18);
    expect(st.lossOut).toBeGreaterThan(0.12);
    expect(st.lossOut).toBeLessThan(0.28);
    // 25 ms of added delay on the round trip, plus scheduling on a shared machine.
    expect(st.rttMs).toBeGreaterThanOrEqual(20);
    expect(st.rttMs).toBeLessThan(80);
    expect(st.jitterMs).not.toBeNull();
    expect(st.bytesOutPerSec).toBeGreaterThan(0);
    expect(st.bytesInPerSec).toBeGreaterThan(0);
    expect(st.packetsOut).toBeGreaterThan(100);
    const ss = await serverSide;
    expect(ss.playerId).toBe(c.playerId);
    expect(ss.lossIn).toBeGreaterThan(0.1);
    expect(ss.lossIn).toBeLessThan(0.3);
    expect(ss.rttMs).toBeGreaterThanOrEqual(20);
    // On demand, between emissions.
    expect(c.getStats().packetsOut).toBeGreaterThanOrEqual(st.packetsOut);
  }, 20_000);
});

describe('input delay', () => {
  it('puts the input sampled at local tick t at tick t + inputDelay, and survives changes', async () => {
    const server = await start();
    const c = await join(server, 'ann', { inputDelay: 3 });
    expect(c.inputDelay).toBe(3);
    const frames = firstValueFrom(c.frames$.pipe(take(20), toArray()));
    // s is c.startTick below.
    const mine = (f: ConfirmedFrame) => Array.from(f.inputs[c.playerId]!);
    // Local ticks s .. s+4 with delay 3: their inputs go to s+3 .. s+7; s .. s+2 are neutral.
    for (let i = 0; i < 5; i++) c.sendInput(Uint8Array.of(1, i));
    // Longer delay (5): the next input (local s+5) goes to s+10; s+8, s+9 repeat the last input.
    c.setInputDelay(5);
    c.sendInput(Uint8Array.of(2, 0));
    // Shorter delay (2): local s+6 -> s+8 and s+7 -> s+9 already have inputs: dropped.
    c.setInputDelay(2);
    c.sendInput(Uint8Array.of(3, 0));
    c.sendInput(Uint8Array.of(3, 1));
    c.sendInput(Uint8Array.of(3, 2)); // local s+8 -> s+10: still taken, dropped
    for (let i = 0; i < 9; i++) c.sendInput(Uint8Array.of(4, i)); // local s+9.. -> s+11..
    const got = (await frames).map(mine);
    expect(got).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
      [1, 4],
      [1, 4],
      [1, 4],
      [2, 0],
      ...Array.from({ length: 9 }, (_, i) => [4, i]),
    ]);
  });

  it('a playout buffer still delivers every frame once, in order', async () => {
    const server = await start();
    const c = await join(server, 'ann', { playoutDelayMs: 30 });
    const frames = firstValueFrom(c.frames$.pipe(take(30), toArray()));
    for (let i = 0; i < 30; i++) c.sendInput(Uint8Array.of(0, i));
    expect((await frames).map((f) => f.tick)).toEqual(
      Array.from({ length: 30 }, (_, i) => c.startTick + i),
    );
  });
});

describe('desync detection', () => {
  it('names the exact first tick where one bot diverges, on the server and every client, with snapshots', async () => {
    const server = await start({ conditioner: { loss: 0.2, jitterMs: 5, reorder: 0.1, seed: 9 } });
    const serverEvents: NetworkEvent[] = [];
    server.events$.subscribe((e) => serverEvents.push(e));
    const BAD = 57;
    const bots = await Promise.all(
      ['ann', 'bob', 'cid'].map((n, i) =>
        join(server, n, {
          conditioner: { loss: 0.2, seed: 20 + i },
          snapshot: (tick) => Uint8Array.of(i, tick & 0xff),
        }),
      ),
    );
    const clientDesyncs = bots.map((b) =>
      firstValueFrom(b.events$.pipe(filter((e): e is DesyncEvent => e.type === 'desync'))),
    );
    const stops: (() => void)[] = [];
    bots.forEach((bot, i) => {
      // A tiny deterministic simulation: a sum of every input byte, checksummed each tick.
      let state = 0;
      bot.frames$.subscribe((f) => {
        for (const input of f.inputs) if (input) state = (state * 31 + input[0] + input[1]) >>> 0;
        if (i === 2 && f.tick === bot.startTick + BAD) state = (state + 1) >>> 0; // the bug
        bot.reportChecksum(f.tick, state);
      });
      stops.push(drive(bot, (t) => Uint8Array.of(i, t & 0xff)));
    });
    const desyncs = await Promise.all(clientDesyncs);
    stops.forEach((s) => s());
    const expectedTick = bots[2].startTick + BAD;
    for (const d of desyncs) expect(d.tick).toBe(expectedTick);
    const onServer = serverEvents.filter((e): e is DesyncEvent => e.type === 'desync');
    expect(onServer).toHaveLength(1);
    expect(onServer[0].tick).toBe(expectedTick);
    const sums = new Set(onServer[0].checksums.map((c) => c.checksum));
    expect(sums.size).toBeGreaterThan(1);
    // Every client answered with its snapshot for that tick.
    await waitFor(() => serverEvents.filter((e) => e.type === 'snapshot').length === 3);
    for (const e of serverEvents) {
      if (e.type === 'snapshot')
        expect(Array.from(e.data)).toEqual([
          e.playerId === bots[0].playerId ? 0 : e.playerId === bots[1].playerId ? 1 : 2,
          expectedTick & 0xff,
        ]);
    }
  }, 30_000);
});
