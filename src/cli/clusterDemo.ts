/**
 * `game-network demo --cluster N`: a cluster on this machine. It starts Debian's
 * `redis-server` (a free 127.0.0.1 port, no persistence), N `game-network server --redis`
 * child processes, and rooms of bots that each ask join-or-create (mode `demo`, `--players`
 * slots) through a random process: a room held by another process is reached through a
 * redirect, which the client follows by itself. It prints which process holds which room and
 * each room's final checksums, then stops everything; exit 0 when every room agrees.
 */
import type { DesyncEvent } from '../node.js';
import type { DemoOptions } from './args.js';
import type { Bot } from './bot.js';
import {
  DemoRun,
  disagreeProblem,
  linkText,
  roomCountProblem,
  roomsDesyncLine,
  type DemoRunOptions,
} from './demoRun.js';
import { formatChecksum, formatPercent, plural, type CliIO } from './format.js';
import { RedisProcess } from './redisProcess.js';
import { ServerProcess, selfCommand } from './serverProcess.js';
import { mixSeed } from './simulation.js';

/** Extra knobs of a cluster demo, for tests. */
export interface ClusterDemoRunOptions extends DemoRunOptions {
  /** How to run `game-network` for the server processes. Default: this process's own command line. */
  readonly command?: readonly string[];
}

/** How one room of a cluster demo ended. */
export interface ClusterRoomResult {
  /** The room's id (join-or-create gives it). */
  readonly roomId: string;
  /** The number (1..N) of the process whose log says it made the room, if one does. */
  readonly process: number | undefined;
  /** Its bots' final checksums (undefined if one did not finish), in slot order, with the process each asked. */
  readonly bots: readonly {
    readonly name: string;
    readonly askedProcess: number;
    readonly checksum: number | undefined;
  }[];
  /** The first desync one of its bots was told of, if any. */
  readonly desync: DesyncEvent | undefined;
  /** Whether it had all its bots, all finished with the same checksum, and no desync. */
  readonly agree: boolean;
}

/** How a cluster demo ended. */
export interface ClusterDemoResult {
  /** 0: every room full on one process and agreeing. 1: anything else. 130: interrupted. */
  readonly exitCode: number;
  /** Every room, in the order its bots asked. */
  readonly rooms: readonly ClusterRoomResult[];
  /** How long the whole run took, in ms. */
  readonly elapsedMs: number;
}

/** How long the demo waits for a room's `made` line in its process's log. */
const ROOM_LINE_TIMEOUT_MS = 5_000;
/** The server log lines passed on as warnings (the rest are joins and leaves). */
const NOTEWORTHY = / (warning|desync|drop|away) /;

/** A room's bots as they joined, with the process (1..N) each asked. */
interface JoinedRoom {
  readonly roomId: string;
  readonly bots: readonly { readonly bot: Bot; readonly askedProcess: number }[];
}

/** The server flags of process `i` (0-based) of a cluster demo. */
function serverArgs(options: DemoOptions, redisUrl: string, i: number): string[] {
  return [
    ...['--host', '127.0.0.1', '--port', '0', '--redis', redisUrl, '--rooms'],
    ...['--max-players', String(options.players), '--tick-rate', String(options.tickRate)],
    ...['--input-size', '2', '--loss', String(options.loss)],
    ...['--jitter', String(options.jitterMs), '--delay', String(options.delayMs)],
    ...['--seed', String(mixSeed(options.seed, 5000 + i))],
  ];
}

/**
 * Runs the cluster demo: `processes` server processes, `options.rooms` rooms (default 4) of
 * `options.players` bots. Never exits the process; Redis and every server process are
 * stopped when it resolves.
 */
