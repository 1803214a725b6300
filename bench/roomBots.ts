// Bench child: bots for the rooms bench, 8 to a room (connect({ room })), every room joined
// and seated before 'ready'; on 'start' each bot sends its i-th input at tick i of one 60 Hz
// schedule (bench/common.ts's runSchedule), and reports its process's window like clients.ts.
//
//   node --import tsx bench/roomBots.ts '<RoomBotsConfig as JSON>'

import { connect, type GameClient } from '../src/node.js';
import {
  HOST,
  childConfig,
  createController,
  instrumentDgram,
  trackedFields,
  report,
  runSchedule,
  serveCommands,
  startWindow,
  type ClientsWindow,
  type Schedule,
} from './common.js';

export interface RoomBotsConfig {
  readonly tcpPort: number;
  /** The rooms this process fills, `perRoom` bots each. */
  readonly rooms: readonly string[];
  readonly perRoom: number;
  /** Bots are spread over this many send phases within one tick. */
  readonly groups: number;
  readonly seed: number;
  /** Bound on the ticks each bot sends. */
  readonly maxTicks: number;
  readonly lifetimeMs: number;
}

/** A bots window, with the worst bot's lag. */
export interface RoomBotsWindow extends ClientsWindow {
  /** The largest (last tick sent - last frame received) of one bot at the end of the window. */
  readonly lagEndMaxBot: number;
}

/** Rooms joined at once (each room's bots join together). */
const ROOM_CONCURRENCY = 2;
/** A late bot sends at most this many overdue inputs in one turn. */
const MAX_BURST = 32;

interface Bot {
  readonly client: GameClient;
  readonly next: () => Uint8Array;
  framesReceived: number;
}

const cfg = childConfig<RoomBotsConfig>();
instrumentDgram();

async function main(): Promise<void> {
  const bots: Bot[] = [];
  let stopping = false;
  let disconnected = 0;
  let warnings: Record<string, number> = {};
  const joinRoom = async (roomId: string, r: number): Promise<void> => {
    const clients = await Promise.all(
      Array.from({ length: cfg.perRoom }, (_, p) =>
        connect({
          host: HOST,
          port: cfg.tcpPort,
          username: `p${p}`,
          room: roomId,
          connectTimeoutMs: 20_000,
        }),
      ),
    );
    for (const client of clients) client.ready();
    await Promise.all(clients.map((c) => c.seated));
    clients.forEach((client, p) => {
      const bot: Bot = {
        client,
        next: createController('held', cfg.seed * 100_000 + r * 100 + p),
        framesReceived: 0,
      };
      client.frames$.subscribe(() => bot.framesReceived++);
      client.events$.subscribe((e) => {
        if (e.type === 'warning') warnings[e.code] = (warnings[e.code] ?? 0) + 1;
      });
      void client.closed.then(() => {
        if (!stopping) disconnected++;
      });
      bots.push(bot);
    });
  };
  let nextRoom = 0;
  const joiner = async (): Promise<void> => {
    while (nextRoom < cfg.rooms.length) {
      const r = nextRoom++;
      await joinRoom(cfg.rooms[r], r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, cfg.rooms.length) }, joiner));

  const groups: Bot[][] = Array.from({ length: cfg.groups }, () => []);
  bots.forEach((b, i) => groups[i % cfg.groups].push(b));
  const lagOfBot = (c: GameClient): number => c.startTick + c.inputsSent - 1 - c.lastFrameTick;
  const lagOf = (): number => bots.reduce((n, b) => n + lagOfBot(b.client), 0) / bots.length;
  let lagMax = 0;
  let measuring = false;
  let schedule: Schedule | undefined;

  if (process.env.BENCH_DEBUG) {
    const t0 = performance.now();
    setInterval(() => {
      const heap = process.memoryUsage().heapUsed / 2 ** 20;
      process.stderr.write(
        `[room bots ${cfg.seed}] t=${((performance.now() - t0) / 1000).toFixed(1)} bots=${bots.length} ` +
          `lag=${lagOf().toFixed(1)} sent=${bots[0]?.client.inputsSent} heap=${heap.toFixed(0)} MiB\n`,
      );
    }, 1000).unref();
  }

  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type === 'start') {
        schedule = runSchedule(cfg.groups, cfg.maxTicks, (g, tick) => {
          for (const bot of groups[g]) {
            const c = bot.client;
            // Input i at tick i of the schedule (each room counts its ticks from its start).
            for (let n = 0; n < MAX_BURST && c.inputsSent <= tick && !stopping; n++)
              c.sendInput(bot.next());
          }
          if (g === 0 && measuring) lagMax = Math.max(lagMax, lagOf());
        });
        report({ type: 'started' });
        return;
      }
      if (cmd.type !== 'measure') return;
      warnings = {};
      lagMax = 0;
      const lagStart = lagOf();
      const sent0 = bots.reduce((n, b) => n + b.client.inputsSent, 0);
      const received0 = bots.reduce((n, b) => n + b.framesReceived, 0);
      const disconnected0 = disconnected;
      schedule?.takeLateness();
      measuring = true;
      const end = startWindow();
      setTimeout(() => {
        measuring = false;
        const window = end();
        const late = schedule?.takeLateness() ?? [];
        const out: RoomBotsWindow = {
          ...window,
          sent: bots.reduce((n, b) => n + b.client.inputsSent, 0) - sent0,
          received: bots.reduce((n, b) => n + b.framesReceived, 0) - received0,
          ...trackedFields({
            lagStart,
            lagEnd: lagOf(),
            lagMax,
            late,
            disconnected: disconnected - disconnected0,
          }),
          lagEndMaxBot: Math.max(...bots.map((b) => lagOfBot(b.client))),
          warnings,
        };
        report({ type: 'measured', window: out });
      }, cmd.ms);
    },
    async () => {
      stopping = true;
      schedule?.stop();
      await Promise.all(bots.map((b) => b.client.close()));
    },
  );
  report({ type: 'ready' });
}

main().catch((err: unknown) => {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
