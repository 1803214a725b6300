// The bench's stall section (issue 19): 256 bots in one process, its event loop blocked for 250 ms once; do they recover?
//
//   npm run bench -- --only stall [--reps 3] [--steps 256]
//   BENCH_PEERS=game-network,ws npm run bench -- --only stall

import { loadavg } from 'node:os';
import { median } from './common.js';
import { VARIANTS, VARIANT_NAMES, botsOf, peerSession, serverOf, type Variant } from './peers.js';

/** The injected stall of the bots' process. */
export const STALL_MS = 250;
/** The window (the stall 1 s into it): 5 s left to recover. */
const WINDOW_MS = 6000;
const WARMUP_MS = 2500;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** One session's outcome. */
export interface StallRun {
  readonly variant: Variant;
  readonly players: number;
  readonly rep: number;
  /** Nobody dropped, the lag back within 2 ticks, and still there at the end of the window. */
  readonly recovered: boolean;
  readonly recoveredAfterMs: number | null;
  readonly stallMs: number;
  readonly lagBefore: number;
  readonly lagPeak: number;
  readonly lagLast: number;
  readonly disconnected: number;
  readonly drops: number;
  /** The bots' process's CPU over the window, % of a core. */
  readonly botsCpuPercent: number;
  readonly load1: number;
  readonly failed?: string;
}

/** Variants measured: game-network and the TCP peers (BENCH_PEERS picks others). */
function chosen(): Variant[] {
  const only = process.env.BENCH_PEERS?.split(',') ?? ['game-network', 'ws', 'colyseus'];
  return VARIANTS.filter((v) => v !== 'echo' && only.includes(v));
}

async function stallRun(variant: Variant, players: number, rep: number): Promise<StallRun> {
  const load1 = loadavg()[0];
  try {
    const s = await peerSession(
      `stall ${players} ${variant} rep ${rep + 1}`,
      serverOf(variant, players, 0),
      botsOf(variant, players, 1, 8, false),
      1,
      WARMUP_MS,
      WINDOW_MS,
      STALL_MS,
    );
    const st = s.clients.stall;
    const recovered =
      st !== undefined &&
      st.recoveredAfterMs !== null &&
      s.clients.disconnected === 0 &&
      s.server.drops === 0 &&
      st.lagLast <= st.lagBefore + 3;
    return {
      variant,
      players,
      rep,
      recovered,
      recoveredAfterMs: st?.recoveredAfterMs ?? null,
      stallMs: st?.stallMs ?? NaN,
      lagBefore: st?.lagBefore ?? NaN,
      lagPeak: st?.lagPeak ?? NaN,
      lagLast: st?.lagLast ?? NaN,
      disconnected: s.clients.disconnected,
      drops: s.server.drops,
      botsCpuPercent: (100 * s.clients.cpuUs) / (s.clients.elapsedMs * 1000),
      load1,
    };
  } catch (err) {
    return {
      variant,
      players,
      rep,
      recovered: false,
      recoveredAfterMs: null,
      stallMs: NaN,
      lagBefore: NaN,
      lagPeak: NaN,
      lagLast: NaN,
      disconnected: NaN,
      drops: NaN,
      botsCpuPercent: NaN,
      load1,
      failed: String(err),
    };
  }
}

/** Runs `reps` interleaved sessions of each variant at each size. */
export async function benchStall(sizes: readonly number[], reps: number): Promise<StallRun[]> {
  const runs: StallRun[] = [];
  const vs = chosen();
  for (const players of sizes)
    for (let rep = 0; rep < reps; rep++)
      for (let i = 0; i < vs.length; i++) {
        const variant = vs[(i + rep) % vs.length];
        log(`stall: ${players} players, ${variant}, rep ${rep + 1} ...`);
        const r = await stallRun(variant, players, rep);
        log(
          `stall: ${players} ${variant}: ${r.recovered ? 'recovered' : 'NOT RECOVERED'}` +
            (r.failed
              ? ` (${r.failed})`
              : ` after ${r.recoveredAfterMs === null ? '-' : r.recoveredAfterMs.toFixed(0)} ms; ` +
                `stall ${r.stallMs.toFixed(0)} ms, lag ${r.lagBefore.toFixed(1)} ticks before, ` +
                `${r.lagPeak.toFixed(1)} at the peak, ` +
                `${r.lagLast.toFixed(1)} at the end; ${r.disconnected} disconnected, ` +
                `${r.drops} dropped; bots ${r.botsCpuPercent.toFixed(0)}% of a core`),
        );
        runs.push(r);
      }
  return runs;
}

/** The markdown table: per variant and size, runs recovered and the recovery time. */
export function stallTable(runs: readonly StallRun[]): string {
  const rows = [
    '| Bots in one process, one 250 ms stall | players | recovered | time to recover, ms: median (min-max) | lag peak, ticks | bots, % of a core |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const keys = [...new Set(runs.map((r) => `${r.variant}@${r.players}`))];
  for (const key of keys) {
    const [variant, players] = key.split('@') as [Variant, string];
    const rs = runs.filter((r) => r.variant === variant && String(r.players) === players);
    const ok = rs.filter((r) => r.recovered);
    const times = ok.map((r) => r.recoveredAfterMs ?? NaN);
    const span = (v: number[]): string =>
      v.length
        ? `${median(v).toFixed(0)} (${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)})`
        : '-';
    rows.push(
      `| ${VARIANT_NAMES[variant]} | ${players} | ${ok.length}/${rs.length} | ${span(times)} | ` +
        `${span(rs.map((r) => r.lagPeak).filter(Number.isFinite))} | ` +
        `${span(rs.map((r) => r.botsCpuPercent).filter(Number.isFinite))} |`,
    );
  }
  return rows.join('\n');
}