export async function runClusterDemo(
  options: DemoOptions,
  processes: number,
  io: CliIO,
  run: ClusterDemoRunOptions = {},
): Promise<ClusterDemoResult> {
  const demo = new DemoRun(options, io, run);
  const { out, status, stopper, bots: allBots } = demo;
  const { players, ticks, tickRate } = options;
  const rooms = options.rooms ?? 4;
  out.write(
    `game-network demo: a cluster of ${countProcesses(processes, 'server process')} on one Redis, ` +
      `${plural(rooms, 'room')} of ${plural(players, 'bot')}, ${ticks} ticks at ${tickRate} Hz, ` +
      `${formatPercent(options.loss)} loss and ${linkText(options)} each way, seed ${options.seed}\n`,
  );

  let redis: RedisProcess | undefined;
  const servers: ServerProcess[] = [];
  const joined: JoinedRoom[] = [];
  let closing = false;
  // What is under way when the demo stops: waited for before the rest is closed, so nothing
  // it starts is left running (each is bounded: a start by its timeout, a join by the
  // servers stopping).
  const starts: Promise<unknown>[] = [];
  const joins: Promise<unknown>[] = [];
  const track = <T>(list: Promise<unknown>[], p: Promise<T>): Promise<T> => {
    list.push(p.catch(() => undefined));
    return p;
  };

  try {
    const redisUp = await stopper.race(
      track(
        starts,
        RedisProcess.start().then((r) => (redis = r)),
      ),
    );
    status.log(`redis-server on 127.0.0.1:${redisUp.port} (no persistence)`);

    const command = run.command ?? selfCommand();
    const redisUrl = redisUp.url;
    const startServer = async (i: number): Promise<ServerProcess> => {
      const server = await ServerProcess.start(
        command,
        i + 1,
        serverArgs(options, redisUrl, i),
        (line) => {
          if (NOTEWORTHY.test(line)) demo.warn(`process ${i + 1}: ${line}`);
        },
      );
      servers.push(server);
      void server.closed.then((code) => {
        // A Ctrl-C in a terminal reaches the server processes too: they close on their own.
        if (closing || run.signal?.aborted) return;
        demo.failure ??= `server process ${server.number} exited (${code}) during the demo${tail(server.stderr)}`;
        stopper.fire('exit');
      });
      return server;
    };
    const starting = Array.from({ length: processes }, (_, i) => track(starts, startServer(i)));
    const settled = await stopper.race(Promise.allSettled(starting));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    servers.sort((a, b) => a.number - b.number);
    for (const s of servers)
      status.log(`process ${s.number}: ${s.processId}, tcp 127.0.0.1:${s.tcpPort}`);

    /** Bot `p` of room `r` (0-based), asking process `k` (1-based). */
    const joinBot = async (
      r: number,
      k: number,
      p: number,
    ): Promise<JoinedRoom['bots'][number]> => ({
      bot: await demo.joinRoomBot(servers[k - 1].tcpPort, r, p),
      askedProcess: k,
    });

    // One room at a time, its bots at once, each through a random process: every room before
    // it is full, so they fill a new one. Every bot joins before any plays.
    for (let r = 0; r < rooms; r++) {
      const asked = Array.from(
        { length: players },
        (_, p) => 1 + (mixSeed(options.seed, 9000 + r * players + p) % processes),
      );
      const bots = await stopper.race(
        Promise.all(asked.map((k, p) => track(joins, joinBot(r, k, p)))),
      );
      const ids = [...new Set(bots.map((b) => b.bot.client.room ?? '(none)'))];
      if (ids.length !== 1)
        throw new Error(
          `the bots of room ${r + 1} were put in ${ids.length} rooms: ${ids.join(', ')}`,
        );
      joined.push({ roomId: ids[0], bots });
      const owner = await stopper.race(ownerOf(servers, ids[0]));
      const redirected = owner ? asked.filter((k) => k !== owner.number).length : 0;
      status.log(
        `room ${r + 1}: ${ids[0]} on ${owner ? `process ${owner.number}` : 'no process (no log line)'}; ` +
          `its bots asked processes ${asked.join(', ')} (${plural(redirected, 'redirect')})`,
      );
    }

    demo.start(
      () => allBots.reduce((sum, b) => sum + b.framesConfirmed, 0) / Math.max(1, allBots.length),
    );
    await demo.untilEnd(20_000 + rooms * 1000, { timedOut: 'timed out', drawWhenStopped: false });
  } catch (err) {
    demo.fail(err);
  } finally {
    closing = true;
    // The servers first (see DemoRun.close), and they leave the directory.
    await demo.close(async () => {
      await Promise.all(starts);
      await Promise.all(servers.map((s) => s.stop()));
      await Promise.all(joins);
    });
    await redis?.stop();
  }

  const elapsedMs = demo.end(
    (took) =>
      `${plural(joined.length, 'room')} ran ticks 0..${ticks - 1} on ${countProcesses(processes, 'process')}, ` +
      `${took} in all (Redis and the server processes stopped)`,
  );

  servers.sort((a, b) => a.number - b.number);
  const results = joined.map((j) => roomResult(j, servers, players));
  for (const [i, r] of results.entries()) out.write(`${clusterRoomLine(i + 1, r)}\n`);
  for (const s of servers) {
    const held = results.filter((r) => r.process === s.number).map((r) => r.roomId);
    out.write(
      `process ${s.number} ${s.processId} (tcp 127.0.0.1:${s.tcpPort}): ` +
        `${held.length === 0 ? 'no rooms' : `${plural(held.length, 'room')}: ${held.join(', ')}`}\n`,
    );
  }

  const unplaced = results.filter((r) => r.process === undefined);
  const twice = results.filter((r) => servers.filter((s) => s.rooms.includes(r.roomId)).length > 1);
  const used = new Set(results.map((r) => r.process)).size;
  const exitCode = demo.verdict(
    [
      roomCountProblem(results.length, rooms),
      unplaced.length > 0 || twice.length > 0
        ? `not each room on one process: ${[...unplaced, ...twice].map((r) => r.roomId).join(', ')}`
        : undefined,
      disagreeProblem(results),
    ],
    roomsDesyncLine(results),
    `OK: all ${plural(results.length, 'room')} agree: in each, its ${plural(players, 'bot')} have ` +
      `the same checksum after tick ${ticks - 1}; each room on one process, ` +
      `${used} of ${countProcesses(processes, 'process')} holding rooms; no desync`,
  );
  return { exitCode, rooms: results, elapsedMs };
}

