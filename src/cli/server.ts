/**
 * `game-network server`: a lockstep server until Ctrl-C, logging joins, leaves, chat,
 * warnings, drops and desyncs, one line each; with `--rooms`, many rooms (made at start or by
 * join-or-create), each room's lines after its id, and a line when a room is made or ends;
 * with `--redis`, one process of a cluster: its rooms listed in Redis with the other
 * processes', its id logged (a join it sends to another process's room is not: the client
 * follows the redirect by itself).
 */
import { createServer, redisDirectory, type GameServer, type Room } from '../node.js';
import type { ServerCommandOptions } from './args.js';
import { conditionerFor } from './bot.js';
import { formatEndpoint, formatSeconds, plural, timestamp, type CliIO } from './format.js';
import { LogLimiter, logMatch, type MatchLog } from './matchLog.js';
import { mixSeed } from './simulation.js';

export { formatEndpoint } from './format.js';

/** A room's line when it is made: `room room-1 made: mode default, 8 slots`. */
function roomMade(room: Room): string {
  return `room ${room.id} made: mode ${room.mode}, ${plural(room.maxPlayers, 'slot')}`;
}

/** A Redis URL without its user name and password, to print. */
export function withoutCredentials(redis: string): string {
  try {
    const url = new URL(redis);
    if (url.username === '' && url.password === '') return redis;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return redis;
  }
}

/** How long the server waits for Redis to answer at start, in ms. */
const REDIS_PROBE_MS = 3_000;

/**
 * Asks Redis once (the cluster's process list) before the server starts, so a wrong
 * `--redis` fails at once instead of warning forever: undefined if it answered, else why not.
 * (Once running, the server rides out Redis going away: only matchmaking waits for it.)
 */
async function redisProblem(redis: string): Promise<string | undefined> {
  const probe = redisDirectory({ redis, commandTimeoutMs: REDIS_PROBE_MS });
  probe.warnings$.subscribe(() => undefined); // the answer (or its absence) says it all
  try {
    await probe.processes();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await probe.close();
  }
}

/**
 * Runs a server until `signal` aborts, then closes it.
 * @returns The exit code: 0 once closed, 1 if it could not start.
 */
export async function runServerCommand(
  options: ServerCommandOptions,
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const log = (line: string): void => io.stdout.write(`${timestamp()} ${line}\n`);
  const { password, rooms, cluster } = options;
  if (cluster !== undefined) {
    const unreachable = await redisProblem(cluster.redis);
    if (unreachable !== undefined) {
      io.stderr.write(
        `game-network server: cannot reach Redis at ${withoutCredentials(cluster.redis)} ` +
          `(--redis): ${unreachable}\n`,
      );
      return 1;
    }
  }
  let server: GameServer;
  try {
    server = await createServer({
      host: options.host,
      port: options.port,
      udpPort: options.udpPort,
      tickRate: options.tickRate,
      maxPlayers: options.maxPlayers,
      inputSize: options.inputSize,
      ...(password === undefined ? {} : { authenticate: (c) => c.password === password }),
      conditioner: conditionerFor(options, mixSeed(options.seed, 0)),
      ...(rooms === undefined
        ? {}
        : {
            rooms: {
              emptyTimeoutMs: rooms.emptyTimeoutMs,
              // A join-or-create room has at most --max-players slots.
              onCreateRoom: (ask) => (ask.size > options.maxPlayers ? false : undefined),
            },
          }),
      ...(cluster === undefined
        ? {}
        : {
            cluster: {
              redis: cluster.redis,
              ...(cluster.publicHost === undefined ? {} : { publicAddress: cluster.publicHost }),
              ...(cluster.processTtlMs === undefined ? {} : { processTtlMs: cluster.processTtlMs }),
            },
          }),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`game-network server: ${message}\n`);
    return 1;
  }

  const warnings = new LogLimiter(10, 1000);
  // The server's own match, or (with --rooms) the server's warnings and each room's match.
  const logs = new Map<string, MatchLog>();
  logs.set('', logMatch(server, log, warnings));
  if (rooms !== undefined) {
    server.rooms$.subscribe((e) => {
      if (e.type === 'create') {
        log(roomMade(e.room));
        logs.set(e.room.id, logMatch(e.room, log, warnings, `[${e.room.id}] `));
        return;
      }
      logs.get(e.room.id)?.flush();
      logs.delete(e.room.id);
      log(`room ${e.room.id} ended: ${e.reason}`);
    });
    try {
      for (let i = 1; i <= rooms.create; i++)
        await server.createRoom({ id: `room-${i}`, mode: rooms.mode });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      io.stderr.write(`game-network server: ${message}\n`);
      await server.close();
      return 1;
    }
  }

  const { host, tcpPort, udpPort } = server.address;
  const roomsLine =
    rooms === undefined
      ? ''
      : `; rooms mode: ${plural(rooms.create, 'room')} made` +
        (rooms.create === 0
          ? ''
          : ` (${rooms.create === 1 ? 'room-1' : `room-1 to room-${rooms.create}`}, mode ${rooms.mode})`) +
        `, join-or-create on (a room it makes ends once empty for ${formatSeconds(rooms.emptyTimeoutMs)})`;
  // Before the listening line: once that is printed, this process's id is known.
  if (cluster !== undefined)
    io.stdout.write(
      `cluster process ${server.processId}: rooms listed in Redis at ${withoutCredentials(cluster.redis)} ` +
        `with the other processes'; players sent here at ${formatEndpoint(cluster.publicHost ?? host, tcpPort)} ` +
        '(a join for a room of another process is redirected there, and its client follows)\n',
    );
  io.stdout.write(
    `listening tcp ${formatEndpoint(host, tcpPort)} udp ${formatEndpoint(host, udpPort)} ` +
      `(${server.tickRate} Hz, up to ${plural(server.maxPlayers, 'player')}` +
      `${rooms === undefined ? '' : ' a room'}, ${server.inputSize}-byte inputs` +
      `${password === undefined ? '' : ', password required'})${roomsLine}; Ctrl-C to stop\n`,
  );

  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  log('closing');
  for (const matchLog of logs.values()) matchLog.flush();
  await server.close();
  log('closed');
  return 0;
}
