/**
 * `game-network demo`: a server and several bots in one process, on 127.0.0.1, every datagram
 * through the link conditioner. Live progress, then a table per player, every bot's final
 * checksum, and an exit code that says whether the worlds agreed.
 */
import { createServer, nodeTransport, type DesyncEvent, type GameServer } from '../node.js';
import type { DemoOptions } from './args.js';
import { DemoRun, linkText, type DemoRunOptions } from './demoRun.js';
import { dropoutTransport, type DropoutTransport } from './dropout.js';
import { formatChecksum, formatPercent, formatPlayerTable, plural, type CliIO } from './format.js';
import { Referee } from './referee.js';

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
  const demo = new DemoRun(options, io, run);
  const { out, status, bots } = demo;
  const { players, ticks, tickRate } = options;
  const endTick = ticks - 1;
  out.write(
    `game-network demo: ${plural(players, 'bot')}, ${ticks} ticks at ${tickRate} Hz, ` +
      `${formatPercent(options.loss)} loss and ${linkText(options)} each way, seed ${options.seed}\n`,
  );

  let server: GameServer | undefined;
  let desync: DesyncEvent | undefined;
  /** The names of the players whose checksum differed at the desync. */
  let differed: string[] = [];
  // The referee: the same simulation on the server's frames.
  const referee = new Referee(players, ticks);
  const nameOf = (playerId: number): string => {
    const bot = bots.find((b) => b.client.playerId === playerId);
    return bot ? `${bot.client.username} (player ${playerId})` : `player ${playerId}`;
  };
  let dropoutTimer: ReturnType<typeof setTimeout> | undefined;

  try {
    server = await createServer(demo.serverOptions());
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
        demo.warn(`warning ${e.code}: ${e.message}`);
      }
    });

    server.frames$.subscribe((frame) => referee.step(frame));

    // Every bot joins before any plays: they all join at tick 0, and the game is ticks 0..end.
    // With --dropout, the first bot's network can be cut.
    const dropout: DropoutTransport | undefined =
      options.dropoutMs !== undefined ? dropoutTransport(nodeTransport) : undefined;
    for (let i = 0; i < players; i++) {
      await demo.joinBot(
        {
          port: server.address.tcpPort,
          username: `bot-${i + 1}`,
          linkSeed: 1 + i,
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
        // (A bot's warning has never said when the rest are only counted.)
        false,
      );
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

    demo.start(() => referee.frames);
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
    await demo.untilEnd(15_000);
  } catch (err) {
    demo.fail(err);
  } finally {
    clearTimeout(dropoutTimer);
    await demo.close(async () => server?.close());
  }

  const elapsedMs = demo.end((took) => `the game ran ticks 0..${endTick}, ${took} in all`);
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
  const whose =
    differed.length === 0
      ? ''
      : `: ${differed.join(' and ')} ${differed.length === 1 ? 'has' : 'have'} a checksum that differs`;
  const exitCode = demo.verdict(
    [equal ? undefined : 'the final checksums differ'],
    desync && `DESYNC reported at tick ${desync.tick}${whose}`,
    `OK: ${bots.length === 1 ? 'the bot' : `all ${bots.length} bots`} and the referee agree ` +
      `after tick ${endTick}: ${formatChecksum(all[0])}; no desync`,
  );
  return { exitCode, endTick, checksums, refereeChecksum, desync, elapsedMs };
}