/** The server process whose log says it made `roomId` (waiting a little for the line). */
async function ownerOf(
  servers: readonly ServerProcess[],
  roomId: string,
): Promise<ServerProcess | undefined> {
  const find = (): ServerProcess | undefined => servers.find((s) => s.rooms.includes(roomId));
  const until = performance.now() + ROOM_LINE_TIMEOUT_MS;
  while (find() === undefined && performance.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return find();
}

/** A room's bots in slot order, their final checksums, and whether they agree. */
function roomResult(
  room: JoinedRoom,
  servers: readonly ServerProcess[],
  players: number,
): ClusterRoomResult {
  const bots = [...room.bots]
    .sort((a, b) => a.bot.client.playerId - b.bot.client.playerId)
    .map(({ bot, askedProcess }) => {
      const o = bot.finished;
      return {
        name: bot.client.username,
        askedProcess,
        checksum: o?.kind === 'finished' ? o.checksum : undefined,
      };
    });
  const desync = room.bots.find((b) => b.bot.desync)?.bot.desync;
  const first = bots[0]?.checksum;
  const agree =
    bots.length === players &&
    first !== undefined &&
    bots.every((b) => b.checksum === first) &&
    desync === undefined;
  const process = servers.find((s) => s.rooms.includes(room.roomId))?.number;
  return { roomId: room.roomId, process, bots, desync, agree };
}

/** `room 2 r-1a2b on process 3: bot-2-1 0x0a1b2c3d, bot-2-2 0x0a1b2c3d, ...: agree`. */
export function clusterRoomLine(number: number, r: ClusterRoomResult): string {
  const sums = r.bots.map((b) => `${b.name} ${formatChecksum(b.checksum)}`).join(', ');
  const where = r.process === undefined ? 'no process' : `process ${r.process}`;
  return `room ${number} ${r.roomId} on ${where}: ${sums || 'no bots'}: ${r.agree ? 'agree' : 'DIFFER'}`;
}

/** The end of a process's stderr, to quote after a colon (or nothing). */
function tail(stderr: string): string {
  const lines = stderr.trim().split('\n').slice(-5).join('\n');
  return lines === '' ? '' : `:\n${lines}`;
}

/** `1 process`, `3 processes` (`noun` ends in "process"). */
function countProcesses(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 'es'}`;
}
