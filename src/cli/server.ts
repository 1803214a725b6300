/**
 * `game-network server`: a lockstep server until Ctrl-C, logging joins, leaves, chat,
 * warnings, drops and desyncs, one line each.
 */
import { createServer, type GameServer } from '../node.js';
import type { ServerCommandOptions } from './args.js';
import { conditionerFor } from './bot.js';
import { formatChecksum, plural, timestamp, type CliIO } from './format.js';
import { mixSeed } from './simulation.js';

/** `host:port`, with brackets around an IPv6 address. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Lets through at most `perWindow` lines per `windowMs`, and counts the rest. */
class LogLimiter {
  private windowStart = -Infinity;
  private inWindow = 0;
  suppressed = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  allow(): boolean {
    const now = performance.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perWindow) {
      this.suppressed++;
      return false;
    }
    this.inWindow++;
    return true;
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
  const { password } = options;
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
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`game-network server: ${message}\n`);
    return 1;
  }

  const { host, tcpPort, udpPort } = server.address;
  io.stdout.write(
    `listening tcp ${formatEndpoint(host, tcpPort)} udp ${formatEndpoint(host, udpPort)} ` +
      `(${server.tickRate} Hz, up to ${plural(server.maxPlayers, 'player')}, ${server.inputSize}-byte inputs` +
      `${password === undefined ? '' : ', password required'}); Ctrl-C to stop\n`,
  );

  // A player may chat as soon as the server accepts it, before the frame of its join is
  // confirmed: its chat lines wait for its join line, so the log reads in order.
  const joined = new Set<string>();
  const heldChat = new Map<string, string[]>();
  const chatLine = (from: string, text: string): string => `chat ${from}: ${text}`;
  const flushChat = (from: string): void => {
    for (const text of heldChat.get(from) ?? []) log(chatLine(from, text));
    heldChat.delete(from);
  };
  // Why the server dropped a player, for its leave line (the drop event comes first).
  const dropMessages = new Map<number, string>();
  server.players$.subscribe((e) => {
    const who = `${e.player.username} (player ${e.player.playerId})`;
    if (e.type === 'join') {
      log(`join ${who} at tick ${e.tick}`);
      joined.add(e.player.username);
      flushChat(e.player.username);
      return;
    }
    const why = dropMessages.get(e.player.playerId);
    dropMessages.delete(e.player.playerId);
    log(`leave ${who} at tick ${e.tick}: ${e.reason}${why === undefined ? '' : ` (${why})`}`);
    joined.delete(e.player.username);
  });
  server.chat$.subscribe((c) => {
    if (joined.has(c.from)) log(chatLine(c.from, c.text));
    else heldChat.set(c.from, [...(heldChat.get(c.from) ?? []), c.text]);
  });
  const warnings = new LogLimiter(10, 1000);
  server.events$.subscribe((e) => {
    switch (e.type) {
      case 'warning': {
        if (!warnings.allow()) return;
        const from =
          e.address !== undefined
            ? ` (from ${e.port === undefined ? e.address : formatEndpoint(e.address, e.port)})`
            : e.playerId !== undefined
              ? ` (player ${e.playerId})`
              : '';
        const skipped = warnings.suppressed > 0 ? ` [${warnings.suppressed} more not shown]` : '';
        warnings.suppressed = 0;
        log(`warning ${e.code}: ${e.message}${from}${skipped}`);
        return;
      }
      case 'drop':
        dropMessages.set(e.playerId, e.message);
        log(`drop ${e.username} (player ${e.playerId}): ${e.reason}: ${e.message}`);
        return;
      case 'desync':
        log(
          `desync at tick ${e.tick}: ` +
            e.checksums.map((c) => `player ${c.playerId} ${formatChecksum(c.checksum)}`).join(', '),
        );
        return;
      case 'away':
        log(`away ${e.username} (player ${e.playerId}) at tick ${e.tick}: ${e.message}`);
        return;
      case 'back':
        log(`back ${e.username} (player ${e.playerId}) at tick ${e.tick}`);
        return;
      case 'snapshot':
        log(`snapshot from player ${e.playerId} for tick ${e.tick}: ${e.data.length} bytes`);
        return;
    }
  });

  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  log('closing');
  for (const from of [...heldChat.keys()]) flushChat(from);
  await server.close();
  log('closed');
  return 0;
}
