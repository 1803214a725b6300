// The commands' messages, in process: a refused bot, a waiting bot, the server's log order,
// the demo's desync verdict, the username check of connect, and a late joiner's checksums.
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createMemoryTransport, createServer, type GameServer } from '../../src/node.js';
import type { BotCommandOptions, ServerCommandOptions } from '../../src/cli/args.js';
import { Bot } from '../../src/cli/bot.js';
import { describeRefusal, runBotCommand } from '../../src/cli/botCommand.js';
import { playersThatDiffer } from '../../src/cli/demo.js';
import { BufferOutput, formatProgress } from '../../src/cli/format.js';
import { runServerCommand } from '../../src/cli/server.js';
import { waitFor } from '../helpers/waitFor.js';

const io = () => ({ stdout: new BufferOutput(), stderr: new BufferOutput() });
const link = { loss: 0, jitterMs: 0, delayMs: 0, seed: 1 };

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('a refused bot says why, in words', () => {
  const bot = (password: string): BotCommandOptions => ({
    ...link,
    host: '127.0.0.1',
    port: 1,
    name: 'ann',
    password,
    ticks: 10,
    players: 1,
    inputDelay: 0,
  });

  it('names a missing password, a wrong one, and every other reason', () => {
    expect(describeRefusal('bad-credentials', bot(''))).toBe(
      'the server wants a password and none was given: add --password (bad-credentials)',
    );
    expect(describeRefusal('bad-credentials', bot('nope'))).toBe(
      'the server refused the password given with --password (bad-credentials)',
    );
    expect(describeRefusal('duplicate-name', bot(''))).toBe(
      'a player named "ann" is already in the match: pick another --name (duplicate-name)',
    );
    expect(describeRefusal('server-full', bot(''))).toMatch(/full.*\(server-full\)$/);
  });

  it('a bot without the password a server wants: exit 1 and the reason on stderr', async () => {
    const server: GameServer = await createServer({
      port: 0,
      authenticate: (c) => c.password === 'pw',
    });
    cleanup.push(() => server.close());
    const out = io();
    const code = await runBotCommand(
      { ...bot(''), port: server.address.tcpPort },
      out,
      new AbortController().signal,
    );
    expect(code).toBe(1);
    expect(out.stderr.text).toBe(
      `game-network bot: cannot join 127.0.0.1:${server.address.tcpPort}: join refused: ` +
        'the server wants a password and none was given: add --password (bad-credentials)\n',
    );
  }, 15_000);
});

describe('progress of a bot whose game has not started', () => {
  it('says what it waits for instead of tick T/?', () => {
    const line = formatProgress({
      tick: 45,
      endTick: undefined,
      waiting: 'waiting for 3 players to start the game (1 in the match; --players 3)',
      fps: 60,
      rttMs: 1,
      lossIn: 0,
      lossOut: 0,
      bytesPerSec: 2900,
    });
    expect(line).toMatch(
      /^waiting for 3 players to start the game \(1 in the match; --players 3\); tick 45 {2}60 fps/,
    );
    expect(line).not.toContain('/?');
  });
});

describe('the demo names whose checksum differed', () => {
  const sums = [
    { playerId: 0, checksum: 1 },
    { playerId: 1, checksum: 1 },
    { playerId: 2, checksum: 7 },
  ];
  it('against the referee when it is known, else against the majority', () => {
    expect(playersThatDiffer(sums, 1)).toEqual([2]);
    expect(playersThatDiffer(sums, 7)).toEqual([0, 1]);
    expect(playersThatDiffer(sums, undefined)).toEqual([2]);
    // Two players, no referee: no majority, so both are named.
    expect(playersThatDiffer(sums.slice(1), undefined)).toEqual([1, 2]);
  });
});

describe('connect checks the username before sending it', () => {
  it.each(['', 'x'.repeat(33), 'a\nb'])('refuses %j with a RangeError naming it', async (name) => {
    const transport = createMemoryTransport();
    const attempt = connect({ transport, host: '127.0.0.1', port: 1, username: name });
    await expect(attempt).rejects.toThrow(RangeError);
    await expect(attempt).rejects.toThrow(
      `username ${JSON.stringify(name)} must be 1..32 characters with no control characters`,
    );
  });
});

describe('game-network server, in process', () => {
  it('logs a join before that player’s chat, even a chat sent before its first input', async () => {
    const out = io();
    const controller = new AbortController();
    const options: ServerCommandOptions = {
      ...link,
      host: '127.0.0.1',
      port: 0,
      udpPort: 0,
      tickRate: 60,
      maxPlayers: 2,
      inputSize: 2,
    };
    const done = runServerCommand(options, out, controller.signal);
    cleanup.push(() => (controller.abort(), done));
    const port = Number(
      (
        await waitFor(() => /^listening tcp 127\.0\.0\.1:(\d+) /m.exec(out.stdout.text), {
          message: 'the server to print its port',
        })
      )[1],
    );
    const ann = await connect({ host: '127.0.0.1', port, username: 'ann' });
    cleanup.push(() => ann.close());
    // The chat reaches the server before the frame of ann's join can be confirmed (that frame
    // needs ann's first input).
    const echoed = firstValueFrom(ann.chat$);
    ann.sendChat('hello');
    await echoed; // the server has it (and broadcast it) before any frame with ann exists
    ann.sendInput(new Uint8Array(2));
    await waitFor(() => out.stdout.text.includes('chat ann: hello'), {
      message: 'the chat line',
    });
    const log = out.stdout.text;
    expect(log).toMatch(/ join ann \(player 0\) at tick \d+\n.* chat ann: hello\n/);
    expect(log.indexOf(' join ann ')).toBeLessThan(log.indexOf(' chat ann: '));
  }, 15_000);
});

describe('a bot that joins a match under way', () => {
  it('reports checksums only from its own join on: no checksum warning', async () => {
    const server = await createServer({ host: '127.0.0.1', port: 0, maxPlayers: 2 });
    cleanup.push(() => server.close());
    const warnings: string[] = [];
    server.events$.subscribe((e) => e.type === 'warning' && warnings.push(e.code));
    const at = { host: '127.0.0.1', port: server.address.tcpPort };
    const game = { ticks: 10_000, minPlayers: 1, seed: 1 };
    const ann = await Bot.join({ ...at, username: 'ann' }, game);
    cleanup.push(() => ann.close());
    ann.start();
    await waitFor(() => ann.client.lastFrameTick >= 30, { message: 'ann past tick 30' });
    const bob = await Bot.join({ ...at, username: 'bob' }, game);
    cleanup.push(() => bob.close());
    let bobJoinedAt = -1;
    bob.client.frames$.subscribe((f) => {
      if (f.joined?.some((p) => p.playerId === bob.client.playerId)) bobJoinedAt = f.tick;
    });
    bob.start();
    // bob gets every frame from tick 0, and simulates them; it reports from its join on.
    await waitFor(() => bobJoinedAt > 0 && bob.client.lastFrameTick >= bobJoinedAt + 30, {
      message: 'bob 30 ticks past its join',
    });
    expect(bobJoinedAt).toBeGreaterThan(30);
    expect(bob.framesConfirmed).toBeGreaterThan(60);
    expect(warnings).toEqual([]);
    expect(bob.desync).toBeUndefined();
  }, 15_000);
});
