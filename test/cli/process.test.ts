// The real command line, as child processes without a terminal (stdout is a pipe).
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { settleWithin, waitFor } from '../helpers/waitFor.js';
import { ROOT, children, cli, exitOf, killChildren, type Running } from './cliProcess.js';

afterEach(killChildren);

const CHECKSUM = /final checksum (0x[0-9a-f]{8}) after tick (\d+)/;

describe('the game-network command', () => {
  it('demo: plain progress lines, the table, equal checksums, exit 0', async () => {
    const demo = cli(['demo', '--players', '2', '--ticks', '60']);
    const code = await exitOf(demo, 20_000, 'the demo to exit');
    const out = demo.stdout();
    expect(code, `${out}\n${demo.stderr()}`).toBe(0);
    expect(demo.stderr()).toBe(''); // nothing left open at the end, no error
    expect(out).not.toContain('\r');
    expect(out).not.toContain('\x1b');
    expect(out).toMatch(/^game-network demo: 2 bots, 60 ticks at 60 Hz, 10\.0% loss/m);
    expect(out).toMatch(/^tick (\d+|-)\/59 +(\d+|-) fps +rtt .* loss .* in .* out .*B\/s$/m);
    expect(out).toMatch(/^player +slot +inputs +frames +sent +received +rtt/m);
    const rows = [...out.matchAll(/^(bot-\d) +\d +60 +60 .* 59 +(0x[0-9a-f]{8})$/gm)];
    expect(rows.map((r) => r[1])).toEqual(['bot-1', 'bot-2']);
    expect(rows[0][2]).toBe(rows[1][2]);
    expect(out).toContain(`referee (the server's frames)  checksum ${rows[0][2]}`);
    expect(out).toMatch(/^OK: .*no desync$/m);
  }, 25_000);

  it('a bad flag: one line and a hint on stderr, exit 2', async () => {
    const run = cli(['bot', '--connect', 'nowhere']);
    expect(await exitOf(run, 10_000, 'the bot to exit')).toBe(2);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toBe(
      "game-network bot: --connect must be HOST:PORT with a port from 1 to 65535 (like 127.0.0.1:7777), got 'nowhere'\n" +
        "Run 'game-network bot --help' for usage.\n",
    );
  }, 15_000);

  it('server and two bots: they play one game to equal checksums; SIGINT closes the server', async () => {
    const server = cli(['server', '--port', '0']);
    const listening = await waitFor(
      () => /^listening tcp 127\.0\.0\.1:(\d+) udp 127\.0\.0\.1:(\d+)/m.exec(server.stdout()),
      { timeoutMs: 10_000, message: 'the server to print its ports' },
    );
    const port = listening[1];
    const bot = (name: string, chat: string[] = []): Running =>
      cli([
        'bot',
        '--connect',
        `127.0.0.1:${port}`,
        '--name',
        name,
        '--ticks',
        '60',
        '--players',
        '2',
        '--seed',
        '3',
        ...chat,
      ]);
    const ann = bot('ann', ['--chat', 'hello from ann']);
    const bob = bot('bob');
    const [annCode, bobCode] = await Promise.all([
      exitOf(ann, 20_000, 'ann to exit'),
      exitOf(bob, 20_000, 'bob to exit'),
    ]);
    expect(annCode, ann.stdout() + ann.stderr()).toBe(0);
    expect(bobCode, bob.stdout() + bob.stderr()).toBe(0);
    const annSum = CHECKSUM.exec(ann.stdout());
    const bobSum = CHECKSUM.exec(bob.stdout());
    expect(annSum).not.toBeNull();
    expect(bobSum?.slice(1)).toEqual(annSum?.slice(1)); // same checksum, same last tick
    for (const b of [ann, bob]) {
      expect(b.stdout()).toMatch(/^game on at tick \d+ with 2 players/m);
      expect(b.stdout()).toMatch(/^OK: .*no desync$/m);
      expect(b.stderr()).toBe('');
    }

    // The server logged both joins, the chat line and both leaves, one line each.
    await waitFor(() => (server.stdout().match(/ leave /g) ?? []).length === 2, {
      timeoutMs: 5_000,
      message: 'both leaves in the server log',
    });
    const log = server.stdout();
    expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} join ann \(player \d\) at tick \d+$/m);
    expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} join bob \(player \d\) at tick \d+$/m);
    expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} chat ann: hello from ann$/m);
    expect(log.indexOf(' join ann ')).toBeLessThan(log.indexOf(' chat ann: '));
    expect(log).toMatch(/^\d\d:\d\d:\d\d\.\d{3} leave ann \(player \d\) at tick \d+: left$/m);

    server.child.kill('SIGINT');
    expect(await exitOf(server, 10_000, 'the server to exit')).toBe(0);
    expect(server.stdout()).toMatch(/ closing\n.* closed\n$/);
    expect(server.stderr()).toBe('');
  }, 30_000);

  it('a waiting bot says what it waits for; killed, it is away with a reason that says so', async () => {
    const server = cli(['server', '--port', '0']);
    const listening = await waitFor(
      () => /^listening tcp 127\.0\.0\.1:(\d+) /m.exec(server.stdout()),
      { timeoutMs: 10_000, message: 'the server to print its ports' },
    );
    const cid = cli([
      'bot',
      '--connect',
      `127.0.0.1:${listening[1]}`,
      '--name',
      'cid',
      '--players',
      '2',
    ]);
    await waitFor(
      () =>
        /^waiting for 2 players to start the game \(1 in the match; --players 2\)$/m.test(
          cid.stdout(),
        ) &&
        /^waiting for 2 players to start the game \(1 in the match; --players 2\); tick \d+ /m.test(
          cid.stdout(),
        ),
      { timeoutMs: 10_000, message: 'the bot to say it waits, and its progress line to say so' },
    );
    expect(cid.stdout()).not.toMatch(/^tick \d+\/\?/m);
    cid.child.kill('SIGKILL'); // no goodbye
    // Its connection is lost, not its seat: away (its input substituted) until it comes back
    // or the grace period ends; the log says why.
    await waitFor(() => / away cid /.test(server.stdout()), {
      timeoutMs: 10_000,
      message: "cid's away line in the server log",
    });
    expect(server.stdout()).toMatch(
      / away cid \(player 0\) at tick \d+: connection closed without a goodbye$/m,
    );
    server.child.kill('SIGINT');
    expect(await exitOf(server, 10_000, 'the server to exit')).toBe(0);
  }, 30_000);

  it('a reader that goes away (--help | true) is no error: exit 0, nothing on stderr', async () => {
    const child = spawn(
      'bash',
      ['-c', 'node --import tsx src/cli.ts --help | true; echo "exit ${PIPESTATUS[0]}"'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    await settleWithin('bash to exit', { timeoutMs: 10_000 }, (resolve) => {
      child.on('close', resolve);
      return () => undefined;
    });
    expect(err).toBe('');
    expect(out).toBe('exit 0\n');
  }, 15_000);

  it('an impossible --max-players and --input-size pair: exit 2 naming the flags, nothing opened', async () => {
    const run = cli(['server', '--port', '0', '--input-size', '4', '--max-players', '256']);
    expect(await exitOf(run, 10_000, 'the server to exit')).toBe(2);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toMatch(
      /^game-network server: --max-players 256 with --input-size 4 make frames of up to \d+ bytes/,
    );
  }, 15_000);
});
