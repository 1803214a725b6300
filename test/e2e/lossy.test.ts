import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  type ConfirmedFrame,
  type GameClient,
  type GameServer,
  type LinkConditionerOptions,
} from '../../src/node.js';
import { connectReady } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const bad = (seed: number): LinkConditionerOptions => ({
  loss: 0.25,
  duplicate: 0.1,
  reorder: 0.1,
  delayMs: 2,
  jitterMs: 8,
  seed,
});

/** A bot: sends one input per loop turn, never more than `lead` ticks ahead of its frames. */
class Bot {
  readonly frames: ConfirmedFrame[] = [];
  readonly sent = new Map<number, Uint8Array>();
  private timer: NodeJS.Timeout | undefined;
  done: Promise<unknown>;

  constructor(
    readonly client: GameClient,
    private readonly inputs: number,
    private readonly lead = 20,
  ) {
    client.frames$.subscribe((f) => this.frames.push(f));
    this.done = client.closed;
  }

  start(): void {
    this.timer = setInterval(() => this.step(), 2);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private step(): void {
    const c = this.client;
    if (c.inputsSent >= this.inputs) return this.stop();
    const tick = c.startTick + c.inputsSent;
    if (tick - c.lastFrameTick > this.lead) return;
    // Held buttons most of the time, changes now and then: what a controller looks like.
    const input = Uint8Array.of(c.playerId, Math.floor(tick / 7) & 0xff);
    this.sent.set(tick, input);
    c.sendInput(input);
  }
}

function checkConsecutive(frames: ConfirmedFrame[], start: number): void {
  frames.forEach((f, i) => expect(f.tick).toBe(start + i));
}

describe('lockstep over a bad network (25% loss, duplication, reordering, jitter)', () => {
  it('keeps invariants 1 to 5 for four clients, a late joiner and a silent player', async () => {
    const server: GameServer = await createServer({
      host: '127.0.0.1',
      tickRate: 100,
      inputSize: 2,
      maxPlayers: 6,
      disconnectTimeoutMs: 600,
      reconnectGraceMs: 100,
      conditioner: bad(1),
    });
    open.push(server);
    const serverFrames: ConfirmedFrame[] = [];
    server.frames$.subscribe((f) => serverFrames.push(f));
    const warnings: string[] = [];
    server.events$.subscribe((e) => e.type === 'warning' && warnings.push(e.code));

    const join = async (name: string, seed: number) => {
      const c = await connectReady({
        host: '127.0.0.1',
        port: server.address.tcpPort,
        username: name,
        conditioner: bad(seed),
      });
      open.push(c);
      return c;
    };
    const N = 300;
    const bots: Bot[] = [];
    for (let i = 0; i < 4; i++) bots.push(new Bot(await join(`p${i}`, 10 + i), N));
    // The silent one: sends 40 inputs, then nothing (its keepalives still go out).
    const silent = new Bot(await join('silent', 99), 40);
    for (const b of [...bots, silent]) b.start();

    // A late joiner, once the game is well under way.
    await waitFor(() => serverFrames.length > 60, { timeoutMs: 20_000 });
    const lateClient = await join('late', 77);
    // It plays to the same last tick as the others, so nobody waits for anybody at the end.
    const late = new Bot(lateClient, N - lateClient.startTick);
    late.start();
    bots.push(late);

    // Everyone still playing gets all its frames up to the end.
    await waitFor(() => bots.every((b) => b.client.startTick + b.client.inputsSent >= N), {
      timeoutMs: 60_000,
    });
    const endTick = Math.min(...bots.map((b) => b.client.startTick + b.client.inputsSent - 1));
    await waitFor(() => bots.every((b) => b.client.lastFrameTick >= endTick), {
      timeoutMs: 30_000,
    });

    // 5 and 12: the silent player was away (its input substituted, marked in the frames) once
    // it stalled the others for the timeout, then dropped at the end of the grace period, and
    // the game went on past it.
    const silentEnd = await silent.done;
    expect(silentEnd).toMatchObject({ type: 'disconnected', reason: 'timeout' });
    const leaveFrame = serverFrames.find((f) =>
      f.left?.some((l) => l.playerId === silent.client.playerId),
    );
    expect(leaveFrame?.left).toEqual([
      { playerId: silent.client.playerId, username: 'silent', reason: 'timeout' },
    ]);
    expect(endTick).toBeGreaterThan(leaveFrame!.tick + 50);
    const id = silent.client.playerId;
    const substituted = serverFrames.filter((f) => f.substituted?.includes(id));
    expect(substituted.length).toBeGreaterThan(0);
    checkConsecutive(substituted, substituted[0].tick);
    expect(substituted[substituted.length - 1].tick).toBe(leaveFrame!.tick - 1);

    const serverByTick = new Map(serverFrames.map((f) => [f.tick, f]));
    checkConsecutive(serverFrames, 0);
    for (const bot of [...bots, silent]) {
      const c = bot.client;
      // 1 and 9: consecutive ticks from the match's first (a catch-up for the late joiner),
      // each once, no gaps.
      checkConsecutive(bot.frames, 0);
      for (const f of bot.frames) {
        // 2 and 4: the same frame as the server's, byte for byte, joins and leaves included.
        expect(f).toEqual(serverByTick.get(f.tick));
        // 3: this player's input is exactly what it sent for that tick (12: unless the frame
        // marks it substituted, while it was away).
        if (f.inputs[c.playerId] && !f.substituted?.includes(c.playerId))
          expect(f.inputs[c.playerId]).toEqual(bot.sent.get(f.tick));
      }
      // Its own join is in the frame of its start tick.
      expect(
        bot.frames.find((f) => f.tick === c.startTick)?.joined?.map((p) => p.username),
      ).toContain(c.username);
    }
    // 3, for every tick of the game: every input the server confirmed is what was sent.
    for (const f of serverFrames) {
      for (const bot of [...bots, silent]) {
        const input = f.inputs[bot.client.playerId];
        const owns =
          f.tick >= bot.client.startTick &&
          (bot !== silent || f.tick < leaveFrame!.tick) &&
          !f.substituted?.includes(bot.client.playerId);
        if (owns) expect(input).toEqual(bot.sent.get(f.tick));
      }
    }
    // 4: the late joiner joined at one tick that every client saw.
    const joinFrame = serverFrames.find((f) => f.joined?.some((p) => p.username === 'late'));
    expect(joinFrame?.tick).toBe(late.client.startTick);
    for (const bot of bots.slice(0, 4))
      expect(bot.frames.find((f) => f.tick === joinFrame!.tick)?.joined).toEqual(joinFrame!.joined);
  }, 90_000);
});
