/**
 * `game-network demo --rooms N`: one server in rooms mode and N rooms of bots playing at once,
 * on 127.0.0.1, every datagram through the link conditioner. The bots of each room ask
 * join-or-create for mode `demo` and a room of `--players` slots; a line per room gives its
 * bots' and its referee's final checksums, and the verdict says whether every room agreed.
 */
import { createServer, type DesyncEvent, type GameServer, type Room } from '../node.js';
import type { DemoOptions } from './args.js';
import { Bot, conditionerFor } from './bot.js';
import type { DemoRunOptions } from './demo.js';
import {
  RateMeter,
  StatusLine,
  formatChecksum,
  formatPercent,
  formatProgress,
  formatSeconds,
  meanOf,
  plural,
  type CliIO,
} from './format.js';
import { Referee } from './referee.js';
import { mixSeed } from './simulation.js';

/** The mode the demo's bots ask join-or-create for. */
export const DEMO_MODE = 'demo';

/** How one room of a rooms demo ended. */
export interface DemoRoomResult {
  /** The room's id (join-or-create gives it). */
  readonly roomId: string;
  /** Its bots' final checksums (undefined if one did not finish), in slot order. */
  readonly checksums: readonly { readonly name: string; readonly checksum: number | undefined }[];
  /** The checksum of the world the room's own frames give (the referee). */
  readonly refereeChecksum: number | undefined;
  /** The desync the room reported, if any. */
  readonly desync: DesyncEvent | undefined;
  /** Whether it had all its bots and they all agree with the referee. */
  readonly agree: boolean;
}

/** How a rooms demo ended. */
export interface RoomsDemoResult {
  /** 0: every room full, every bot finished, every room's checksums equal, no desync. 1: anything else. 130: interrupted. */
  readonly exitCode: number;
  /** Every room, in the order they were made. */
  readonly rooms: readonly DemoRoomResult[];
  /** How long the whole run took, in ms. */
  readonly elapsedMs: number;
}

/** Most warnings printed; the rest are only counted. */
const MAX_WARNINGS_SHOWN = 10;

/** A room as the demo follows it. */
interface DemoRoom {
  readonly room: Room;
  /** 1 for the first room made. */
  readonly number: number;
  readonly referee: Referee;
  desync: DesyncEvent | undefined;
}

/**
 * Runs `rooms` rooms of `options.players` bots to the end of their games and reports how each
 * went. Never exits the process; every socket is closed when it resolves.
 */
