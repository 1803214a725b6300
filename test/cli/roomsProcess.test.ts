// Rooms from the real command line, as child processes: the rooms demo end to end, a server
// with --rooms and bots joining by id, by join-or-create and listing, and bad rooms flags.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/waitFor.js';
import { cli, exitOf, killChildren } from './cliProcess.js';

afterEach(killChildren);

const CHECKSUM = /final checksum (0x[0-9a-f]{8}) after tick (\d+)/;

describe('game-network with rooms', () => {
  it('demo --rooms 8: 8 rooms of 4 bots at once, a line per room with equal checksums, exit 0', async () => {
    const demo = cli(['demo', '--rooms', '8', '--ticks', '120']);
    const code = await exitOf(demo, 90_000, 'the rooms demo to exit');
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    expect(demo.stderr()).toBe('');
    expect(out).toMatch(/^game-network demo: 8 rooms of 4 bots, 120 ticks at 60 Hz, 10\.0% loss/m);
    expect(out).toMatch(
      /^server on 127\.0\.0\.1 .*rooms mode; 32 bots asked join-or-create for mode demo, size 4: 8 rooms made$/m,
    );
    expect(out).toMatch(/^8 rooms ran ticks 0\.\.119, /m);
    const lines = [
      ...out.matchAll(/^room (\d) (r-\S+): (.*); referee (0x[0-9a-f]{8}): (agree|DIFFER)$/gm),
    ];
    expect(lines.map((l) => Number(l[1]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(lines.map((l) => l[2])).size).toBe(8); // 8 rooms, each its own id
    for (const [, n, , bots, referee, verdict] of lines) {
      const sums = [...bots.matchAll(/(bot-(\d)-\d) (0x[0-9a-f]{8})/g)];
      expect(sums).toHaveLength(4);
      for (const [, , room, sum] of sums) {
        expect(room).toBe(n); // the 4 bots that asked together share a room
        expect(sum).toBe(referee);
      }
      expect(verdict).toBe('agree');
    }
    // Each room its own seed, so its own game.
    expect(new Set(lines.map((l) => l[4])).size).toBeGreaterThan(1);
    expect(out).toMatch(
      /^OK: all 8 rooms agree: in each, its 4 bots and the referee have the same checksum after tick 119; no desync/m,
    );
  }, 100_000);

  it('server --rooms 1: a bot lists the rooms, joins room-1 by id, two join-or-create a duel; the log names each room', async () => {
    const server = cli(['server', '--port', '0', '--rooms', '1', '--max-players', '4']);
    const listening = await waitFor(
      () =>
        /^listening tcp 127\.0\.0\.1:(\d+) .*; rooms mode: 1 room made \(room-1, mode default\)/m.exec(
          server.stdout(),
        ),
      { timeoutMs: 10_000, message: 'the server to print its ports' },
    );
    const connectTo = ['--connect', `127.0.0.1:${listening[1]}`];
    expect(server.stdout()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} room room-1 made: mode default, 4 slots$/m,
    );

    const lister = cli(['bot', ...connectTo, '--list-rooms']);
    expect(await exitOf(lister, 15_000, 'the list to exit')).toBe(0);
    expect(lister.stdout()).toMatch(
      /^1 open room on 127\.0\.0\.1:\d+:\nroom +mode +players +metadata\nroom-1 +default +0\/4\n$/,
    );
    expect(lister.stderr()).toBe('');

    const bot = (args: string[]) => cli(['bot', ...connectTo, '--ticks', '30', ...args]);
    const ann = bot(['--name', 'ann', '--room', 'room-1']);
    const bob = bot(['--name', 'bob', '--mode', 'duel', '--size', '2']);
    const cid = bot(['--name', 'cid', '--mode', 'duel', '--size', '2']);
    const codes = await Promise.all([
      exitOf(ann, 20_000, 'ann to exit'),
      exitOf(bob, 20_000, 'bob to exit'),
      exitOf(cid, 20_000, 'cid to exit'),
    ]);
    for (const [i, b] of [ann, bob, cid].entries()) {
      expect(codes[i], b.stdout() + b.stderr()).toBe(0);
      expect(b.stderr()).toBe('');
    }
    expect(ann.stdout()).toMatch(
      /^joined 127\.0\.0\.1:\d+ in room room-1 as ann: player 0 of up to 4/m,
    );
    const duel = /^joined .* in room (r-\S+) \(join-or-create: mode duel, size 2\) as bob/m.exec(
      bob.stdout(),
    );
    expect(duel).not.toBeNull();
    expect(cid.stdout()).toContain(
      `in room ${duel![1]} (join-or-create: mode duel, size 2) as cid`,
    );
    // The two of the duel play one game: the same checksum after the same tick.
    expect(CHECKSUM.exec(cid.stdout())?.slice(1)).toEqual(CHECKSUM.exec(bob.stdout())?.slice(1));

    await waitFor(() => (server.stdout().match(/ leave /g) ?? []).length === 3, {
      timeoutMs: 5_000,
      message: 'the three leaves in the server log',
    });
    const log = server.stdout();
    const id = duel![1];
    expect(log).toMatch(/ \[room-1\] join ann \(player 0\) at tick \d+$/m);
    expect(log).toMatch(/ \[room-1\] leave ann \(player 0\) at tick \d+: left$/m);
    expect(log).toContain(` room ${id} made: mode duel, 2 slots\n`);
    expect(log).toMatch(new RegExp(` \\[${id}\\] join bob \\(player \\d\\) at tick \\d+$`, 'm'));
    expect(log).toMatch(new RegExp(` \\[${id}\\] join cid \\(player \\d\\) at tick \\d+$`, 'm'));
    expect(log).not.toMatch(/warning checksum/); // a late joiner reports no tick before its join

    server.child.kill('SIGINT');
    expect(await exitOf(server, 10_000, 'the server to exit')).toBe(0);
    expect(server.stdout()).toMatch(/ closing\n(.* room \S+ ended: server-closing\n)+.* closed\n$/);
    expect(server.stdout()).toMatch(/ room room-1 ended: server-closing\n/);
    expect(server.stderr()).toBe('');
  }, 40_000);

  it('bad rooms flags: one line naming the flag and a hint on stderr, exit 2', async () => {
    const runs = [
      {
        run: cli(['bot', '--connect', '127.0.0.1:1', '--room', 'a b']),
        line: `game-network bot: --room must be 1 to 64 letters, digits, '-', '_', '.' or ':', got "a b"`,
        hint: 'bot',
      },
      {
        run: cli(['bot', '--connect', '127.0.0.1:1', '--size', '3']),
        line: 'game-network bot: --size goes with --mode (join-or-create)',
        hint: 'bot',
      },
      {
        run: cli(['server', '--rooms', 'lots']),
        line: "game-network server: --rooms must be an integer from 0 to 1000, got 'lots'",
        hint: 'server',
      },
      {
        run: cli(['demo', '--rooms', '0']),
        line: "game-network demo: --rooms must be an integer from 1 to 64, got '0'",
        hint: 'demo',
      },
    ];
    const codes = await Promise.all(runs.map((r, i) => exitOf(r.run, 15_000, `run ${i} to exit`)));
    for (const [i, { run, line, hint }] of runs.entries()) {
      expect(codes[i]).toBe(2);
      expect(run.stdout()).toBe('');
      expect(run.stderr()).toBe(`${line}\nRun 'game-network ${hint} --help' for usage.\n`);
    }
  }, 20_000);
});
