// A player flooding chat is warned then dropped; an honest player who pauses reading under the timeout stays.
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { createServer, type ServerNetworkEvent } from '../../src/node.js';
import { MessageType, encodeMessage } from '../../src/protocol/index.js';
import { frameMessage } from '../../src/sources/fromTcpSocket.js';
import { ChatBudget, ChatVerdict } from '../../src/server/ChatBudget.js';
import { rawJoin, type RawPlayer } from '../helpers/rawPlayer.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
const raws: RawPlayer[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('ChatBudget', () => {
  it('passes a burst, warns once over it, refuses, drops past its strikes, refills with time', () => {
    const clock = new VirtualTimeScheduler();
    let now = 0;
    const scheduler = { now: () => now, schedule: clock.schedule.bind(clock) };
    const budget = new ChatBudget(
      { linesPerSecond: 1, lineBurst: 2, bytesPerSecond: 100, byteBurst: 100, strikes: 3 },
      scheduler,
    );
    expect([budget.take(10), budget.take(10)]).toEqual([ChatVerdict.Pass, ChatVerdict.Pass]);
    expect(budget.take(10)).toBe(ChatVerdict.Warn);
    expect(budget.take(10)).toBe(ChatVerdict.Refuse);
    now = 1000; // one line back
    expect(budget.take(10)).toBe(ChatVerdict.Pass);
    expect(budget.take(200)).toBe(ChatVerdict.Refuse); // over the byte budget
    expect(budget.take(10)).toBe(ChatVerdict.Drop);
    now = 10_000; // full again: forgiven
    expect(budget.take(100)).toBe(ChatVerdict.Pass);
  });
});

describe('a chat flood', () => {
  it('gets the flooder dropped, not an honest player who pauses reading for 1.5 s', async () => {
    const server = await createServer({ maxPlayers: 4, disconnectTimeoutMs: 10_000 });
    open.push(server);
    const events: ServerNetworkEvent[] = [];
    server.events$.subscribe((e) => events.push(e));
    const honest = await rawJoin(server, 'honest');
    const flooder = await rawJoin(server, 'flooder');
    raws.push(honest, flooder);
    honest.tcp.pause(); // stops reading, under the timeout
    const line = frameMessage(encodeMessage({ type: MessageType.Chat, text: 'x'.repeat(500) }));
    const started = Date.now();
    // 500-character lines, 4000 a second, for 1.5 s.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (Date.now() - started >= 1500 || flooder.tcp.destroyed) {
          clearInterval(timer);
          resolve();
          return;
        }
        for (let i = 0; i < 40; i++) flooder.tcp.write(line);
      }, 10);
    });
    honest.tcp.resume();
    await waitFor(() => events.some((e) => e.type === 'drop'));
    const drops = events.filter((e) => e.type === 'drop');
    expect(drops.map((d) => d.username)).toEqual(['flooder']);
    expect(events.some((e) => e.type === 'warning' && e.code === 'chat-over-budget')).toBe(true);
    // The flooder was told before it was dropped.
    await waitFor(() =>
      flooder.messages.some((m) => m.type === MessageType.ChatBroadcast && m.from === 'server'),
    );
    expect(server.players.map((p) => p.username)).toEqual(['honest']);
  }, 20_000);
});
