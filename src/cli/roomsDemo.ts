/**
 * `game-network demo --rooms N`: one server in rooms mode and N rooms of bots playing at once,
 * on 127.0.0.1, every datagram through the link conditioner. The bots of each room ask
 * join-or-create for mode `demo` and a room of `--players` slots; a line per room gives its
 * bots' and its referee's final checksums, and the verdict says whether every room agreed.
 */
import { createServer, type DesyncEvent, type GameServer, type Room } from '../node.js';
import type { DemoOptions } from './args.js';
import type { Bot } from './bot.js';
import {
  DEMO_MODE,
  DemoRun,
  disagreeProblem,
  linkText,
  roomCountProblem,
  roomsDesyncLine,
  type DemoRunOptions,
} from './demoRun.js';
import { formatChecksum, formatPercent, plural, type CliIO } from './format.js';
import { Referee } from './referee.js';

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
  const demo = new DemoRun(options, io, run);
  const { out, status, bots } = demo;
  const { players, ticks, tickRate } = options;
  out.write(
    `game-network demo: ${plural(rooms, 'room')} of ${plural(players, 'bot')}, ${ticks} ticks at ` +
      `${tickRate} Hz, ${formatPercent(options.loss)} loss and ${linkText(options)} each way, seed ${options.seed}\n`,
  );

  let server: GameServer | undefined;
  const made: DemoRoom[] = [];
  const warn = (line: string): void => demo.warn(line);

  try {
    server = await createServer({
      ...demo.serverOptions(),
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
    const port = server.address.tcpPort;
    for (let r = 0; r < rooms; r++)
      await Promise.all(Array.from({ length: players }, (_, p) => demo.joinRoomBot(port, r, p)));
    const { tcpPort, udpPort } = server.address;
    status.log(
      `server on 127.0.0.1 (tcp ${tcpPort}, udp ${udpPort}), rooms mode; ` +
        `${plural(bots.length, 'bot')} asked join-or-create for mode ${DEMO_MODE}, size ${players}: ` +
        `${plural(made.length, 'room')} made`,
    );

    // Live progress: the slowest bot's tick, frames per second per room.
    demo.start(() => made.reduce((sum, m) => sum + m.referee.frames, 0) / Math.max(1, made.length));
    await demo.untilEnd(15_000 + rooms * 1000);
  } catch (err) {
    demo.fail(err);
  } finally {
    await demo.close(async () => server?.close());
  }

  const elapsedMs = demo.end(
    (took) => `${plural(made.length, 'room')} ran ticks 0..${ticks - 1}, ${took} in all`,
  );
  const results = made.map((m) => roomResult(m, bots, players));
  for (const [i, r] of results.entries()) out.write(`${roomLine(made[i].number, r)}\n`);

  const exitCode = demo.verdict(
    [roomCountProblem(made.length, rooms), disagreeProblem(results)],
    roomsDesyncLine(results),
    `OK: all ${plural(results.length, 'room')} agree: in each, its ${plural(players, 'bot')} ` +
      `and the referee have the same checksum after tick ${ticks - 1}; no desync`,
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
