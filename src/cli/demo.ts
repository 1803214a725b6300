/**
 * `game-network demo`: a server and several bots in one process, on 127.0.0.1, every datagram
 * through the link conditioner. Live progress, then a table per player, every bot's final
 * checksum, and an exit code that says whether the worlds agreed.
 */
import { createServer, nodeTransport, type DesyncEvent, type GameServer } from '../node.js';
import type { DemoOptions } from './args.js';
import { Bot, conditionerFor } from './bot.js';
import { dropoutTransport, type DropoutTransport } from './dropout.js';
import {
  RateMeter,
  StatusLine,
  formatChecksum,
  formatPercent,
  formatPlayerTable,
  formatProgress,
  formatSeconds,
  meanOf,
  plural,
  type CliIO,
} from './format.js';
import { Referee } from './referee.js';
import { mixSeed } from './simulation.js';

/** How a demo run ended. */
export interface DemoResult {
  /** 0: every bot finished, all checksums equal, no desync. 1: anything else. 130: interrupted. */
  readonly exitCode: number;
  /** The last tick of the game. */
  readonly endTick: number;
  /** Every bot's final checksum (undefined if it did not finish). */
  readonly checksums: readonly { readonly name: string; readonly checksum: number | undefined }[];
  /** The checksum of the world the server's own frames give (the referee). */
  readonly refereeChecksum: number | undefined;
  /** The desync the server reported, if any. */
  readonly desync: DesyncEvent | undefined;
  readonly elapsedMs: number;
}

/** Extra knobs for tests. */
export interface DemoRunOptions {
  /** Give up after this long. Default: three times the game's length plus 15 s. */
  readonly timeoutMs?: number;
  /** Aborting ends the demo early (exit code 130), closing everything. */
  readonly signal?: AbortSignal;
  /** How often the progress line is refreshed, in ms. Default 250 (plain lines: at most 1/s). */
  readonly refreshMs?: number;
}

/** Most warnings printed; the rest are only counted. */
const MAX_WARNINGS_SHOWN = 10;

/**
 * The players whose checksum at a desync tick differs: from the referee's (the server's own
 * simulation of the same frames) when it is known, else from the checksum most players gave.
 * Every player if no checksum has a strict majority.
 */
export function playersThatDiffer(
  checksums: DesyncEvent['checksums'],
  referee: number | undefined,
): number[] {
  let expected = referee;
  if (expected === undefined) {
    const counts = new Map<number, number>();
    for (const c of checksums) counts.set(c.checksum, (counts.get(c.checksum) ?? 0) + 1);
    for (const [checksum, count] of counts) if (count * 2 > checksums.length) expected = checksum;
  }
  return checksums.filter((c) => c.checksum !== expected).map((c) => c.playerId);
}

/**
 * Runs the demo to the end and reports how it went. Never exits the process; every socket is
 * closed when it resolves.
 */
