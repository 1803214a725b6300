// Input-to-frame latency of four players under random loss both ways, with and without copies of each datagram (maxCopies).
// Run: npx tsx bench/lossCopies.ts [seconds per run, default 5] [losses, default 0,0.05,0.2] [maxCopies values, default 1,4,5]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  connect,
  createServer,
  type GameClient,
  type LinkConditionerOptions,
} from '../src/node.js';

const TICK_RATE = 60;
const PLAYERS = 4;
const SECONDS = Number(process.argv[2] ?? 5);
const LOSSES = (process.argv[3] ?? '0,0.05,0.2').split(',').map(Number);
const COPIES = (process.argv[4] ?? '1,4,5').split(',').map(Number);
/** Before measuring: the first loss reports (a statistics interval each way) and copies. */
const WARM_UP_MS = 2500;

interface Result {
  readonly loss: number;
  readonly maxCopies: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
  /** Share of samples over 12 ms: a loss made up for a tick later (or the machine's jitter). */
  readonly late: number;
  /** Datagrams each client sent per tick, on average (copies included). */
  readonly upPerTick: number;
  /** Datagrams the server sent to each client per tick, on average (copies included). */
  readonly downPerTick: number;
  /** This process's event-loop delay over the window, p99 and max (ms): the machine's share of the tail. */
  readonly loopP99: number;
  readonly loopMax: number;
  /** Every client saw the same frames (checked by a checksum over every input). */
  readonly sameFrames: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** FNV-1a over a frame's tick and inputs, folded. */
function mix(h: number, bytes: Iterable<number>): number {
  for (const b of bytes) h = Math.imul(h ^ (b & 0xff), 0x01000193) >>> 0;
  return h;
}

/** Four players on 127.0.0.1, `loss` each way (seeded), for WARM_UP_MS + SECONDS. */
async function run(loss: number, maxCopies: number): Promise<Result> {
  const lossy = (seed: number): LinkConditionerOptions | undefined =>
    loss > 0 ? { loss, seed } : undefined;
  const server = await createServer({
    tickRate: TICK_RATE,
    inputSize: 2,
    maxPlayers: PLAYERS,
    conditioner: lossy(1),
    maxCopies,
  });
  const serverOut = new Map<number, { at: number; packetsOut: number }[]>();
  server.stats$.subscribe((s) => {
    const list = serverOut.get(s.playerId) ?? [];
    list.push({ at: performance.now(), packetsOut: s.packetsOut });
    serverOut.set(s.playerId, list);
  });
  const clients: GameClient[] = [];
  for (let i = 0; i < PLAYERS; i++) {
    const c = await connect({
      host: '127.0.0.1',
      port: server.address.tcpPort,
      username: `p${i}`,
      conditioner: lossy(10 + i),
      maxCopies,
    });
    c.ready();
    clients.push(c);
  }
  await Promise.all(clients.map((c) => c.seated));
  const latencies: number[] = [];
  const checksums = clients.map(() => new Map<number, number>());
  let measuring = false;
  const subs = clients.flatMap((c, i) => {
    const sentAt = new Map<number, number>();
    let h = 0x811c9dc5;
    const frames = c.frames$.subscribe((f) => {
      h = mix(h, [f.tick & 0xff, f.tick >>> 8]);
      for (const input of f.inputs) h = mix(h, input ?? [0xee]);
      checksums[i].set(f.tick, h);
      const t = sentAt.get(f.tick);
      if (t === undefined) return;
      sentAt.delete(f.tick);
      if (measuring) latencies.push(performance.now() - t);
    });
    let n = 0;
    const ticks = c.ticks$.subscribe(() => {
      sentAt.set(c.currentTick + c.inputDelay, performance.now());
      c.sendInput(Uint8Array.of(i, n++ & 0xff));
    });
    return [frames, ticks];
  });
  await new Promise((r) => setTimeout(r, WARM_UP_MS));
  const start = performance.now();
  const up0 = clients.map((c) => c.getStats().packetsOut);
  const tick0 = clients.map((c) => c.lastFrameTick);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  measuring = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  loop.disable();
  const ticks = clients.reduce((sum, c, i) => sum + (c.lastFrameTick - tick0[i]), 0);
  const up = clients.reduce((sum, c, i) => sum + (c.getStats().packetsOut - up0[i]), 0);
  // The server's counts from its stats (one a second per player), over the measuring window.
  let down = 0;
  let downTicks = 0;
  for (const list of serverOut.values()) {
    const inWindow = list.filter((e) => e.at >= start);
    if (inWindow.length < 2) continue;
    const first = inWindow[0];
    const last = inWindow[inWindow.length - 1];
    down += last.packetsOut - first.packetsOut;
    downTicks += ((last.at - first.at) / 1000) * TICK_RATE;
  }
  for (const s of subs) s.unsubscribe();
  const last = Math.min(...clients.map((c) => c.lastFrameTick));
  let sameFrames = true;
  for (let t = 0; t <= last; t++) {
    const h = checksums[0].get(t);
    if (h === undefined || checksums.some((m) => m.get(t) !== h)) sameFrames = false;
  }
  for (const c of clients) await c.close();
  await server.close();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    loss,
    maxCopies,
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    samples: sorted.length,
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    late: sorted.filter((ms) => ms > 12).length / Math.max(1, sorted.length),
    upPerTick: up / Math.max(1, ticks),
    downPerTick: down / Math.max(1, downTicks),
    sameFrames,
  };
}

const results: Result[] = [];
for (const loss of LOSSES) {
  for (const maxCopies of loss > 0 ? COPIES : COPIES.slice(0, 2)) {
    const r = await run(loss, maxCopies);
    results.push(r);
    console.log(
      `loss ${(loss * 100).toFixed(0).padStart(2)}% both ways, maxCopies ${r.maxCopies}: ` +
        `input-to-frame median ${r.median.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
        `max ${r.max.toFixed(2)} ms, over 12 ms ${(r.late * 100).toFixed(2)}% ` +
        `(${r.samples} samples); datagrams per tick: ` +
        `up ${r.upPerTick.toFixed(2)}, down ${r.downPerTick.toFixed(2)}; ` +
        `event-loop delay p99 ${r.loopP99.toFixed(1)} ms, max ${r.loopMax.toFixed(1)} ms; ` +
        `same frames at every client: ${r.sameFrames ? 'yes' : 'NO'}`,
    );
  }
}
if (results.some((r) => !r.sameFrames)) process.exitCode = 1;
