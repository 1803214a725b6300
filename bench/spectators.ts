// Bench: the server's CPU per spectator beside its CPU per player at 60 Hz, and 8 players with 64 spectators holding 60 frames/s.
//
//   npx tsx bench/spectators.ts            (or: '{"seconds":5}')
//
// The server runs in this process (Node transport on 127.0.0.1); the players and spectators
// in a child process, so that `process.cpuUsage()` here is the server's alone. The players
// send one input per tick at 60 Hz (held buttons, paced by the clock, not by setInterval);
// the spectators only read `frames$`. After every client is in and a second of warm-up, the
// server's CPU and frames are measured over a window, and the child counts the frames each
// player and spectator got in the same window. Scenarios: 1 player, 8 players, 8 players and
// 64 spectators; per player = (8 players - 1 player) / 7, per spectator = (8 + 64 - 8) / 64.
//
// Measured (2 shared cores, Node 22, 4 s windows): 1 player 3.6% of a core, 8 players 7.5%,
// 8 players + 64 spectators 9.7%, every one of them at 60 frames/s and no spectator lost:
// ~0.56% of a core per player, ~0.034% per spectator (a spectator costs about a sixteenth of a
// player: no datagrams, no acknowledgements, and one CatchUp encoding shared by all).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type GameClient } from '../src/node.js';

const TICK_RATE = 60;
const WARMUP_MS = 1000;

interface Scenario {
  readonly players: number;
  readonly spectators: number;
}

interface ChildConfig extends Scenario {
  readonly port: number;
  readonly windowMs: number;
}

/** What the child counts over the window. */
interface ChildReport {
  /** Frames per second each player got, lowest. */
  readonly playerMinFps: number;
  /** Frames per second each spectator got, lowest (0 with no spectator). */
  readonly spectatorMinFps: number;
  /** Spectators that were dropped or ended. */
  readonly spectatorsLost: number;
}

interface ScenarioResult extends Scenario, ChildReport {
  /** Server CPU (user + system) over the window, as a share of one core. */
  readonly serverCpuPercent: number;
  /** Frames the server confirmed per second in the window. */
  readonly serverFps: number;
}

// ------------------------------------------------------------------------------------------
// The child: players and spectators.

async function child(config: ChildConfig): Promise<void> {
  const where = { host: '127.0.0.1', port: config.port };
  const players: GameClient[] = [];
  for (let i = 0; i < config.players; i++) {
    const c = await connect({ ...where, username: `p${i}` });
    c.ready();
    players.push(c);
  }
  await Promise.all(players.map((c) => c.seated));
  const spectators: GameClient[] = [];
  for (let i = 0; i < config.spectators; i++)
    spectators.push(await connect({ ...where, username: `s${i}`, spectate: true }));
  let lost = 0;
  for (const s of spectators) void s.closed.then(() => (lost += 1));

  // Inputs paced by the clock: player i has sent `sent[i]` inputs; it owes one per tick.
  const t0 = performance.now();
  const sent = players.map(() => 0);
  const input = Uint8Array.of(1, 0);
  const pacer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * TICK_RATE) / 1000) + 4;
    players.forEach((c, i) => {
      while (sent[i] < due) {
        c.sendInput(input);
        sent[i] += 1;
      }
    });
  }, 2);

  const counts = new Map<GameClient, number>();
  let counting = false;
  for (const c of [...players, ...spectators]) {
    counts.set(c, 0);
    c.frames$.subscribe(() => {
      if (counting) counts.set(c, counts.get(c)! + 1);
    });
  }
  process.stdout.write('joined\n');
  await sleep(WARMUP_MS);
  counting = true;
  await sleep(config.windowMs);
  counting = false;
  const fps = (c: GameClient): number => (counts.get(c)! * 1000) / config.windowMs;
  const report: ChildReport = {
    playerMinFps: Math.min(...players.map(fps)),
    spectatorMinFps: spectators.length ? Math.min(...spectators.map(fps)) : 0,
    spectatorsLost: lost,
  };
  clearInterval(pacer);
  process.stdout.write(`report ${JSON.stringify(report)}\n`);
  await Promise.all([...players, ...spectators].map((c) => c.close()));
  process.exit(0);
}

// ------------------------------------------------------------------------------------------
// The server, and the scenarios.

async function runScenario(scenario: Scenario, windowMs: number): Promise<ScenarioResult> {
  const server = await createServer({
    host: '127.0.0.1',
    tickRate: TICK_RATE,
    maxPlayers: 8,
    maxSpectators: 64,
  });
  let frames = 0;
  server.frames$.subscribe(() => (frames += 1));
  const config: ChildConfig = { ...scenario, port: server.address.tcpPort, windowMs };
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buffered = '';
  let onLine: (line: string) => void = () => {};
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      onLine(line);
    }
  });
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve) => {
      onLine = (l) => {
        if (l.startsWith(prefix)) resolve(l.slice(prefix.length));
      };
    });
  await line('joined');
  await sleep(WARMUP_MS);
  const cpu0 = process.cpuUsage();
  const frames0 = frames;
  const t0 = performance.now();
  const reported = line('report ');
  await sleep(windowMs);
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  const framesIn = frames - frames0;
  const report = JSON.parse(await reported) as ChildReport;
  await new Promise((resolve) => proc.once('exit', resolve));
  await server.close();
  return {
    ...scenario,
    ...report,
    serverCpuPercent: Number((((cpu.user + cpu.system) / 1000 / ms) * 100).toFixed(2)),
    serverFps: Number(((framesIn * 1000) / ms).toFixed(1)),
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child(JSON.parse(process.argv[3]) as ChildConfig);
  const given = process.argv[2] ? (JSON.parse(process.argv[2]) as { seconds?: number }) : {};
  const windowMs = (given.seconds ?? 5) * 1000;
  const results: ScenarioResult[] = [];
  for (const scenario of [
    { players: 1, spectators: 0 },
    { players: 8, spectators: 0 },
    { players: 8, spectators: 64 },
  ]) {
    const r = await runScenario(scenario, windowMs);
    results.push(r);
    console.log(
      `${r.players} players + ${r.spectators} spectators: server ${r.serverCpuPercent}% of a core, ` +
        `${r.serverFps} frames/s; lowest player ${r.playerMinFps} frames/s, ` +
        `lowest spectator ${r.spectatorMinFps} frames/s, ${r.spectatorsLost} spectators lost`,
    );
  }
  const [one, eight, watched] = results;
  const perPlayer = (eight.serverCpuPercent - one.serverCpuPercent) / 7;
  const perSpectator = (watched.serverCpuPercent - eight.serverCpuPercent) / 64;
  console.log(
    `per player: ${perPlayer.toFixed(3)}% of a core; per spectator: ${perSpectator.toFixed(3)}% of a core`,
  );
  console.log(JSON.stringify({ results, perPlayer, perSpectator }, null, 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

void main();
