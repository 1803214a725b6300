// The orchestrator's side of the bench's userspace netem (bench/netem/forwarder.py): two
// network namespaces, A (the bots, 10.77.0.1) and B (the server, 10.77.0.2), every packet
// between them delayed and dropped by the forwarder; started, asked for counts, stopped and
// cleaned up (namespaces deleted even if the forwarder was killed, or this process exits).

import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The network the forwarder makes: one-way delay and jitter (ms), loss (%, each way). */
export interface NetemSpec {
  readonly delayMs: number;
  /** Uniform +- around the delay; packets keep their order unless `reorder`. */
  readonly jitterMs: number;
  readonly lossPercent: number;
  readonly seed: number;
  readonly reorder: boolean;
}

/** One side: its network namespace, TUN device and address. */
export interface NetemSide {
  readonly netns: string;
  readonly dev: string;
  readonly addr: string;
}

/** Packets (and bytes) the forwarder saw one way for one protocol. */
export interface NetemCount {
  readonly in: number;
  readonly dropped: number;
  readonly out: number;
  readonly bytesIn: number;
}

/** Per direction ('a->b', 'b->a'), per protocol ('tcp', 'udp', 'icmp', 'other'). */
export type NetemCounts = Record<'a->b' | 'b->a', Record<string, NetemCount>>;

const FORWARDER = fileURLToPath(new URL('./forwarder.py', import.meta.url));
const KEYS = ['delay', 'jitter', 'loss', 'seed', 'reorder'] as const;

/**
 * Parses `delay=25,loss=5[,jitter=2][,seed=1][,reorder]` (one-way ms, percent) as in
 * BENCH_NETEM.
 *
 * @throws {Error} on an unknown key or a value that is not a number >= 0.
 */
export function parseNetem(text: string): NetemSpec {
  const spec = { delayMs: 0, jitterMs: 0, lossPercent: 0, seed: 1, reorder: false };
  for (const part of text.split(',').filter(Boolean)) {
    const [key, value = ''] = part.split('=').map((s) => s.trim());
    if (!(KEYS as readonly string[]).includes(key))
      throw new Error(`BENCH_NETEM: unknown '${key}' (${KEYS.join(', ')})`);
    if (key === 'reorder') {
      spec.reorder = value !== '0' && value !== 'false';
      continue;
    }
    const n = Number(value);
    if (value === '' || !Number.isFinite(n) || n < 0)
      throw new Error(`BENCH_NETEM: ${key}=${value} is not a number >= 0`);
    if (key === 'delay') spec.delayMs = n;
    else if (key === 'jitter') spec.jitterMs = n;
    else if (key === 'loss') spec.lossPercent = n;
    else spec.seed = Math.floor(n);
  }
  if (spec.lossPercent > 100) throw new Error('BENCH_NETEM: loss is a percentage');
  return spec;
}

/** `spec` in words: "25 ms one way, 5% loss each way". */
export function describeNetem(spec: NetemSpec): string {
  const jitter = spec.jitterMs > 0 ? ` +- ${spec.jitterMs} ms` : '';
  const order = spec.reorder ? ', reordering' : '';
  return `${spec.delayMs}${jitter} ms one way, ${spec.lossPercent}% loss each way${order}`;
}

/** `after - before`, protocol by protocol. */
export function countsSince(before: NetemCounts, after: NetemCounts): NetemCounts {
  const diff = (a: Record<string, NetemCount>, b: Record<string, NetemCount>) =>
    Object.fromEntries(
      Object.entries(b).map(([proto, c]) => {
        const z = a[proto] ?? { in: 0, dropped: 0, out: 0, bytesIn: 0 };
        return [
          proto,
          {
            in: c.in - z.in,
            dropped: c.dropped - z.dropped,
            out: c.out - z.out,
            bytesIn: c.bytesIn - z.bytesIn,
          },
        ];
      }),
    );
  return {
    'a->b': diff(before['a->b'], after['a->b']),
    'b->a': diff(before['b->a'], after['b->a']),
  };
}

