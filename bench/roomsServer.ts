// Bench child: one game server with rooms (createServer({ rooms: {} })). Either `play`: rooms
// of 8 made before the bots join, measured like bench/server.ts (its own CPU over a window,
// and each room's frames); or `idle`: what an empty room costs (memory, CPU, create and close).
//
//   node --expose-gc --import tsx bench/roomsServer.ts '<RoomsServerConfig as JSON>'

import { startProfile, stopProfile } from './profile.js';
import { createServer, type GameServer, type Room } from '../src/node.js';
import {
  HOST,
  INPUT_SIZE,
  TICK_RATE,
  childConfig,
  instrumentDgram,
  median,
  percentile,
  report,
  serveCommands,
  sleep,
  startWindow,
  type ServerWindow,
} from './common.js';

export interface RoomsPlayConfig {
  readonly mode: 'play';
  /** Rooms of `roomSize` players, ids `r0`, `r1`, ... */
  readonly rooms: number;
  readonly roomSize: number;
  /** Write a CPU profile of the measuring window to `profile.dir/profile.name.cpuprofile`. */
  readonly profile?: { readonly dir: string; readonly name: string };
  readonly lifetimeMs: number;
}

export interface RoomsIdleConfig {
  readonly mode: 'idle';
  /** Empty rooms held at once for the memory and CPU figures. */
  readonly rooms: number;
  /** How long the server's CPU is measured, with no room and then with `rooms` rooms. */
  readonly windowMs: number;
  /** create + close cycles timed, one room at a time. */
  readonly cycles: number;
  readonly lifetimeMs: number;
}

export type RoomsServerConfig = RoomsPlayConfig | RoomsIdleConfig;

/** A play window: the server's, with each room's frames. */
export interface RoomsServerWindow extends ServerWindow {
  /** Frames confirmed by the room that confirmed the fewest / the most in the window. */
  readonly roomFramesMin: number;
  readonly roomFramesMax: number;
  /** Rooms that confirmed under 59 frames/s in the window. */
  readonly roomsBelow59: number;
}

/** Memory of the process (after a full GC), bytes. */
export interface MemorySample {
  readonly heapUsed: number;
  readonly rss: number;
}

/** What `idle` measures. */
export interface RoomsIdleResult {
  readonly rooms: number;
  /** Server with no room; with `rooms` empty rooms; after closing them all. */
  readonly memory: {
    readonly none: MemorySample;
    readonly held: MemorySample;
    readonly closed: MemorySample;
    /** A second after they closed. */
    readonly closedLater: MemorySample;
    readonly afterCycles: MemorySample;
  };
  /** CPU of the process over `windowMs` (% of one core): with no room, with `rooms` rooms. */
  readonly cpuPercent: { readonly none: number; readonly held: number };
  /** Event-loop utilization over the same windows. */
  readonly elu: { readonly none: number; readonly held: number };
  readonly windowMs: number;
  /** ms, over `cycles` cycles: createRoom (resolved), close (its `ended`), the two. */
  readonly createMs: { readonly median: number; readonly p99: number };
  readonly closeMs: { readonly median: number; readonly p99: number };
  readonly cycleMs: { readonly median: number; readonly p99: number };
  readonly cycles: number;
  /** Timers the shared tick loops run with `rooms` rooms (one per interval in use). */
  readonly tickTimers: number;
}

const config = childConfig<RoomsServerConfig>();
instrumentDgram();

function start(maxPlayers: number): Promise<GameServer> {
  return createServer({
    host: HOST,
    tickRate: TICK_RATE,
    inputSize: INPUT_SIZE,
    maxPlayers,
    rooms: {},
    // Every bot comes from 127.0.0.1: the per-address bounds on joins under way are raised
    // so that two bots processes may join 16 at a time each.
    maxPendingJoins: 128,
    maxPendingJoinsPerAddress: 64,
    maxAuthenticating: 128,
    maxAuthenticatingPerAddress: 64,
  });
}

