// Issue 13 over real sockets: spectators get every frame from tick 0, never slow the match, are bounded, delayed and dropped alone.
import { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  JoinRefusedError,
  connect,
  createServer,
  nodeTransport,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type ServerNetworkEvent,
  type ServerOptions,
  type SpectatorEvent,
  type Transport,
  type TransportPeer,
} from '../../src/node.js';
import { connectReady, playBot, type Bot } from '../helpers/players.js';
import { Resources } from '../helpers/resources.js';
import { waitFor } from '../helpers/waitFor.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

const TICK_RATE = 200;

async function startServer(options: ServerOptions = {}): Promise<GameServer> {
  return resources.add(
    await createServer({
      host: '127.0.0.1',
      tickRate: TICK_RATE,
      inputSize: 2,
      maxPlayers: 2,
      ...options,
    }),
  );
}

function where(server: GameServer) {
  return { host: '127.0.0.1', port: server.address.tcpPort };
}

/** Two bots, each with every frame it got. */
async function players(
  server: GameServer,
): Promise<{ bots: Bot[]; frames: ConfirmedFrame[][]; clients: GameClient[] }> {
  const bots: Bot[] = [];
  const frames: ConfirmedFrame[][] = [];
  const clients: GameClient[] = [];
  for (const username of ['ann', 'bob']) {
    const client = resources.add(await connectReady({ ...where(server), username }));
    const got: ConfirmedFrame[] = [];
    client.frames$.subscribe((f) => got.push(f));
    const bot = playBot(client);
    resources.add({ close: () => bot.stop() });
    bots.push(bot);
    frames.push(got);
    clients.push(client);
  }
  return { bots, frames, clients };
}

/** A spectator, with every frame it got. */
async function spectator(
  server: GameServer,
  username: string,
): Promise<{ client: GameClient; frames: ConfirmedFrame[] }> {
  const client = resources.add(await connect({ ...where(server), username, spectate: true }));
  const frames: ConfirmedFrame[] = [];
  client.frames$.subscribe((f) => frames.push(f));
  return { client, frames };
}

function lastTickOf(server: GameServer): { tick: number } {
  const last = { tick: -1 };
  server.frames$.subscribe((f) => (last.tick = f.tick));
  return last;
}

/**
 * The server side of the Node transport, where the connection at index `stallAt` can be made
 * to stop reading: from `stall()` on, what the server sends it is kept queued, never sent, as
 * the bytes of a peer that does not read (its `bufferedBytes` is full and grows).
 */
function stallingTransport(stallAt: number): Transport & { stall(): void } {
  let stalled = false;
  let accepted = 0;
  const wrap = (peer: TransportPeer): TransportPeer => {
    let queued = 0;
    const { messages } = peer;
    return {
      remoteAddress: peer.remoteAddress,
      warnings$: peer.warnings$,
      signal: (data) => peer.signal(data),
      openDatagrams: (signal) => peer.openDatagrams(signal),
      messages: {
        messages$: messages.messages$,
        send: (bytes) => {
          if (!stalled) return messages.send(bytes);
          queued += bytes.length;
          return true;
        },
        end: () => messages.end(),
        destroy: () => messages.destroy(),
        get bufferedBytes() {
          // A socket whose peer stopped reading: the kernel's buffers full, then this queue.
          return messages.bufferedBytes + (stalled ? 4 * 1024 * 1024 + queued : 0);
        },
      },
    };
  };
  return {
    stall: () => (stalled = true),
    connect: (options) => nodeTransport.connect(options),
    listen: async (options) => {
      const listener = await nodeTransport.listen(options);
      return {
        address: listener.address,
        warnings$: listener.warnings$,
        close: () => listener.close(),
        connections$: new Observable<TransportPeer>((subscriber) =>
          listener.connections$.subscribe({
            next: (peer) => subscriber.next(accepted++ === stallAt ? wrap(peer) : peer),
            error: (e: unknown) => subscriber.error(e),
            complete: () => subscriber.complete(),
          }),
        ),
      };
    },
  };
}

