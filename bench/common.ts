// Shared by the bench orchestrator (run.ts) and its child processes (server.ts, clients.ts,
// assembler.ts): the messages they exchange over IPC, statistics, inputs, the send recorder.

import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { StallResult } from './stallProbe.js';
import type { LinkConditionerOptions } from '../src/node.js';

export const HOST = '127.0.0.1';
export const TICK_RATE = 60;
export const TICK_MS = 1000 / TICK_RATE;
export const INPUT_SIZE = 2;

// ---------------------------------------------------------------------------------------
// Configuration of the child processes (passed as JSON in argv[2]).

export interface GameServerConfig {
  readonly mode: 'game';
  readonly maxPlayers: number;
  readonly conditioner?: LinkConditionerOptions;
  /** Keep a copy of every datagram sent during a measuring window (for sizes). */
  readonly recordSends?: boolean;
  /** Write a CPU profile of the measuring window to `profile.dir/profile.name.cpuprofile`. */
  readonly profile?: { readonly dir: string; readonly name: string };
  /** Where the server listens (default HOST); across the bench's netem, namespace B's address. */
  readonly host?: string;
  readonly lifetimeMs: number;
}

export interface EchoServerConfig {
  readonly mode: 'echo';
  /** Bytes of each reply; 0 sends the received bytes back. */
  readonly replyBytes: number;
  /** Where the server listens (default HOST); across the bench's netem, namespace B's address. */
  readonly host?: string;
  readonly lifetimeMs: number;
}

/** The peers of the bench: the same lockstep relay on Colyseus, on `ws`, on bare dgram. */
export type PeerKind = 'colyseus' | 'ws' | 'udp';

export interface PeerServerConfig {
  readonly mode: 'peer';
  readonly kind: PeerKind;
  /** The match's size: every tick waits for this many players' inputs. */
  readonly players: number;
  /** Where the server listens (default HOST); across the bench's netem, namespace B's address. */
  readonly host?: string;
  readonly lifetimeMs: number;
}

export type ServerConfig = GameServerConfig | EchoServerConfig | PeerServerConfig;

/** How bots produce inputs: held buttons (long repeats) or random every tick. */
export type InputPattern = 'held' | 'random';

export interface GameClientsConfig {
  readonly mode: 'game';
  readonly tcpPort: number;
  readonly clients: number;
  /** Bots are spread over this many send phases within one tick (1: all at once). */
  readonly groups: number;
  readonly pattern: InputPattern;
  readonly seed: number;
  /** The bots' usernames: this then a number (default 'bot'); unique over bots processes. */
  readonly namePrefix?: string;
  /** Record input-to-frame latency. */
  readonly latency?: boolean;
  /**
   * Instead of 60 Hz: every bot sends its next input as soon as the frame of its last one
   * is in (a hot loop, no wake-up from idle), at most `maxTicks` inputs.
   */
  readonly backToBack?: boolean;
  readonly conditioner?: LinkConditionerOptions;
  readonly recordSends?: boolean;
  /** Bound on the ticks each bot sends. */
  readonly maxTicks: number;
  /** Each bot's connect timeout (default 10 s; across a lossy netem, TCP's backoff needs more). */
  readonly connectTimeoutMs?: number;
  /** The server's address (default HOST); across the bench's netem, namespace B's. */
  readonly host?: string;
  /** Where the bots' own sockets bind (default HOST); across the netem, namespace A's address. */
  readonly bindHost?: string;
  readonly lifetimeMs: number;
}

export interface UdpClientsConfig {
  readonly mode: 'udp';
  readonly udpPort: number;
  readonly clients: number;
  readonly groups: number;
  /** Bytes of each datagram. */
  readonly payloadBytes: number;
  /** Record the round-trip time of each datagram (send to reply). */
  readonly latency?: boolean;
  /**
   * Instead of 60 Hz: one socket pings back to back (the next datagram as soon as the reply
   * is in) during the window, at most `maxTicks` round trips.
   */
  readonly backToBack?: boolean;
  readonly maxTicks: number;
  /** The server's address (default HOST); across the bench's netem, namespace B's. */
  readonly host?: string;
  /** Where the bots' own sockets bind (default HOST); across the netem, namespace A's address. */
  readonly bindHost?: string;
  readonly lifetimeMs: number;
}

export interface PeerClientsConfig {
  readonly mode: 'peer';
  readonly kind: PeerKind;
  readonly port: number;
  /** Bots in this process. */
  readonly clients: number;
  /** Players in the match (all processes); Colyseus's first bot creates the room for them. */
  readonly players: number;
  /** A Colyseus room to join (from the process that created it). */
  readonly roomId?: string;
  readonly groups: number;
  readonly seed: number;
  readonly latency?: boolean;
  readonly maxTicks: number;
  /** The server's address (default HOST); across the bench's netem, namespace B's. */
  readonly host?: string;
  /** Where the bots' own sockets bind (default HOST); across the netem, namespace A's address. */
  readonly bindHost?: string;
  readonly lifetimeMs: number;
}

