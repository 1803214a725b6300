// The bench's peers section: the same lockstep relay as game-network built the ways a game
// developer would otherwise build it (Colyseus 0.18, a plain `ws` relay, a naive dgram
// relay), beside game-network and the raw dgram echo, driven by the same bots (bench/
// clients.ts) in the same process layout; interleaved repetitions, medians with spreads.

import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { Child } from './children.js';
import {
  TICK_MS,
  TICK_RATE,
  median,
  percentile,
  privateNetns,
  sleep,
  startMachineLoad,
  type ClientsConfig,
  type ClientsWindow,
  type ServerConfig,
  type ServerWindow,
} from './common.js';
import {
  Netem,
  countsSince,
  describeCounts,
  describeNetem,
  parseNetem,
  type NetemCounts,
  type NetemSpec,
} from './netem/netem.js';
import { INPUT_MESSAGE_BYTES, frameBytes } from './relay.js';

export const VARIANTS = ['game-network', 'colyseus', 'ws', 'udp', 'echo'] as const;
export type Variant = (typeof VARIANTS)[number];

export const VARIANT_NAMES: Record<Variant, string> = {
  'game-network': 'game-network',
  colyseus: 'Colyseus 0.18 room (bytes messages)',
  ws: 'plain `ws` relay (binary)',
  udp: 'naive dgram relay (no redundancy, no acks)',
  echo: 'raw dgram echo',
};

export interface PeersPlan {
  readonly sizes: readonly number[];
  readonly reps: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly latencyWindowMs: number;
}

export const PEERS_PLAN: { full: PeersPlan; quick: PeersPlan } = {
  full: { sizes: [32, 128, 256], reps: 3, warmupMs: 2500, windowMs: 6000, latencyWindowMs: 6000 },
  quick: { sizes: [32], reps: 1, warmupMs: 1000, windowMs: 2000, latencyWindowMs: 2000 },
};

/** Players per bots process: at 256, two processes of 128. */
const BOTS_PER_PROCESS = 128;
const LATENCY_PLAYERS = 4;
/** "Held": at least 95% of 60 frames/s, lag growth of at most 6 ticks, nobody dropped. */
const MIN_FRAME_RATE = 0.95 * TICK_RATE;
const MAX_LAG_GROWTH = 6;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------
// One session: a server child, one or two bots children, warm-up, one window.

export interface PeerSession {
  server: ServerWindow;
  clients: ClientsWindow;
  otherCores: number;
  load1: number;
  /** Across a netem: the packets the forwarder saw during the window. */
  netem?: NetemCounts;
}

/** Sums the bots processes' windows (CPU, counts), concatenates latencies, averages lag. */
function mergeClients(ws: readonly ClientsWindow[]): ClientsWindow {
  if (ws.length === 1) return ws[0];
  const sum = (f: (w: ClientsWindow) => number): number => ws.reduce((n, w) => n + f(w), 0);
  const avg = (f: (w: ClientsWindow) => number | undefined): number =>
    ws.reduce((n, w) => n + (f(w) ?? NaN), 0) / ws.length;
  return {
    elapsedMs: Math.max(...ws.map((w) => w.elapsedMs)),
    cpuUs: sum((w) => w.cpuUs),
    elu: Math.max(...ws.map((w) => w.elu)),
    packetsIn: sum((w) => w.packetsIn),
    packetsOut: sum((w) => w.packetsOut),
    bytesIn: sum((w) => w.bytesIn),
    bytesOut: sum((w) => w.bytesOut),
    loPackets: ws[0].loPackets,
    loBytes: ws[0].loBytes,
    sent: sum((w) => w.sent),
    received: sum((w) => w.received),
    latencyMs: ws.flatMap((w) => w.latencyMs ?? []),
    afterLastMs: ws.flatMap((w) => w.afterLastMs ?? []),
    lagStart: avg((w) => w.lagStart),
    lagEnd: avg((w) => w.lagEnd),
    lagMax: Math.max(...ws.map((w) => w.lagMax ?? NaN)),
    lateP99Ms: Math.max(...ws.map((w) => w.lateP99Ms)),
    lateMaxMs: Math.max(...ws.map((w) => w.lateMaxMs)),
    disconnected: sum((w) => w.disconnected),
  };
}