export async function runDemo(
  options: DemoOptions,
  io: CliIO,
  run: DemoRunOptions = {},
): Promise<DemoResult> {
  const out = io.stdout;
  const status = new StatusLine(out);
  const started = performance.now();
  const { players, ticks, tickRate } = options;
  const endTick = ticks - 1;
  const jitter =
    options.delayMs > 0
      ? `${options.delayMs}-${options.delayMs + options.jitterMs} ms delay`
      : `0-${options.jitterMs} ms jitter`;
  out.write(
    `game-network demo: ${plural(players, 'bot')}, ${ticks} ticks at ${tickRate} Hz, ` +
      `${formatPercent(options.loss)} loss and ${jitter} each way, seed ${options.seed}\n`,
  );

  let server: GameServer | undefined;
  const bots: Bot[] = [];
  let desync: DesyncEvent | undefined;
  /** The names of the players whose checksum differed at the desync. */
  let differed: string[] = [];
  // The referee: the same simulation on the server's frames.
  const referee = new Referee(players, ticks);
  const nameOf = (playerId: number): string => {
    const bot = bots.find((b) => b.client.playerId === playerId);
    return bot ? `${bot.client.username} (player ${playerId})` : `player ${playerId}`;
  };
  let warnings = 0;
  let failure: string | undefined;
  let interrupted = false;
  let dropoutTimer: ReturnType<typeof setTimeout> | undefined;
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
    });
    server.events$.subscribe((e) => {
      if (e.type === 'desync') {
        desync ??= e;
        const refereeSum = referee.checksumAt(e.tick);
        const sums = e.checksums
          .map((c) => `${nameOf(c.playerId)} ${formatChecksum(c.checksum)}`)
          .join(', ');
        const refereeText =
          refereeSum === undefined ? '' : `; referee ${formatChecksum(refereeSum)}`;
        status.log(`DESYNC at tick ${e.tick}: ${sums}${refereeText}`);
        if (desync === e) differed = playersThatDiffer(e.checksums, refereeSum).map(nameOf);
      } else if (e.type === 'snapshot') {
        status.log(
          `  ${nameOf(e.playerId)} sent its world at tick ${e.tick}: ${e.data.length} bytes`,
        );
      } else if (e.type === 'away') {
        status.log(
          `${e.username} (player ${e.playerId}) is away from tick ${e.tick}: its input is repeated`,
        );
      } else if (e.type === 'back') {
        status.log(
          `${e.username} (player ${e.playerId}) is back: its inputs count from tick ${e.tick}`,
        );
      } else if (e.type === 'drop') {
        status.log(`drop ${e.username} (player ${e.playerId}): ${e.reason}: ${e.message}`);
      } else if (e.type === 'warning') {
        warnings++;
        if (warnings <= MAX_WARNINGS_SHOWN) status.log(`warning ${e.code}: ${e.message}`);
        if (warnings === MAX_WARNINGS_SHOWN) status.log('(further warnings are only counted)');
      }
    });

    server.frames$.subscribe((frame) => referee.step(frame));

    // Every bot joins before any plays: they all join at tick 0, and the game is ticks 0..end.
    // With --dropout, the first bot's network can be cut.
    const dropout: DropoutTransport | undefined =
      options.dropoutMs !== undefined ? dropoutTransport(nodeTransport) : undefined;
    for (let i = 0; i < players; i++) {
      const bot = await Bot.join(
        {
          host: '127.0.0.1',
          port: server.address.tcpPort,
          username: `bot-${i + 1}`,
          conditioner: conditionerFor(options, mixSeed(options.seed, 1 + i)),
          inputDelay: options.inputDelay,
          ...(i === 0 && dropout ? { transport: dropout } : {}),
        },
        {
          ticks,
          minPlayers: players,
          seed: options.seed,
          ...(i === players - 1 && options.desyncAt !== undefined
            ? { corruptAt: options.desyncAt }
            : {}),
        },
      );
      bots.push(bot);
      bot.warnings$.subscribe((w) => {
        warnings++;
        if (warnings <= MAX_WARNINGS_SHOWN)
          status.log(`warning (${bot.client.username}) ${w.code}: ${w.message}`);
      });
    }
    const { tcpPort, udpPort } = server.address;
    status.log(
      `server on 127.0.0.1 (tcp ${tcpPort}, udp ${udpPort}); ${plural(players, 'bot')} joined: ` +
        bots.map((b) => `${b.client.username} (player ${b.client.playerId})`).join(', '),
    );
    if (options.desyncAt !== undefined)
      status.log(
        `${bots[bots.length - 1].client.username}'s world will diverge at tick ${options.desyncAt}`,
      );

    // Live progress.
    const fps = new RateMeter();
    const render = (): void => {
      const stats = bots.map((b) => b.client.getStats());
      status.update(
        formatProgress({
          tick: Math.min(...bots.map((b) => (b.finished ? endTick : b.client.lastFrameTick))),
          endTick,
          fps: fps.sample(referee.frames),
          rttMs: meanOf(stats.map((s) => s.rttMs)),
          lossIn: meanOf(stats.map((s) => s.lossIn)),
          lossOut: meanOf(stats.map((s) => s.lossOut)),
          bytesPerSec: stats.reduce((sum, s) => sum + s.bytesInPerSec + s.bytesOutPerSec, 0),
        }),
      );
    };
    progressTimer = setInterval(render, run.refreshMs ?? 250);

    for (const bot of bots) bot.start();
    if (dropout && options.dropoutMs !== undefined) {
      const dropoutMs = options.dropoutMs;
      const first = bots[0];
      first.client.events$.subscribe((e) => {
        if (e.type === 'reconnected')
          status.log(`${first.client.username} reconnected: its frames go on from tick ${e.tick}`);
      });
      // At a third of the game, off the network for dropoutMs; then its client reconnects.
      dropoutTimer = setTimeout(
        () => {
          status.log(
            `${first.client.username} drops out at tick ${first.client.lastFrameTick} for ${dropoutMs} ms`,
          );
          dropout.drop();
          dropoutTimer = setTimeout(() => dropout.restore(), dropoutMs);
        },
        (ticks / tickRate) * (1000 / 3),
      );
    }
    const timeoutMs = run.timeoutMs ?? (ticks / tickRate) * 3000 + 15_000;
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
    clearTimeout(dropoutTimer);
    if (onAbort) run.signal?.removeEventListener('abort', onAbort);
    status.clear();
    // The server first: it says goodbye to every bot. (Bots leaving first would leave their
    // last datagrams, still delayed in the server's link conditioner, to arrive after their
    // leave, each reported as a warning from an unknown sender.)
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
      : `\nthe game ran ticks 0..${endTick}, ${formatSeconds(elapsedMs)} in all\n\n`,
  );
  if (bots.length > 0) out.write(formatPlayerTable(bots.map((b) => b.row())));
  const refereeChecksum = referee.finalChecksum;
  out.write(`referee (the server's frames)  checksum ${formatChecksum(refereeChecksum)}\n\n`);

  const checksums = bots.map((b) => {
    const o = b.finished;
    return { name: b.client.username, checksum: o?.kind === 'finished' ? o.checksum : undefined };
  });
  const clientDesync = bots.find((b) => b.desync)?.desync;
  desync ??= clientDesync;
  if (desync && differed.length === 0)
    differed = playersThatDiffer(desync.checksums, referee.checksumAt(desync.tick)).map(nameOf);
  const all = [...checksums.map((c) => c.checksum), refereeChecksum];
  const equal = all.every((c) => c !== undefined && c === all[0]);
  let exitCode = 0;
  if (failure) {
    out.write(`FAILED: ${failure}\n`);
    exitCode = interrupted ? 130 : 1;
  } else if (!equal) {
    out.write(`FAILED: the final checksums differ\n`);
    exitCode = 1;
  }
  if (desync) {
    const whose =
      differed.length === 0
        ? ''
        : `: ${differed.join(' and ')} ${differed.length === 1 ? 'has' : 'have'} a checksum that differs`;
    out.write(`DESYNC reported at tick ${desync.tick}${whose}\n`);
    if (exitCode === 0) exitCode = 1;
  }
  if (exitCode === 0)
    out.write(
      `OK: ${bots.length === 1 ? 'the bot' : `all ${bots.length} bots`} and the referee agree ` +
        `after tick ${endTick}: ` +
        `${formatChecksum(all[0])}; no desync` +
        (warnings > 0 ? ` (${warnings} warnings)` : '') +
        '\n',
    );
  return { exitCode, endTick, checksums, refereeChecksum, desync, elapsedMs };
}