export type ClientsConfig = GameClientsConfig | UdpClientsConfig | PeerClientsConfig;

// ---------------------------------------------------------------------------------------
// IPC messages.

/** Orchestrator to child. */
export type Command =
  | { readonly type: 'start' }
  /** A window of `ms`; with `stallMs`, the bots block their event loop that long 1 s in. */
  | { readonly type: 'measure'; readonly ms: number; readonly stallMs?: number }
  | { readonly type: 'stop' };

/** CPU, event loop and datagrams of one process over one measuring window. */
export interface ProcessWindow {
  readonly elapsedMs: number;
  /** User + system CPU of the whole process, microseconds. */
  readonly cpuUs: number;
  /** Event-loop utilization (0..1). */
  readonly elu: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /**
   * IP packets and bytes over the loopback interface (/proc/net/dev of this process's
   * network namespace: everything on it, TCP ACKs included, both directions once).
   */
  readonly loPackets: number;
  readonly loBytes: number;
}

/** Sizes of the datagrams a process sent during a window, with their naive encoding. */
export interface SendSizes {
  /** UDP payload bytes, one per datagram. */
  readonly bytes: number[];
  /** The same content as msgpack of plain arrays of numbers, one per datagram. */
  readonly naiveBytes: number[];
  /** Inputs (client) or frames (server) in each datagram. */
  readonly items: number[];
}

export interface ServerWindow extends ProcessWindow {
  /** Frames the server confirmed in the window. */
  readonly frames: number;
  readonly warnings: Record<string, number>;
  readonly drops: number;
  readonly sends?: SendSizes;
}

export interface ClientsWindow extends ProcessWindow {
  /** Inputs (or datagrams, for raw UDP bots) sent by all bots. */
  readonly sent: number;
  /** Frames (or replies) received by all bots. */
  readonly received: number;
  /** Latency samples in ms (input sent to its frame received, or datagram round trip). */
  readonly latencyMs?: number[];
  /**
   * The same frames' latency counted from the last input of their tick that any bot of this
   * process sent (ms): the relay's own part, without the wait for the slowest player.
   */
  readonly afterLastMs?: number[];
  /** Mean over bots of (last tick sent - last frame received), at the start and end. */
  readonly lagStart?: number;
  readonly lagEnd?: number;
  readonly lagMax?: number;
  /** How late the bots' send loop ran behind its schedule (ms), p99 and max. */
  readonly lateP99Ms: number;
  readonly lateMaxMs: number;
  readonly disconnected: number;
  /** The injected stall and the recovery from it (a stall bench window). */
  readonly stall?: StallResult;
  /** Warnings the clients reported, by code (and 'reconnecting', 'reconnected'). */
  readonly warnings?: Record<string, number>;
  readonly sends?: SendSizes;
}

/** Child to orchestrator. */
export type Report =
  | {
      readonly type: 'ready';
      readonly tcpPort?: number;
      readonly udpPort?: number;
      readonly roomId?: string;
    }
  /** The bots all play (after 'start'). */
  | { readonly type: 'started' }
  | { readonly type: 'measured'; readonly window: ServerWindow | ClientsWindow }
  | { readonly type: 'stopped' }
  | { readonly type: 'failed'; readonly message: string };

/** Reads the child's configuration from argv. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('no configuration given (argv[2] is JSON)');
  return JSON.parse(raw) as T;
}

/** Sends a report to the orchestrator (no-op when not a child). */
export function report(msg: Report): void {
  process.send?.(msg);
}

/**
 * Listens to the orchestrator and bounds the child's life: it exits with code 3 if it is
 * still alive after `lifetimeMs`, and shuts down when the orchestrator goes away.
 */
export function serveCommands(
  lifetimeMs: number,
  onCommand: (cmd: Command) => void | Promise<void>,
  shutdown: () => Promise<void>,
): void {
  const deadline = setTimeout(() => {
    process.stderr.write(`bench child ${process.argv[1]}: still alive after ${lifetimeMs} ms\n`);
    process.exit(3);
  }, lifetimeMs);
  deadline.unref();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await shutdown();
    report({ type: 'stopped' });
    process.disconnect?.();
  };
  process.on('message', (msg: Command) => {
    if (msg.type === 'stop') {
      void stop();
      return;
    }
    Promise.resolve(onCommand(msg)).catch((err: unknown) => {
      report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    });
  });
  process.on('disconnect', () => void stop());
}