type BotsConfigFor = (
  ready: { tcpPort?: number; udpPort?: number; roomId?: string },
  processIndex: number,
  maxTicks: number,
  lifetimeMs: number,
) => ClientsConfig;

/**
 * One session: the server child, `processes` bots children (joined one after the other),
 * a warm-up and one measuring window; with `stallMs`, the bots block their event loop that
 * long 1 s into the window. With `across`, the server runs in the netem's namespace B
 * (listening on its address) and the bots in A, every packet between them through the
 * forwarder; the window's counts are in the result, and a window none went through fails.
 */
export async function peerSession(
  name: string,
  serverConfig: (lifetimeMs: number) => ServerConfig,
  botsConfig: BotsConfigFor,
  processes: number,
  warmupMs: number,
  windowMs: number,
  stallMs?: number,
  across?: Netem,
): Promise<PeerSession> {
  const lifetimeMs = warmupMs + windowMs + 90_000;
  const maxTicks = Math.ceil((warmupMs + windowMs + 20_000) / TICK_MS);
  const load1 = loadavg()[0];
  const server = new Child(
    `${name} server`,
    './server.ts',
    { ...serverConfig(lifetimeMs), ...(across ? { host: across.b.addr } : {}) },
    [],
    across?.b.netns,
  );
  const bots: Child[] = [];
  try {
    const ready = await server.expect('ready', 30_000);
    let roomId: string | undefined;
    for (let p = 0; p < processes; p++) {
      const config = botsConfig(
        { ...ready, ...(roomId ? { roomId } : {}) },
        p,
        maxTicks,
        lifetimeMs,
      );
      const child = new Child(
        `${name} bots ${p + 1}`,
        './clients.ts',
        across
          ? {
              ...config,
              host: across.b.addr,
              bindHost: across.a.addr,
              // A join over TCP at 20% loss: SYN and segments resent after 1, 3, 7 s.
              ...(config.mode === 'game' ? { connectTimeoutMs: 30_000 } : {}),
            }
          : config,
        // BENCH_PROF_BOTS=<dir>: a V8 CPU profile of each bots process, written as it exits.
        process.env.BENCH_PROF_BOTS
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_BOTS}`]
          : [],
        across?.a.netns,
      );
      bots.push(child);
      const r = await child.expect('ready', 90_000);
      roomId ??= r.roomId;
    }
    for (const b of bots) b.send({ type: 'start' });
    await Promise.all(bots.map((b) => b.expect('started', 120_000)));
    const load = startMachineLoad([
      process.pid,
      server.proc.pid ?? 0,
      ...bots.map((b) => b.proc.pid ?? 0),
    ]);
    await sleep(warmupMs);
    const counts0 = await across?.stats();
    server.send({ type: 'measure', ms: windowMs });
    for (const b of bots)
      b.send({ type: 'measure', ms: windowMs, ...(stallMs ? { stallMs } : {}) });
    const [s, ...c] = await Promise.all([
      server.expect('measured', windowMs + 20_000),
      ...bots.map((b) => b.expect('measured', windowMs + 20_000)),
    ]);
    const counts = counts0 && across ? countsSince(counts0, await across.stats()) : undefined;
    if (counts) {
      const through = (['a->b', 'b->a'] as const).map((d) =>
        Object.values(counts[d]).reduce((n, c) => n + c.out, 0),
      );
      if (through.some((n) => n === 0))
        throw new Error(
          `${name}: nothing went through the netem both ways (${describeCounts(counts)})`,
        );
    }
    return {
      server: s.window as ServerWindow,
      clients: mergeClients(c.map((m) => m.window as ClientsWindow)),
      otherCores: load()?.otherCores ?? NaN,
      load1,
      ...(counts ? { netem: counts } : {}),
    };
  } finally {
    await server.stop(10_000);
    for (const b of bots) await b.stop(10_000);
  }
}

/** The server child of a variant for `players`. */
export function serverOf(variant: Variant, players: number, replyBytes: number) {
  return (lifetimeMs: number): ServerConfig =>
    variant === 'game-network'
      ? { mode: 'game', maxPlayers: players, lifetimeMs }
      : variant === 'echo'
        ? { mode: 'echo', replyBytes, lifetimeMs }
        : { mode: 'peer', kind: variant, players, lifetimeMs };
}

/** The bots of a variant: `players` over `processes`, in `groups` send phases. */
export function botsOf(
  variant: Variant,
  players: number,
  processes: number,
  groups: number,
  latency: boolean,
): BotsConfigFor {
  return (ready, p, maxTicks, lifetimeMs) => {
    const clients = Math.ceil(players / processes);
    const common = { clients, groups: Math.min(groups, clients), maxTicks, lifetimeMs };
    if (variant === 'game-network')
      return {
        mode: 'game',
        tcpPort: ready.tcpPort!,
        pattern: 'held',
        seed: 500 + players * 10 + p,
        namePrefix: `p${p}bot`,
        ...(latency ? { latency: true } : {}),
        ...common,
      };
    if (variant === 'echo')
      return {
        mode: 'udp',
        udpPort: ready.udpPort!,
        payloadBytes: INPUT_MESSAGE_BYTES,
        ...(latency ? { latency: true } : {}),
        ...common,
      };
    return {
      mode: 'peer',
      kind: variant,
      port: ready.tcpPort!,
      players,
      ...(ready.roomId ? { roomId: ready.roomId } : {}),
      seed: 500 + players * 10 + p,
      ...(latency ? { latency: true } : {}),
      ...common,
    };
  };
}

// ---------------------------------------------------------------------------------------
// Figures

export interface CpuRun {
  rep: number;
  /** Server CPU (user + system) per player-tick served, microseconds. */
  usPerPlayerTick: number;
  cpuPercent: number;
  framesPerSec: number;
  lagGrowth: number;
  disconnected: number;
  drops: number;
  held: boolean;
  /** IP bytes over loopback (both directions, headers and TCP ACKs) per player-second. */
  ipBytesPerPlayerSec: number;
  ipPacketsPerPlayerSec: number;
  /** Application bytes (messages / UDP payloads) in + out at the server per player-second. */
  appBytesPerPlayerSec: number;
  botsCpuPercent: number;
  otherCores: number;
  load1: number;
  /** Why the run gave no figures (a process never joined or reported in time). */
  failed?: string;
}

function failedRun(rep: number, failed: string): CpuRun {
  return {
    rep,
    usPerPlayerTick: NaN,
    cpuPercent: NaN,
    framesPerSec: NaN,
    lagGrowth: NaN,
    disconnected: NaN,
    drops: NaN,
    held: false,
    ipBytesPerPlayerSec: NaN,
    ipPacketsPerPlayerSec: NaN,
    appBytesPerPlayerSec: NaN,
    botsCpuPercent: NaN,
    otherCores: NaN,
    load1: loadavg()[0],
    failed,
  };
}

export interface LatencyRun {
  rep: number;
  medianUs: number;
  p99Us: number;
  /** Counted from the last input of the tick sent (the echo: the round trip again). */
  afterLastMedianUs: number;
  afterLastP99Us: number;
  samples: number;
  otherCores: number;
  load1: number;
  /** Across a netem: the packets the forwarder saw during the window. */
  netem?: NetemCounts;
  /** Game-network's bots: their warnings and reconnections in the window, by code. */
  warnings?: Record<string, number>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PeersResult {
  plan: PeersPlan;
  /** Whether the bench ran in a network namespace of its own (the IP byte counts are exact). */
  privateNetns: boolean;
  /** The latency part ran across this netem (BENCH_NETEM), not on the loopback. */
  netem?: NetemSpec;
  cpu: { players: number; variant: Variant; runs: CpuRun[] }[];
  latency: { variant: Variant; runs: LatencyRun[] }[];
}

const spread = (values: readonly number[]): Spread => {
  const v = values.filter(Number.isFinite);
  return v.length
    ? { median: median(v), min: Math.min(...v), max: Math.max(...v) }
    : { median: NaN, min: NaN, max: NaN };
};

/** The variants measured: all, or those BENCH_PEERS (comma-separated) names. */
const chosen = (): readonly Variant[] => {
  const only = process.env.BENCH_PEERS?.split(',');
  return only ? VARIANTS.filter((v) => only.includes(v)) : VARIANTS;
};

/** Rotates the variants by `rep`: A B C D E, then B C D E A, ... */
const rotated = (rep: number): Variant[] => {
  const vs = chosen();
  return vs.map((_, i) => vs[(i + rep) % vs.length]);
};

async function cpuRun(variant: Variant, players: number, rep: number): Promise<CpuRun> {
  const processes = Math.ceil(players / BOTS_PER_PROCESS);
  const s = await peerSession(
    `peers cpu ${players} ${variant} rep ${rep + 1}`,
    serverOf(variant, players, frameBytes(players)),
    botsOf(variant, players, processes, 8, false),
    processes,
    plan.warmupMs,
    plan.windowMs,
  );
  const g = s.server;
  const seconds = g.elapsedMs / 1000;
  // Player-ticks served: a frame to each player (the echo: a datagram answered).
  const playerTicks = variant === 'echo' ? g.packetsIn : g.frames * players;
  const framesPerSec = variant === 'echo' ? g.packetsIn / players / seconds : g.frames / seconds;
  const lagGrowth = (s.clients.lagEnd ?? 0) - (s.clients.lagStart ?? 0);
  const held =
    framesPerSec >= MIN_FRAME_RATE &&
    (variant === 'echo' || lagGrowth <= MAX_LAG_GROWTH) &&
    s.clients.disconnected === 0 &&
    g.drops === 0;
  return {
    rep,
    usPerPlayerTick: g.cpuUs / playerTicks,
    cpuPercent: (100 * g.cpuUs) / (g.elapsedMs * 1000),
    framesPerSec,
    lagGrowth,
    disconnected: s.clients.disconnected,
    drops: g.drops,
    held,
    ipBytesPerPlayerSec: g.loBytes / players / seconds,
    ipPacketsPerPlayerSec: g.loPackets / players / seconds,
    appBytesPerPlayerSec: (g.bytesIn + g.bytesOut) / players / seconds,
    botsCpuPercent: (100 * s.clients.cpuUs) / (s.clients.elapsedMs * 1000),
    otherCores: s.otherCores,
    load1: s.load1,
  };
}

async function latencyRun(variant: Variant, rep: number, across?: Netem): Promise<LatencyRun> {
  const s = await peerSession(
    `peers latency ${variant} rep ${rep + 1}`,
    serverOf(variant, LATENCY_PLAYERS, 0),
    botsOf(variant, LATENCY_PLAYERS, 1, LATENCY_PLAYERS, true),
    1,
    plan.warmupMs,
    plan.latencyWindowMs,
    undefined,
    across,
  );
  const l = s.clients.latencyMs ?? [];
  const a = variant === 'echo' ? l : (s.clients.afterLastMs ?? []);
  return {
    rep,
    medianUs: median(l) * 1000,
    p99Us: percentile(l, 99) * 1000,
    afterLastMedianUs: median(a) * 1000,
    afterLastP99Us: percentile(a, 99) * 1000,
    samples: l.length,
    otherCores: s.otherCores,
    load1: s.load1,
    ...(s.netem ? { netem: s.netem } : {}),
    ...(s.clients.warnings && Object.keys(s.clients.warnings).length
      ? { warnings: s.clients.warnings }
      : {}),
  };
}

let plan: PeersPlan = PEERS_PLAN.full;

/** Measures the peers section: CPU and wire at each size, then latency at 4 players. */
export async function benchPeers(chosen: PeersPlan): Promise<PeersResult> {
  plan = chosen;
  const result: PeersResult = { plan, privateNetns: privateNetns(), cpu: [], latency: [] };
  if (!result.privateNetns)
    log('peers: not in a network namespace of its own: loopback bytes include other traffic');
  // BENCH_PEERS_PART=cpu or =latency: that part only (say, latency under a loss set up outside).
  const part = process.env.BENCH_PEERS_PART;
  for (const players of part === 'latency' ? [] : plan.sizes) {
    const rows = new Map<Variant, CpuRun[]>(VARIANTS.map((v) => [v, []]));
    for (let rep = 0; rep < plan.reps; rep++)
      for (const variant of rotated(rep)) {
        log(`peers: cpu ${players} players, ${variant}, rep ${rep + 1} ...`);
        try {
          const run = await cpuRun(variant, players, rep);
          log(
            `peers: cpu ${players} ${variant}: ${run.usPerPlayerTick.toFixed(2)} us/player-tick, ` +
              `${run.cpuPercent.toFixed(0)}% of a core, ${run.framesPerSec.toFixed(1)} frames/s, ` +
              `${run.held ? 'held' : 'NOT HELD'} (lag +${run.lagGrowth.toFixed(1)} ticks, ` +
              `${run.disconnected} disconnected, ${run.drops} dropped), bots ` +
              `${run.botsCpuPercent.toFixed(0)}%, ${run.ipBytesPerPlayerSec.toFixed(0)} IP B/player-s, ` +
              `other load ${run.otherCores.toFixed(2)} cores`,
          );
          rows.get(variant)!.push(run);
        } catch (err) {
          // A process too far behind to join or report: that run did not hold.
          log(`peers: cpu ${players} ${variant} rep ${rep + 1} failed: ${String(err)}`);
          rows.get(variant)!.push(failedRun(rep, String(err)));
        }
      }
    for (const [variant, runs] of rows) result.cpu.push({ players, variant, runs });
  }
  const lat = new Map<Variant, LatencyRun[]>(VARIANTS.map((v) => [v, []]));
  const reps = part === 'cpu' ? 0 : plan.reps;
  // BENCH_NETEM="delay=25,loss=5" (bench/netem/): the latency part across the userspace
  // netem, the server in one namespace and the bots in another (needs root and python3).
  const spec =
    reps > 0 && process.env.BENCH_NETEM ? parseNetem(process.env.BENCH_NETEM) : undefined;
  if (spec) result.netem = spec;
  const across = spec
    ? await Netem.start(
        spec,
        reps * rotated(0).length * (plan.warmupMs + plan.latencyWindowMs + 120_000),
      )
    : undefined;
  if (across)
    log(
      `peers: latency across the netem (${describeNetem(across.spec)}): bots in ${across.a.netns} (${across.a.addr}), server in ${across.b.netns} (${across.b.addr})`,
    );
  try {
    for (let rep = 0; rep < reps; rep++)
      for (const variant of rotated(rep)) {
        log(`peers: latency ${LATENCY_PLAYERS} players, ${variant}, rep ${rep + 1} ...`);
        try {
          const run = await latencyRun(variant, rep, across);
          log(
            `peers: latency ${variant}: median ${run.medianUs.toFixed(0)} us, p99 ` +
              `${run.p99Us.toFixed(0)} us; after the last input ${run.afterLastMedianUs.toFixed(0)} / ` +
              `${run.afterLastP99Us.toFixed(0)} us (${run.samples} samples)` +
              (run.netem ? `; through the netem: ${describeCounts(run.netem)}` : '') +
              (run.warnings ? `; bots' warnings ${JSON.stringify(run.warnings)}` : ''),
          );
          lat.get(variant)!.push(run);
        } catch (err) {
          log(`peers: latency ${variant} rep ${rep + 1} failed: ${String(err)}`);
        }
      }
  } finally {
    await across?.stop();
  }
  for (const [variant, runs] of lat) result.latency.push({ variant, runs });
  const file = `${tmpdir()}/game-network-bench-peers.json`;
  writeFileSync(file, JSON.stringify(result, null, 1));
  log(`peers: every run in ${file}`);
  return result;
}

