// A player who drips one input every 1.6 s (never hitting the 2 s timeout) is dropped for its share of stall time.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ServerNetworkEvent } from '../../src/node.js';
import { connectReady, playBot } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
const timers: ReturnType<typeof setInterval>[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('stall share', () => {
  it('drops the 1.6 s dripper; the honest player plays on', async () => {
    const server = await createServer({
      tickRate: 30,
      stallShareWindowMs: 3000,
      reconnectGraceMs: 0,
    });
    open.push(server);
    const events: ServerNetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const port = server.address.tcpPort;
    const honest = await connectReady({ host: '127.0.0.1', port, username: 'honest' });
    const dripper = await connectReady({ host: '127.0.0.1', port, username: 'dripper' });
    open.push(honest, dripper);
    const bot = playBot(honest);
    timers.push(setInterval(() => dripper.sendInput(Uint8Array.of(1, 2)), 1600));
    await waitFor(() => events.some((e) => e.type === 'drop'), { timeoutMs: 15_000 });
    const drops = events.filter((e) => e.type === 'drop');
    expect(drops.map((e) => [e.username, e.message])).toEqual([
      ['dripper', 'stalled the others over 50% of 3000 ms'],
    ]);
    const at = bot.world.tick;
    await waitFor(() => bot.world.tick > at + 60); // 2 s of frames at full rate, alone
    bot.stop();
  }, 30_000);

  it('drops no one in a fair match of two bots', async () => {
    const server = await createServer({ tickRate: 60, stallShareWindowMs: 1000 });
    open.push(server);
    const events: ServerNetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const port = server.address.tcpPort;
    const a = await connectReady({ host: '127.0.0.1', port, username: 'a' });
    const b = await connectReady({ host: '127.0.0.1', port, username: 'b' });
    open.push(a, b);
    const bots = [playBot(a), playBot(b)];
    await waitFor(() => bots.every((x) => x.world.tick > 180)); // 3 s
    for (const x of bots) x.stop();
    expect(events.filter((e) => e.type === 'drop' || e.type === 'away')).toEqual([]);
  }, 30_000);
});