// ---------------------------------------------------------------------------------------
// Measuring one process: CPU, event-loop use, datagrams in and out.

export interface Counters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

export const counters: Counters = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };

/** Copies of the datagrams sent while recording. */
let recorded: Uint8Array[] | undefined;
const instrumented = new WeakSet<dgram.Socket>();

/** Counts the datagrams `socket` receives (one extra 'message' listener). */
export function countReceived(socket: dgram.Socket): void {
  if (instrumented.has(socket)) return;
  instrumented.add(socket);
  socket.on('message', (data: Buffer) => {
    counters.packetsIn++;
    counters.bytesIn += data.length;
  });
}

/**
 * Wraps `dgram.Socket.prototype.send` in this process: counts every datagram sent (one
 * buffer, or an array of buffers sent as one datagram: its length is their sum), and
 * counts received ones on every socket that sends (the library's sockets are private).
 * The cost is a counter update per datagram, the same for the echo baseline.
 */
export function instrumentDgram(): void {
  const proto = dgram.Socket.prototype as unknown as {
    send: (this: dgram.Socket, ...args: unknown[]) => void;
  };
  const original = proto.send;
  proto.send = function (this: dgram.Socket, ...args: unknown[]): void {
    const data = args[0];
    if (data instanceof Uint8Array) {
      counters.packetsOut++;
      counters.bytesOut += data.length;
      if (recorded) recorded.push(data.slice());
    } else if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) {
      // The gather form: several buffers sent as one datagram (protocol v2's token prefix).
      const parts = data as readonly Uint8Array[];
      let length = 0;
      for (const part of parts) length += part.length;
      counters.packetsOut++;
      counters.bytesOut += length;
      if (recorded) {
        const whole = new Uint8Array(length);
        let at = 0;
        for (const part of parts) {
          whole.set(part, at);
          at += part.length;
        }
        recorded.push(whole);
      }
    }
    countReceived(this);
    original.apply(this, args);
  };
}

export function startRecording(): void {
  recorded = [];
}

export function stopRecording(): Uint8Array[] {
  const out = recorded ?? [];
  recorded = undefined;
  return out;
}

/** Packets and bytes sent over `lo` so far (zeros where /proc/net/dev is not there). */
export function loopbackCounters(): { packets: number; bytes: number } {
  try {
    const line = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith('lo:'));
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit.
    const v = (line ?? '').split(':')[1].trim().split(/\s+/).map(Number);
    return { bytes: v[8], packets: v[9] };
  } catch {
    return { packets: 0, bytes: 0 };
  }
}

/**
 * True when this process's network namespace has no interface but `lo` (as one made by
 * `ip netns add` for the bench): then everything on `lo` is the bench's own traffic.
 */
export function privateNetns(): boolean {
  try {
    const names = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0].trim())
      .filter(Boolean);
    return names.length === 1 && names[0] === 'lo';
  } catch {
    return false;
  }
}

/** Starts a measuring window; the returned function ends it. */
export function startWindow(): () => ProcessWindow {
  const lo0 = loopbackCounters();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const c0 = { ...counters };
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    return {
      elapsedMs: performance.now() - t0,
      cpuUs: cpu.user + cpu.system,
      elu: elu.utilization,
      packetsIn: counters.packetsIn - c0.packetsIn,
      packetsOut: counters.packetsOut - c0.packetsOut,
      bytesIn: counters.bytesIn - c0.bytesIn,
      bytesOut: counters.bytesOut - c0.bytesOut,
      loPackets: loopbackCounters().packets - lo0.packets,
      loBytes: loopbackCounters().bytes - lo0.bytes,
    };
  };
}

// ---------------------------------------------------------------------------------------
// Statistics.

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** How late a send loop ran behind its schedule over a window (ms): p99 and max (NaN with none). */
export function latenessOf(late: readonly number[]): { lateP99Ms: number; lateMaxMs: number } {
  return { lateP99Ms: percentile(late, 99), lateMaxMs: late.length ? Math.max(...late) : NaN };
}

/** The fields of a game bots' window that every kind of them reports alike: lag, lateness, drops. */
export function trackedFields(o: {
  readonly lagStart: number;
  readonly lagEnd: number;
  readonly lagMax: number;
  readonly late: readonly number[];
  readonly disconnected: number;
}): Pick<
  ClientsWindow,
  'lagStart' | 'lagEnd' | 'lagMax' | 'lateP99Ms' | 'lateMaxMs' | 'disconnected'