// ---------------------------------------------------------------------------------------
// Table

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const sp = (s: Spread, d = 1, unit = ''): string =>
  `${f(s.median, d)}${unit} (${f(s.min, d)}-${f(s.max, d)})`;

/** Per rep, variant / game-network of the same rep; their spread. */
function ratios<T extends { rep: number }>(
  runs: readonly T[],
  base: readonly T[],
  value: (r: T) => number,
): Spread {
  const out: number[] = [];
  for (const r of runs) {
    const b = base.find((x) => x.rep === r.rep);
    if (b) out.push(value(r) / value(b));
  }
  return spread(out);
}

/** A ratio's median and spread: 0.52x (0.41-0.60x); n/a without a base. */
const spx = (s: Spread): string =>
  Number.isFinite(s.median) ? `${f(s.median, 2)}x (${f(s.min, 2)}-${f(s.max, 2)}x)` : 'n/a';

/** The runs of `variant` at `players` that held (nobody dropped, 60 frames/s, lag steady). */
const heldRuns = (r: PeersResult, players: number, variant: Variant): CpuRun[] =>
  (r.cpu.find((c) => c.players === players && c.variant === variant)?.runs ?? []).filter(
    (x) => x.held,
  );

/** The peers tables (markdown): CPU and wire per size, then latency. */
export function peersTables(r: PeersResult): string {
  const lines: string[] = [];
  const row = (cells: string[]): void => void lines.push(`| ${cells.join(' | ')} |`);
  const sizes = [...new Set(r.cpu.map((c) => c.players))];
  const head = ['Server CPU per player-tick, us', ...sizes.map((n) => `${n} players`)];
  row(head);
  row(head.map(() => '---'));
  for (const v of VARIANTS) {
    const cells = [VARIANT_NAMES[v]];
    for (const n of sizes) {
      const all = r.cpu.find((c) => c.players === n && c.variant === v)?.runs ?? [];
      const runs = all.filter((x) => x.held);
      const base = heldRuns(r, n, 'game-network');
      if (runs.length === 0) {
        const measured = all.filter((x) => Number.isFinite(x.usPerPlayerTick));
        const why = [
          measured.some((x) => x.disconnected > 0 || x.drops > 0) ? 'players dropped' : '',
          measured.some((x) => x.lagGrowth > MAX_LAG_GROWTH) ? 'lag grew' : '',
          all.length > measured.length ? `${all.length - measured.length} gave no figures` : '',
        ].filter(Boolean);
        const over = measured.length
          ? `; over those windows ${sp(spread(measured.map((x) => x.usPerPlayerTick)), 2)}`
          : '';
        cells.push(`**not held** 0/${all.length} (${why.join(', ')})${over}`);
        continue;
      }
      const us = spread(runs.map((x) => x.usPerPlayerTick));
      const pct = spread(runs.map((x) => x.cpuPercent));
      const ratio =
        v === 'game-network' ? '' : `, ${spx(ratios(runs, base, (x) => x.usPerPlayerTick))}`;
      cells.push(
        `${sp(us, 2)}${ratio}; ${f(pct.median, 0)}% of a core; held ${runs.length}/${all.length}`,
      );
    }
    row(cells);
  }
  lines.push('');
  const head2 = [
    'Bytes per player-second on the wire (IP, both directions)',
    ...sizes.map((n) => `${n} players`),
  ];
  row(head2);
  row(head2.map(() => '---'));
  for (const v of VARIANTS) {
    const cells = [VARIANT_NAMES[v]];
    for (const n of sizes) {
      const runs = heldRuns(r, n, v);
      const base = heldRuns(r, n, 'game-network');
      if (runs.length === 0) {
        cells.push('not held');
        continue;
      }
      const ip = spread(runs.map((x) => x.ipBytesPerPlayerSec));
      const pk = spread(runs.map((x) => x.ipPacketsPerPlayerSec));
      const ratio =
        v === 'game-network' ? '' : `, ${spx(ratios(runs, base, (x) => x.ipBytesPerPlayerSec))}`;
      cells.push(`${sp(ip, 0)} B${ratio}; ${f(pk.median, 0)} packets`);
    }
    row(cells);
  }
  lines.push('');
  const head3 = [
    `Input-to-frame latency, ${LATENCY_PLAYERS} players in 4 phases` +
      (r.netem ? ` (netem: ${describeNetem(r.netem)})` : ''),
    'median, us',
    'p99, us',
    'median vs game-network',
    'after the last input: median / p99, us',
    'vs game-network',
    'samples',
  ];
  row(head3);
  row(head3.map(() => '---'));
  const base = r.latency.find((l) => l.variant === 'game-network')?.runs ?? [];
  for (const l of r.latency) {
    const name = l.variant === 'echo' ? 'raw dgram echo (round trip)' : VARIANT_NAMES[l.variant];
    row([
      name,
      sp(spread(l.runs.map((x) => x.medianUs)), 0),
      sp(spread(l.runs.map((x) => x.p99Us)), 0),
      l.variant === 'game-network' ? '' : spx(ratios(l.runs, base, (x) => x.medianUs)),
      `${sp(spread(l.runs.map((x) => x.afterLastMedianUs)), 0)} / ${sp(spread(l.runs.map((x) => x.afterLastP99Us)), 0)}`,
      l.variant === 'game-network' ? '' : spx(ratios(l.runs, base, (x) => x.afterLastMedianUs)),
      `${l.runs.reduce((n, x) => n + x.samples, 0)} in ${l.runs.length} runs`,
    ]);
  }
  return lines.join('\n');
}