export async function runRoomsDemo(
  options: DemoOptions,
  rooms: number,
  io: CliIO,
  run: DemoRunOptions = {},
): Promise<RoomsDemoResult> {
  const out = io.stdout;
  const status = new StatusLine(out);
  const started = performance.now();
  const { players, ticks, tickRate } = options;
  const jitter =
    options.delayMs > 0
      ? `${options.delayMs}-${options.delayMs + options.jitterMs} ms delay`
      : `0-${options.jitterMs} ms jitter`;
  out.write(
    `game-network demo: ${plural(rooms, 'room')} of ${plural(players, 'bot')}, ${ticks} ticks at ` +
      `${tickRate} Hz, ${formatPercent(options.loss)} loss and ${jitter} each way, seed ${options.seed}\n`,
  );

  let server: GameServer | undefined;
  const bots: Bot[] = [];
  const made: DemoRoom[] = [];
  let warnings = 0;
  const warn = (line: string): void => {
    warnings++;
    if (warnings <= MAX_WARNINGS_SHOWN) status.log(line);
    if (warnings === MAX_WARNINGS_SHOWN) status.log('(further warnings are only counted)');
  };
  let failure: string | undefined;
  let interrupted = false;
  let progressTimer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;

  try {
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      tickRate,
      inputSize: 2,
      maxPlayers: players,
      conditioner: conditionerFor(options, mixSeed(options.seed, 0)),
      // Every bot comes from 127.0.0.1: one room's bots join at once.
      maxPendingJoinsPerAddress: Math.max(16, 2 * players),
      rooms: { maxRooms: rooms, maxRoomsPerAddress: rooms },
    });
    server.events$.subscribe((e) => {
      if (e.type === 'warning') warn(`warning ${e.code}: ${e.message}`);
    });
    server.rooms$.subscribe((e) => {
      if (e.type !== 'create') return;
      const demoRoom: DemoRoom = {
        room: e.room,
        number: made.length + 1,
        referee: new Referee(players, ticks),
        desync: undefined,
      };
      made.push(demoRoom);
      followRoom(demoRoom, { log: (line) => status.log(line), warn });
    });

    // One room at a time, its bots at once: every room before it is full, so they fill a new
    // one, the next made. Every bot joins before any plays: each room's game is its ticks 0..end.
    for (let r = 0; r < rooms; r++) {
      const joined = await Promise.all(
        Array.from({ length: players }, (_, p) =>
          Bot.join(
            {
              host: '127.0.0.1',
              port: server!.address.tcpPort,
              username: `bot-${r + 1}-${p + 1}`,
              match: { mode: DEMO_MODE, size: players },
              conditioner: conditionerFor(options, mixSeed(options.seed, 1 + r * players + p)),
              inputDelay: options.inputDelay,
            },
            // Each room its own seed: a game of its own.
            { ticks, minPlayers: players, seed: mixSeed(options.seed, 1 + r) },
          ),
        ),
      );
      bots.push(...joined);
      for (const bot of joined)
        bot.warnings$.subscribe((w) =>
          warn(`warning (${bot.client.username}) ${w.code}: ${w.message}`),
        );
    }
    const { tcpPort, udpPort } = server.address;
    status.log(
      `server on 127.0.0.1 (tcp ${tcpPort}, udp ${udpPort}), rooms mode; ` +
        `${plural(bots.length, 'bot')} asked join-or-create for mode ${DEMO_MODE}, size ${players}: ` +
        `${plural(made.length, 'room')} made`,
    );

    // Live progress: the slowest bot's tick, frames per second per room.
    const fps = new RateMeter();
    const endTick = ticks - 1;
    const render = (): void => {
      const stats = bots.map((b) => b.client.getStats());
      const frames = made.reduce((sum, m) => sum + m.referee.frames, 0);
      status.update(
        formatProgress({
          tick: Math.min(...bots.map((b) => (b.finished ? endTick : b.client.lastFrameTick))),
          endTick,
          fps: fps.sample(frames / Math.max(1, made.length)),
          rttMs: meanOf(stats.map((s) => s.rttMs)),
          lossIn: meanOf(stats.map((s) => s.lossIn)),
          lossOut: meanOf(stats.map((s) => s.lossOut)),
          bytesPerSec: stats.reduce((sum, s) => sum + s.bytesInPerSec + s.bytesOutPerSec, 0),
        }),
      );
    };
    progressTimer = setInterval(render, run.refreshMs ?? 250);

    for (const bot of bots) bot.start();
    const timeoutMs = run.timeoutMs ?? (ticks / tickRate) * 3000 + 15_000 + rooms * 1000;
    const stopped = new Promise<string>((resolve) => {
      deadline = setTimeout(() => resolve('timeout'), timeoutMs);
      onAbort = () => resolve('abort');
      if (run.signal?.aborted) resolve('abort');
      run.signal?.addEventListener('abort', onAbort);
    });
    const ended = await Promise.race([
      Promise.all(bots.map((b) => b.result)).then(() => 'done'),
      stopped,
    ]);
    if (ended === 'timeout') failure = `timed out after ${formatSeconds(timeoutMs)}`;
    if (ended === 'abort') {
      interrupted = true;
      failure = 'interrupted';
    }
    render();
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    clearInterval(progressTimer);
    clearTimeout(deadline);
    if (onAbort) run.signal?.removeEventListener('abort', onAbort);
    status.clear();
    // The server first: it says goodbye to every bot (see demo.ts).
    await server?.close();
    await Promise.all(bots.map((b) => b.close()));
  }

  const elapsedMs = performance.now() - started;
  for (const b of bots) {
    const o = b.finished;
    if (o?.kind === 'disconnected' && !failure)
      failure = `${b.client.username} was disconnected: ${o.event.reason}: ${o.event.message}`;
  }
  out.write(
    failure
      ? `\nstopped after ${formatSeconds(elapsedMs)}\n\n`
      : `\n${plural(made.length, 'room')} ran ticks 0..${ticks - 1}, ${formatSeconds(elapsedMs)} in all\n\n`,
  );

  const results = made.map((m) => roomResult(m, bots, players));
  for (const [i, r] of results.entries()) out.write(`${roomLine(made[i].number, r)}\n`);

  let exitCode = 0;
  const disagree = results.filter((r) => !r.agree);
  if (failure) {
    out.write(`FAILED: ${failure}\n`);
    exitCode = interrupted ? 130 : 1;
  } else if (made.length !== rooms) {
    out.write(`FAILED: ${plural(made.length, 'room')} made, ${rooms} wanted\n`);
    exitCode = 1;
  } else if (disagree.length > 0) {
    out.write(
      `FAILED: the checksums differ in ${plural(disagree.length, 'room')}: ` +
        `${disagree.map((r) => r.roomId).join(', ')}\n`,
    );
    exitCode = 1;
  }
  const desynced = results.filter((r) => r.desync);
  if (desynced.length > 0) {
    out.write(
      `DESYNC reported in ${desynced.map((r) => `${r.roomId} at tick ${r.desync!.tick}`).join(', ')}\n`,
    );
    if (exitCode === 0) exitCode = 1;
  }
  if (exitCode === 0)
    out.write(
      `OK: all ${plural(results.length, 'room')} agree: in each, its ${plural(players, 'bot')} ` +
        `and the referee have the same checksum after tick ${ticks - 1}; no desync` +
        (warnings > 0 ? ` (${warnings} warnings)` : '') +
        '\n',
    );
  return { exitCode, rooms: results, elapsedMs };
}