> {
  const { lagStart, lagEnd, lagMax, late, disconnected } = o;
  return { lagStart, lagEnd, lagMax, ...latenessOf(late), disconnected };
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

// ---------------------------------------------------------------------------------------
// Inputs.

/** mulberry32: a small seeded generator, [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chance per tick that a held-buttons player changes what it holds: a hold lasts 10 ticks on average. */
export const HELD_CHANGE_PER_TICK = 0.1;

/**
 * A player's controller sampled once per tick, as 2 bytes. `held`: the buttons held stay
 * the same until the player changes them (on average every 10 ticks, about 167 ms: six
 * changes a second, a busy player); a change presses or releases one to three of 12
 * buttons. `random`: 16 random bits every tick, the worst case for the compression.
 */
export function createController(pattern: InputPattern, seed: number): () => Uint8Array {
  const random = createRandom(seed);
  let state = Math.floor(random() * 0x1000);
  return () => {
    if (pattern === 'random') {
      state = Math.floor(random() * 0x10000);
    } else if (random() < HELD_CHANGE_PER_TICK) {
      const flips = 1 + Math.floor(random() * 3);
      for (let i = 0; i < flips; i++) state ^= 1 << Math.floor(random() * 12);
    }
    return Uint8Array.of(state >>> 8, state & 0xff);
  };
}

// ---------------------------------------------------------------------------------------
// Send schedule: bots in `groups` phases of one tick, drift-free, bounded.

export interface Schedule {
  /** Stops the schedule. */
  stop(): void;
  /** How late each turn ran (ms), for every turn since the last call. */
  takeLateness(): number[];
  /** Where the clock is now, in ticks (group 0's tick index, fractional). */
  clockTick(): number;
}

/**
 * Calls `turn(group, tickIndex)` for tick indexes 0, 1, 2, ... of each group, group `g` at
 * `t0 + (tickIndex + g / groups) * TICK_MS`, until `maxTicks` ticks or `stop()`. A turn that
 * is late is made at once (no tick is skipped), so a process that cannot keep up sends in
 * bursts, and its lateness shows.
 */
export function runSchedule(
  groups: number,
  maxTicks: number,
  turn: (group: number, tickIndex: number) => void,
): Schedule {
  const t0 = performance.now() + 1;
  const next = new Array<number>(groups).fill(0);
  let lateness: number[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const dueOf = (g: number): number => t0 + (next[g] + g / groups) * TICK_MS;
  const loop = (): void => {
    timer = undefined;
    if (stopped) return;
    let soonest = Infinity;
    for (let g = 0; g < groups; g++) {
      // Bounded: at most maxTicks turns per group over the whole run.
      while (next[g] < maxTicks) {
        const due = dueOf(g);
        const now = performance.now();
        if (due > now) break;
        lateness.push(now - due);
        turn(g, next[g]);
        next[g]++;
        if (stopped) return;
      }
      if (next[g] < maxTicks) soonest = Math.min(soonest, dueOf(g));
    }
    if (soonest === Infinity) return;
    timer = setTimeout(loop, Math.max(0, soonest - performance.now()));
  };
  timer = setTimeout(loop, 1);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    takeLateness() {
      const out = lateness;
      lateness = [];
      return out;
    },
    clockTick() {
      return (performance.now() - t0) / TICK_MS;
    },
  };
}

// ---------------------------------------------------------------------------------------
// The machine's load: how much CPU other processes took during a window (Linux: /proc).

/** Busy, steal and total clock ticks of all CPUs, from /proc/stat. */
function machineTicks(): { busy: number; steal: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // cpu user nice system idle iowait irq softirq steal
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - v[3] - v[4], steal: v[7] ?? 0, total };
  } catch {
    return undefined; // not Linux
  }
}

/** User + system clock ticks of one process (0 once it is gone). */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces) in parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  } catch {
    return 0;
  }
}

export interface MachineLoad {
  /** CPUs (cores) busy with processes other than `pids`, on average. */
  readonly otherCores: number;
  /** CPUs the hypervisor took away (steal time), on average. */
  readonly stealCores: number;
}

/**
 * Starts sampling the machine; the returned function gives the load since, apart from the
 * processes `pids` (ours). Undefined where /proc is not there.
 */
export function startMachineLoad(pids: readonly number[]): () => MachineLoad | undefined {
  const cpus = Math.max(1, availableParallelism());
  const ours = (): number => pids.reduce((n, pid) => n + processTicks(pid), 0);
  const a = machineTicks();
  const oursA = ours();
  return () => {
    const b = machineTicks();
    if (!a || !b || b.total === a.total) return undefined;
    const total = b.total - a.total;
    const other = Math.max(0, b.busy - a.busy - (ours() - oursA));
    return { otherCores: (other / total) * cpus, stealCores: ((b.steal - a.steal) / total) * cpus };
  };
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