/** "a->b udp 1432 (71 lost), b->a udp 1380 (64 lost)"; protocols with no packet left out. */
export function describeCounts(c: NetemCounts): string {
  const parts: string[] = [];
  for (const dir of ['a->b', 'b->a'] as const)
    for (const [proto, n] of Object.entries(c[dir]))
      if (n.in > 0) parts.push(`${dir} ${proto} ${n.in} (${n.dropped} lost)`);
  return parts.length ? parts.join(', ') : 'no packet';
}

/** A running forwarder and its two namespaces. */
export class Netem {
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;
  private exited = false;
  private sides: { readonly a: NetemSide; readonly b: NetemSide } | undefined;
  private readonly onExit = (): void => this.cleanUp();

  private constructor(
    private readonly proc: ChildProcessByStdio<Writable, Readable, null>,
    /** The namespaces' common prefix: `<name>-a`, `<name>-b`. */
    readonly name: string,
    /** The spec it runs. */
    readonly spec: NetemSpec,
  ) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.wake?.();
    });
    proc.on('exit', () => {
      this.exited = true;
      this.wake?.();
    });
    process.on('exit', this.onExit);
  }

  /** The bots' side (A). */
  get a(): NetemSide {
    return this.ready().a;
  }

  /** The server's side (B). */
  get b(): NetemSide {
    return this.ready().b;
  }

  private ready(): { readonly a: NetemSide; readonly b: NetemSide } {
    if (!this.sides) throw new Error('netem: not started');
    return this.sides;
  }

  /**
   * Starts the forwarder (python3, as root) with namespaces `gnetem-<pid>-a` and `-b`; it
   * exits by itself after `lifetimeMs` or when this process's end closes its stdin.
   *
   * @throws {Error} (as a rejection) if it does not report ready within 30 s.
   */
  static async start(spec: NetemSpec, lifetimeMs: number): Promise<Netem> {
    const name = `gnetem-${process.pid}`;
    const args = [
      FORWARDER,
      '--name',
      name,
      '--delay',
      String(spec.delayMs),
      '--jitter',
      String(spec.jitterMs),
      '--loss',
      String(spec.lossPercent),
      '--seed',
      String(spec.seed),
      '--lifetime',
      String(Math.ceil(lifetimeMs / 1000)),
      ...(spec.reorder ? ['--reorder'] : []),
    ];
    const proc = spawn('python3', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const netem = new Netem(proc, name, spec);
    try {
      netem.sides = JSON.parse(await netem.line('ready', 30_000)) as {
        a: NetemSide;
        b: NetemSide;
      };
      return netem;
    } catch (err) {
      await netem.stop();
      throw err;
    }
  }

  /** The forwarder's counts so far (since it started). */
  async stats(): Promise<NetemCounts> {
    this.proc.stdin.write('stats\n');
    return JSON.parse(await this.line('stats', 5000)) as NetemCounts;
  }

  /** Stops the forwarder (it deletes its namespaces), kills it after 20 s; then makes sure. */
  async stop(): Promise<void> {
    if (!this.exited) {
      this.proc.stdin.end('quit\n');
      try {
        await this.line('stopped', 20_000);
      } catch {
        // no 'stopped' line: killed below
      }
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
      while (!this.exited) await this.next(25_000);
      clearTimeout(timer);
    }
    this.cleanUp();
  }

  /** Kills the forwarder if alive and deletes the namespaces (synchronous: at exit too). */
  private cleanUp(): void {
    process.off('exit', this.onExit);
    if (!this.exited) this.proc.kill('SIGKILL');
    // Already gone when the forwarder ended well: `ip` then fails, quietly.
    for (const ns of [`${this.name}-a`, `${this.name}-b`])
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  }

  /** The rest of the next line that starts with `word `. */
  private async line(word: string, timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(`${word} `));
      if (i >= 0) return this.lines.splice(i, 1)[0].slice(word.length + 1);
      if (this.exited) throw new Error(`netem forwarder exited before '${word}'`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`netem forwarder: no '${word}' within ${timeoutMs} ms`);
      await this.next(left);
    }
  }

  /** Waits for a line or the exit, at most `ms`. */
  private next(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