describe('spectators', () => {
  it('a spectator joining at tick 600 gets every frame from tick 0, equal to the players', async () => {
    const server = await startServer();
    const last = lastTickOf(server);
    const watched: SpectatorEvent[] = [];
    server.spectators$.subscribe((e) => watched.push(e));
    const { frames } = await players(server);
    await waitFor(() => last.tick >= 600, { timeoutMs: 15_000, message: 'tick 600' });

    const watcher = await spectator(server, 'eve');
    expect(watcher.client.spectating).toBe(true);
    expect(watcher.client.playerId).toBe(-1);
    expect(watcher.client.firstTick).toBe(0);
    expect(() => watcher.client.sendInput(Uint8Array.of(1, 2))).toThrow();
    const caughtUp = await watcher.client.caughtUp;
    expect(caughtUp).toBeGreaterThanOrEqual(600);
    const until = caughtUp + 100;
    await waitFor(() => watcher.frames.length > until && frames.every((f) => f.length > until), {
      timeoutMs: 10_000,
      message: 'the frames after the catch-up',
    });
    // Every frame from tick 0, in order, each once, equal to what both players got.
    expect(watcher.frames.slice(0, until).map((f) => f.tick)).toEqual(
      Array.from({ length: until }, (_, i) => i),
    );
    for (const got of frames) expect(watcher.frames.slice(0, until)).toEqual(got.slice(0, until));

    // Not a player: the match has its two, the server lists one spectator.
    expect(server.players.map((p) => p.username).sort()).toEqual(['ann', 'bob']);
    expect(server.spectators).toEqual(['eve']);
    expect(watched).toHaveLength(1);
    expect(watched[0]).toMatchObject({ type: 'join', username: 'eve' });

    await watcher.client.close();
    await waitFor(() => watched.length === 2, { message: 'the spectator to leave' });
    expect(watched[1]).toMatchObject({ type: 'leave', username: 'eve', reason: 'left' });
    expect(server.spectators).toEqual([]);
  }, 30_000);

  it('a spectator that stops reading is dropped alone; the players keep their frame rate', async () => {
    const transport = stallingTransport(2); // ann, bob, then the spectator
    const server = await startServer({ transport, spectatorMaxLagMs: 300 });
    const last = lastTickOf(server);
    const events: ServerNetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const watched: SpectatorEvent[] = [];
    server.spectators$.subscribe((e) => watched.push(e));
    const { bots } = await players(server);
    const watcher = await spectator(server, 'eve');
    await watcher.client.caughtUp;
    await waitFor(() => last.tick >= 200, { message: 'a second of the match' });

    const arrivals: number[] = [];
    server.frames$.subscribe(() => arrivals.push(performance.now()));
    const counts = bots.map((b) => b.ticks.length);
    const from = performance.now();
    transport.stall();
    const left = await waitFor(() => watched.find((e) => e.type === 'leave'), {
      timeoutMs: 5_000,
      message: 'the stalled spectator to be dropped',
    });
    expect(left).toMatchObject({ type: 'leave', username: 'eve', reason: 'behind' });
    // A second more of the match after the drop.
    const dropAt = performance.now();
    await waitFor(() => performance.now() - dropAt > 1000, { message: 'a second' });
    const seconds = (performance.now() - from) / 1000;

    // The players noticed nothing: nobody away or dropped, frames at the tick rate throughout.
    expect(events.filter((e) => e.type === 'away' || e.type === 'drop')).toEqual([]);
    expect(server.players.length).toBe(2);
    for (const [i, bot] of bots.entries()) {
      const perSecond = (bot.ticks.length - counts[i]) / seconds;
      expect(perSecond).toBeGreaterThan(TICK_RATE * 0.8);
    }
    // No second-long window of the server's frames below 80% of the tick rate.
    for (let t = from; t + 1000 <= performance.now(); t += 100) {
      const inWindow = arrivals.filter((a) => a >= t && a < t + 1000).length;
      expect(inWindow).toBeGreaterThan(TICK_RATE * 0.8);
    }
    expect(server.spectators).toEqual([]);
  }, 30_000);

  it('maxSpectators bounds the spectators, who take no player slot', async () => {
    const server = await startServer({ maxSpectators: 2, maxPlayers: 1 });
    await spectator(server, 'w1');
    await spectator(server, 'w2');
    await expect(
      connect({ ...where(server), username: 'w3', spectate: true }),
    ).rejects.toMatchObject({ name: JoinRefusedError.name, reason: 'server-full' });
    // The one player slot is still free.
    const player = resources.add(await connectReady({ ...where(server), username: 'ann' }));
    expect(player.playerId).toBe(0);
    // A spectator's name is taken for players too, and the other way round.
    await expect(connect({ ...where(server), username: 'w1' })).rejects.toMatchObject({
      reason: 'duplicate-name',
    });
    const none = await startServer({ maxSpectators: 0 });
    await expect(connect({ ...where(none), username: 'w', spectate: true })).rejects.toMatchObject({
      reason: 'server-full',
    });
  }, 30_000);

  it('spectatorDelayTicks: a frame reaches a spectator that many ticks after it is confirmed', async () => {
    const delay = 100;
    const server = await startServer({ spectatorDelayTicks: delay });
    const last = lastTickOf(server);
    await players(server);
    await waitFor(() => last.tick >= 300, { timeoutMs: 10_000, message: 'tick 300' });
    const client = resources.add(
      await connect({ ...where(server), username: 'eve', spectate: true }),
    );
    expect(client.spectatorDelayTicks).toBe(delay);
    const leads: number[] = [];
    const frames: ConfirmedFrame[] = [];
    client.frames$.subscribe((f) => {
      frames.push(f);
      leads.push(last.tick - f.tick);
    });
    const caughtUp = await client.caughtUp;
    expect(caughtUp).toBeLessThanOrEqual(last.tick - delay + 1);
    await waitFor(() => frames.length > caughtUp + 200, { timeoutMs: 10_000, message: 'frames' });
    // Never a frame before the server had `delay` more; live, not much more than that.
    expect(Math.min(...leads)).toBeGreaterThanOrEqual(delay);
    const live = leads.slice(caughtUp + 50);
    expect(live.reduce((a, b) => a + b, 0) / live.length).toBeLessThan(delay + 20);
  }, 30_000);

  it('kickSpectator drops one spectator, told why; the match does not notice', async () => {
    const server = await startServer();
    const watched: SpectatorEvent[] = [];
    server.spectators$.subscribe((e) => watched.push(e));
    const last = lastTickOf(server);
    await players(server);
    const eve = await spectator(server, 'eve');
    const max = await spectator(server, 'max');
    expect(server.kickSpectator('nobody')).toBe(false);
    expect(server.kickSpectator('eve', 'no cheering')).toBe(true);
    expect(await eve.client.closed).toMatchObject({ reason: 'kicked', message: 'no cheering' });
    expect(watched.at(-1)).toMatchObject({ type: 'leave', username: 'eve', reason: 'kicked' });
    expect(server.spectators).toEqual(['max']);
    const at = last.tick;
    await waitFor(() => max.frames.length > 0 && max.frames.at(-1)!.tick > at + 50, {
      message: 'the other spectator to go on',
    });
    expect(server.players.length).toBe(2);
  }, 30_000);

  it('checks the spectator options', async () => {
    await expect(createServer({ maxSpectators: -1 })).rejects.toThrow(/maxSpectators/);
    await expect(createServer({ spectatorDelayTicks: 1.5 })).rejects.toThrow(/spectatorDelayTicks/);
    await expect(createServer({ spectatorMaxLagMs: 0 })).rejects.toThrow(/spectatorMaxLagMs/);
    await expect(
      connect({
        host: '127.0.0.1',
        port: 1,
        username: 'eve',
        spectate: true,
        reconnectToken: new Uint8Array(16),
      }),
    ).rejects.toThrow(/reconnectToken/);
  });

  it('spectator chat goes to the players only with spectatorChat', async () => {
    for (const spectatorChat of [false, true]) {
      const server = await startServer({ spectatorChat });
      const events: ServerNetworkEvent[] = [];
      server.events$.subscribe((e) => events.push(e));
      const { clients } = await players(server);
      const heard: string[] = [];
      clients[0].chat$.subscribe((c) => heard.push(`${c.from}: ${c.text}`));
      const watcher = await spectator(server, 'eve');
      const watcherHeard: string[] = [];
      watcher.client.chat$.subscribe((c) => watcherHeard.push(`${c.from}: ${c.text}`));
      watcher.client.sendChat('hello');
      clients[1].sendChat('hi eve');
      await waitFor(() => heard.includes('bob: hi eve') && watcherHeard.includes('bob: hi eve'), {
        message: 'the chat',
      });
      if (spectatorChat) {
        await waitFor(() => heard.includes('eve: hello'), { message: 'the spectator chat' });
      } else {
        await waitFor(
          () => events.some((e) => e.type === 'warning' && e.message.includes('spectatorChat')),
          { message: 'the refused chat' },
        );
        expect(heard).not.toContain('eve: hello');
      }
    }
  }, 30_000);
});