async function runPlay(cfg: RoomsPlayConfig): Promise<void> {
  const server = await start(cfg.roomSize);
  const frames = new Int32Array(cfg.rooms);
  let drops = 0;
  let warnings: Record<string, number> = {};
  const count = (e: { type: string; code?: string }): void => {
    if (e.type === 'warning' && e.code) warnings[e.code] = (warnings[e.code] ?? 0) + 1;
    else if (e.type === 'drop') drops++;
  };
  server.events$.subscribe(count);
  for (let i = 0; i < cfg.rooms; i++) {
    const room = await server.createRoom({ id: `r${i}`, mode: 'bench' });
    room.frames$.subscribe(() => frames[i]++);
    room.events$.subscribe(count);
  }
  serveCommands(
    cfg.lifetimeMs,
    (cmd) => {
      if (cmd.type !== 'measure') return;
      const frames0 = Int32Array.from(frames);
      const drops0 = drops;
      warnings = {};
      const profiling = cfg.profile ? startProfile() : undefined;
      const end = startWindow();
      setTimeout(() => {
        void (async () => {
          const window = end();
          if (profiling && cfg.profile) await stopProfile(profiling, cfg.profile);
          const per = Array.from(frames, (n, i) => n - frames0[i]);
          const secs = window.elapsedMs / 1000;
          const out: RoomsServerWindow = {
            ...window,
            frames: per.reduce((a, b) => a + b, 0),
            warnings,
            drops: drops - drops0,
            roomFramesMin: Math.min(...per),
            roomFramesMax: Math.max(...per),
            roomsBelow59: per.filter((n) => n / secs < 59).length,
          };
          report({ type: 'measured', window: out });
        })();
      }, cmd.ms);
    },
    () => server.close(),
  );
  report({ type: 'ready', tcpPort: server.address.tcpPort, udpPort: server.address.udpPort });
}

/** Memory after full collections (needs --expose-gc). */
async function memory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** CPU % of one core and ELU of this process over `ms`. */
async function idleCpu(ms: number): Promise<{ cpu: number; elu: number }> {
  const end = startWindow();
  await sleep(ms);
  const w = end();
  return { cpu: (100 * w.cpuUs) / (w.elapsedMs * 1000), elu: w.elu };
}

async function runIdle(cfg: RoomsIdleConfig): Promise<void> {
  const server = await start(8);
  serveCommands(
    cfg.lifetimeMs,
    () => undefined,
    () => server.close(),
  );
  const id = (i: number): string => `idle-${i}`;
  // Warm the code paths once, so that the first room does not pay for compilation.
  for (let i = 0; i < 20; i++) await (await server.createRoom({ id: id(i) })).close();
  const none = await memory();
  const cpuNone = await idleCpu(cfg.windowMs);
  const rooms: Room[] = [];
  for (let i = 0; i < cfg.rooms; i++) rooms.push(await server.createRoom({ id: id(i) }));
  const held = await memory();
  const tickTimers = (server as unknown as { rooms: { ticks: { timers: number } } }).rooms.ticks
    .timers;
  const cpuHeld = await idleCpu(cfg.windowMs);
  await Promise.all(rooms.map((r) => r.close()));
  rooms.length = 0; // the bench's own references: what is left is what the server keeps
  const closed = await memory();
  await sleep(1000);
  const closedLater = await memory();

  const create: number[] = [];
  const close: number[] = [];
  const cycle: number[] = [];
  for (let i = 0; i < cfg.cycles; i++) {
    const t0 = performance.now();
    const room = await server.createRoom({ id: id(i) });
    const t1 = performance.now();
    await room.close();
    const t2 = performance.now();
    create.push(t1 - t0);
    close.push(t2 - t1);
    cycle.push(t2 - t0);
  }
  const afterCycles = await memory();
  const stats = (v: number[]): { median: number; p99: number } => ({
    median: median(v),
    p99: percentile(v, 99),
  });
  const result: RoomsIdleResult = {
    rooms: cfg.rooms,
    memory: { none, held, closed, closedLater, afterCycles },
    cpuPercent: { none: cpuNone.cpu, held: cpuHeld.cpu },
    elu: { none: cpuNone.elu, held: cpuHeld.elu },
    windowMs: cfg.windowMs,
    createMs: stats(create),
    closeMs: stats(close),
    cycleMs: stats(cycle),
    cycles: cfg.cycles,
    tickTimers,
  };
  // Carried in a 'ready' report's place: the orchestrator reads it as this child's result.
  process.send?.({ type: 'idle-result', result });
  report({ type: 'ready' });
}

(config.mode === 'play' ? runPlay(config) : runIdle(config)).catch((err: unknown) => {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  process.disconnect?.();
});
