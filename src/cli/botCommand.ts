/**
 * `game-network bot`: one bot against a server. Progress while it plays, then its line of the
 * table and its final checksum; bots of the same game print the same checksum.
 */
import { GameNetworkError, JoinRefusedError, type RefuseReason } from '../index.js';
import type { BotCommandOptions } from './args.js';
import { Bot, conditionerFor } from './bot.js';
import {
  RateMeter,
  StatusLine,
  formatChecksum,
  formatEndpoint,
  formatPlayerTable,
  formatProgress,
  formatSeconds,
  plural,
  type CliIO,
} from './format.js';
import { fnv1a, mixSeed } from './simulation.js';

/** Extra knobs for tests. */
export interface BotRunOptions {
  /** How often the progress line is refreshed, in ms. Default 250 (plain lines: at most 1/s). */
  readonly refreshMs?: number;
}

/**
 * Why the server refused a bot, in words (the refusal reason in parentheses), with what to
 * change on the command line.
 */
export function describeRefusal(
  reason: RefuseReason,
  options: Pick<BotCommandOptions, 'name' | 'password'>,
): string {
  const words: Record<RefuseReason, string> = {
    'bad-credentials':
      options.password === ''
        ? 'the server wants a password and none was given: add --password'
        : 'the server refused the password given with --password',
    'server-full': 'the server is full: every player slot is taken',
    'duplicate-name': `a player named ${JSON.stringify(options.name)} is already in the match: pick another --name`,
    'version-mismatch': 'the server speaks another protocol version',
    'bad-request': 'the server could not read the join request',
    'server-closing': 'the server is shutting down',
    'try-later': 'this name or address timed out repeatedly: try again in a minute',
    'bad-token':
      'the server refused the reconnect token (used already, forged, or past the grace period)',
    'room-not-found': 'no room has that id (it never existed or has ended): see --list-rooms',
    'room-refused': 'the server would not create a room for this mode and size',
  };
  return `${words[reason]} (${reason})`;
}

/**
 * Joins, plays until the game's last tick (or the session ends, or `signal` aborts), leaves.
 * @returns The exit code: 0 if the game finished with no desync, 130 if interrupted, else 1.
 */
export async function runBotCommand(
  options: BotCommandOptions,
  io: CliIO,
  signal: AbortSignal,
  run: BotRunOptions = {},
): Promise<number> {
  const started = performance.now();
  const status = new StatusLine(io.stdout);
  const where = formatEndpoint(options.host, options.port);
  let bot: Bot;
  try {
    bot = await Bot.join(
      {
        host: options.host,
        port: options.port,
        username: options.name,
        password: options.password,
        inputDelay: options.inputDelay,
        ...(options.room === undefined ? {} : { room: options.room }),
        ...(options.match === undefined ? {} : { match: options.match }),
        conditioner: conditionerFor(
          options,
          mixSeed(options.seed, fnv1a(new TextEncoder().encode(options.name))),
        ),
      },
      { ticks: options.ticks, minPlayers: options.players, seed: options.seed },
    );
  } catch (err) {
    const message =
      err instanceof JoinRefusedError
        ? `join refused: ${describeRefusal(err.reason, options)}`
        : err instanceof GameNetworkError || err instanceof Error
          ? err.message
          : String(err);
    io.stderr.write(`game-network bot: cannot join ${where}: ${message}\n`);
    return 1;
  }
  const c = bot.client;
  const inRoom =
    c.room === undefined
      ? ''
      : options.match === undefined
        ? ` in room ${c.room}`
        : ` in room ${c.room} (join-or-create: mode ${options.match.mode}, size ${options.match.size})`;
  status.log(
    `joined ${where}${inRoom} as ${c.username}: player ${c.playerId} of up to ${c.maxPlayers}, ` +
      `from tick ${c.startTick}, ${c.tickRate} Hz, ${c.inputSize}-byte inputs`,
  );
  if (c.initialPlayers.length > 0)
    status.log(
      `already playing: ${c.initialPlayers.map((p) => `${p.username} (player ${p.playerId})`).join(', ')}`,
    );

  /** What the bot waits for before its game starts, or undefined once it is on. */
  const waitingFor = (): string | undefined => {
    if (bot.endTick !== undefined) return undefined;
    if (bot.framesConfirmed === 0) return 'waiting for the first frame';
    const inMatch = bot.sim.dots.filter((d) => d !== null).length;
    return (
      `waiting for ${plural(options.players, 'player')} to start the game ` +
      `(${inMatch} in the match; --players ${options.players})`
    );
  };

  // After the bot's own subscription: the frame is simulated by now.
  c.frames$.subscribe((f) => {
    for (const p of f.joined ?? [])
      if (p.playerId !== c.playerId)
        status.log(`join ${p.username} (player ${p.playerId}) at tick ${f.tick}`);
    for (const p of f.left ?? [])
      status.log(`leave ${p.username} (player ${p.playerId}) at tick ${f.tick}: ${p.reason}`);
    if (f.joined && f.joined.length > 0) {
      const players = bot.sim.roundPlayers;
      const waiting = waitingFor();
      if (waiting !== undefined) status.log(waiting);
      else
        status.log(
          `game on at tick ${f.tick} with ${plural(players, 'player')}: it ends after tick ${bot.endTick}`,
        );
    }
  });
  c.chat$.subscribe((m) => status.log(`chat ${m.from}: ${m.text}`));
  bot.warnings$.subscribe((w) => status.log(`warning ${w.code}: ${w.message}`));
  c.events$.subscribe((e) => {
    if (e.type === 'desync')
      status.log(
        `DESYNC at tick ${e.tick}: ` +
          e.checksums.map((s) => `player ${s.playerId} ${formatChecksum(s.checksum)}`).join(', '),
      );
  });
  if (options.chat !== undefined) c.sendChat(options.chat);

  const fps = new RateMeter();
  const render = (): void => {
    const st = c.getStats();
    status.update(
      formatProgress({
        tick: c.lastFrameTick,
        endTick: bot.endTick,
        waiting: waitingFor(),
        fps: fps.sample(bot.framesConfirmed),
        rttMs: st.rttMs,
        lossIn: st.lossIn,
        lossOut: st.lossOut,
        bytesPerSec: st.bytesInPerSec + st.bytesOutPerSec,
      }),
    );
  };
  const progressTimer = setInterval(render, run.refreshMs ?? 250);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'abort'>((resolve) => {
    onAbort = () => resolve('abort');
    if (signal.aborted) resolve('abort');
    signal.addEventListener('abort', onAbort, { once: true });
  });

  bot.start();
  const outcome = await Promise.race([bot.result, aborted]);
  clearInterval(progressTimer);
  if (onAbort) signal.removeEventListener('abort', onAbort);
  status.clear();
  await bot.close();

  const elapsed = formatSeconds(performance.now() - started);
  io.stdout.write(`\n${formatPlayerTable([bot.row()])}`);
  if (outcome === 'abort') {
    io.stdout.write(`interrupted after ${elapsed}\n`);
    return 130;
  }
  if (outcome.kind === 'disconnected') {
    io.stdout.write(
      `FAILED: disconnected before the end of the game (${outcome.event.reason}: ${outcome.event.message})\n`,
    );
    return 1;
  }
  io.stdout.write(
    `final checksum ${formatChecksum(outcome.checksum)} after tick ${outcome.tick}\n`,
  );
  if (bot.desync) {
    io.stdout.write(`FAILED: desync reported at tick ${bot.desync.tick}\n`);
    return 1;
  }
  io.stdout.write(`OK: the game ended after ${elapsed}; no desync\n`);
  return 0;
}