/** Feeds a room's frames to its referee and logs its desyncs, drops and warnings. */
function followRoom(
  m: DemoRoom,
  out: { readonly log: (line: string) => void; readonly warn: (line: string) => void },
): void {
  const { room, referee } = m;
  const tag = `[${room.id}]`;
  out.log(
    `room ${m.number}: ${room.id} made (mode ${room.mode}, ${plural(room.maxPlayers, 'slot')})`,
  );
  room.frames$.subscribe((frame) => referee.step(frame));
  room.events$.subscribe((e) => {
    if (e.type === 'desync') {
      m.desync ??= e;
      const sums = e.checksums
        .map((c) => `player ${c.playerId} ${formatChecksum(c.checksum)}`)
        .join(', ');
      const ref = referee.checksumAt(e.tick);
      out.log(
        `${tag} DESYNC at tick ${e.tick}: ${sums}${ref === undefined ? '' : `; referee ${formatChecksum(ref)}`}`,
      );
    } else if (e.type === 'drop') {
      out.log(`${tag} drop ${e.username} (player ${e.playerId}): ${e.reason}: ${e.message}`);
    } else if (e.type === 'away') {
      out.log(`${tag} ${e.username} (player ${e.playerId}) is away from tick ${e.tick}`);
    } else if (e.type === 'back') {
      out.log(`${tag} ${e.username} (player ${e.playerId}) is back at tick ${e.tick}`);
    } else if (e.type === 'warning') {
      out.warn(`${tag} warning ${e.code}: ${e.message}`);
    }
  });
}

/** A room's bots (in slot order), their final checksums, and whether they agree with its referee. */
function roomResult(m: DemoRoom, bots: readonly Bot[], players: number): DemoRoomResult {
  const mine = bots
    .filter((b) => b.client.room === m.room.id)
    .sort((a, b) => a.client.playerId - b.client.playerId);
  const checksums = mine.map((b) => {
    const o = b.finished;
    return { name: b.client.username, checksum: o?.kind === 'finished' ? o.checksum : undefined };
  });
  const refereeChecksum = m.referee.finalChecksum;
  const agree =
    mine.length === players &&
    refereeChecksum !== undefined &&
    checksums.every((c) => c.checksum === refereeChecksum);
  return { roomId: m.room.id, checksums, refereeChecksum, desync: m.desync, agree };
}

/**
 * `room 3 r-1a2b3c: bot-3-1 0x0a1b2c3d, bot-3-2 0x0a1b2c3d, ...; referee 0x0a1b2c3d: agree`.
 */
export function roomLine(number: number, r: DemoRoomResult): string {
  const sums = r.checksums.map((c) => `${c.name} ${formatChecksum(c.checksum)}`).join(', ');
  return (
    `room ${number} ${r.roomId}: ${sums || 'no bots'}; referee ${formatChecksum(r.refereeChecksum)}: ` +
    (r.agree ? 'agree' : 'DIFFER')
  );
}
