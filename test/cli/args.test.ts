import { describe, expect, it } from 'vitest';
import {
  DEMO_DEFAULTS,
  EXIT_USAGE,
  HELP,
  USAGE,
  parseCommandLine,
  parseHostPort,
} from '../../src/cli/args.js';
import { BufferOutput } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';
import { usageError } from './commandLine.js';

describe('parseCommandLine: good command lines', () => {
  it('demo with no flags takes the defaults', () => {
    expect(parseCommandLine(['demo'])).toEqual({ command: 'demo', options: DEMO_DEFAULTS });
    expect(DEMO_DEFAULTS).toMatchObject({
      players: 4,
      ticks: 600,
      loss: 0.1,
      jitterMs: 20,
      seed: 1,
    });
  });

  it('demo reads every flag, in either --flag value or --flag=value form', () => {
    expect(
      parseCommandLine([
        'demo',
        '--players',
        '3',
        '--ticks=120',
        '--tick-rate',
        '30',
        '--loss',
        '0.25',
        '--jitter',
        '5',
        '--delay',
        '7.5',
        '--seed',
        '42',
        '--input-delay',
        '2',
        '--desync-at',
        '50',
        '--dropout',
        '3000',
      ]),
    ).toEqual({
      command: 'demo',
      options: {
        players: 3,
        ticks: 120,
        tickRate: 30,
        loss: 0.25,
        jitterMs: 5,
        delayMs: 7.5,
        seed: 42,
        inputDelay: 2,
        desyncAt: 50,
        dropoutMs: 3000,
      },
    });
  });

  it('reads a loss given as a percentage, up to 100%', () => {
    const cmd = parseCommandLine(['demo', '--loss', '15%']);
    expect(cmd.command === 'demo' && cmd.options.loss).toBeCloseTo(0.15);
    const all = parseCommandLine(['server', '--loss', '100%']);
    expect(all.command === 'server' && all.options.loss).toBe(1);
  });

  it('takes the largest --max-players and --input-size pair whose frames fit', () => {
    expect(parseCommandLine(['server', '--max-players', '256', '--input-size', '2'])).toMatchObject(
      { options: { maxPlayers: 256, inputSize: 2 } },
    );
  });

  it('server defaults, and every flag', () => {
    expect(parseCommandLine(['server'])).toEqual({
      command: 'server',
      options: {
        host: '127.0.0.1',
        port: 7777,
        udpPort: 0,
        tickRate: 60,
        maxPlayers: 8,
        inputSize: 2,
        loss: 0,
        jitterMs: 0,
        delayMs: 0,
        seed: 1,
      },
    });
    expect(
      parseCommandLine([
        'server',
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--udp-port',
        '7778',
        '--tick-rate',
        '30',
        '--max-players',
        '4',
        '--input-size',
        '1',
        '--password',
        'pw',
      ]),
    ).toMatchObject({
      command: 'server',
      options: {
        host: '0.0.0.0',
        port: 0,
        udpPort: 7778,
        tickRate: 30,
        maxPlayers: 4,
        inputSize: 1,
        password: 'pw',
      },
    });
  });

  it('bot: host:port, names, and defaults', () => {
    expect(
      parseCommandLine(['bot', '--connect', '127.0.0.1:7777', '--name', 'ann', '--ticks', '60']),
    ).toEqual({
      command: 'bot',
      options: {
        host: '127.0.0.1',
        port: 7777,
        name: 'ann',
        password: '',
        ticks: 60,
        players: 1,
        inputDelay: 0,
        loss: 0,
        jitterMs: 0,
        delayMs: 0,
        seed: 1,
      },
    });
    const bot = parseCommandLine([
      'bot',
      '--connect=[::1]:9000',
      '--seed',
      '7',
      '--players',
      '2',
      '--chat',
      'hello there',
    ]);
    expect(bot).toMatchObject({
      command: 'bot',
      options: { host: '::1', port: 9000, seed: 7, players: 2, chat: 'hello there' },
    });
    expect(bot.command === 'bot' && bot.options.name).toMatch(/^bot-\d+$/);
  });

  it('host:port forms', () => {
    expect(parseHostPort('bot', 'connect', 'example.com:80')).toEqual({
      host: 'example.com',
      port: 80,
    });
    expect(parseHostPort('bot', 'connect', '[::1]:7777')).toEqual({ host: '::1', port: 7777 });
    expect(parseHostPort('bot', 'connect', '7777')).toEqual({ host: '127.0.0.1', port: 7777 });
  });

  it('--help anywhere, help and -h ask for help', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['help', 'bot'])).toEqual({ command: 'help', topic: 'bot' });
    expect(parseCommandLine(['demo', '--help'])).toEqual({ command: 'help', topic: 'demo' });
    expect(parseCommandLine(['server', '--port', '1', '-h'])).toEqual({
      command: 'help',
      topic: 'server',
    });
    // Even next to a bad flag: help wins.
    expect(parseCommandLine(['bot', '--bogus', '--help'])).toEqual({
      command: 'help',
      topic: 'bot',
    });
  });
});

describe('parseCommandLine: bad command lines are usage errors (exit code 2)', () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['nope'], /unknown command 'nope'/],
    [['--nope'], /unknown option --nope/],
    [['help', 'nope'], /unknown command 'nope'/],
    [['demo', '--bogus'], /unknown option --bogus/],
    [['demo', '-x'], /unknown option -x/],
    [['demo', '--ticks'], /option --ticks needs a value/],
    [['demo', '--ticks', '--players', '2'], /option --ticks needs a value/],
    [['demo', '--ticks', 'abc'], /--ticks must be an integer from 1 to 1000000, got 'abc'/],
    [['demo', '--ticks', '1.5'], /--ticks must be an integer/],
    [['demo', '--ticks', '0'], /--ticks must be an integer from 1/],
    [['demo', '--players', '1e3'], /--players must be an integer/],
    [
      ['demo', '--loss', 'lots'],
      /--loss must be a number from 0 to 1 or a percentage .*, got 'lots'/,
    ],
    [['demo', '--loss', '1.5'], /--loss must be a number from 0 to 1/],
    [
      ['demo', '--loss', '150%'],
      /^--loss must be a number from 0 to 1 or a percentage from 0% to 100%, got '150%'$/,
    ],
    [['bot', '--connect', 'h:1', '--loss=-1%'], /--loss must be .* a percentage/],
    [
      ['server', '--input-size', '4', '--max-players', '256'],
      /^--max-players 256 with --input-size 4 make frames of up to \d+ bytes, over the 1200-byte datagram: lower --max-players or --input-size$/,
    ],
    [['server', '--password', 'x'.repeat(129)], /--password must be at most 128 characters/],
    [
      ['bot', '--connect', 'h:1', '--name', 'a\tb'],
      /--name must be 1 to 32 printable characters, got "a\\tb"/,
    ],
    [['demo', '--jitter', '-5'], /option --jitter needs a value/],
    [['demo', '--jitter=-5'], /--jitter must be a number from 0/],
    [['demo', '--seed', 'x'], /--seed must be an integer/],
    [['demo', '--desync-at', '600'], /--desync-at must be an integer from 0 to 599/],
    [['demo', '--dropout', '0'], /--dropout must be an integer from 1 to 14000/],
    [['demo', 'extra'], /unexpected argument 'extra'/],
    [['server', '--port', '65536'], /--port must be an integer from 0 to 65535/],
    [['server', '--port', ''], /--port must be an integer/],
    [['server', '--max-players', '0'], /--max-players must be an integer from 1/],
    [['server', '--host', ''], /--host must not be empty/],
    [['server', '--name', 'x'], /unknown option --name/],
    [['bot'], /--connect HOST:PORT is required/],
    [['bot', '--connect'], /option --connect needs a value/],
    [['bot', '--connect', 'localhost'], /--connect must be HOST:PORT/],
    [['bot', '--connect', 'localhost:'], /--connect must be HOST:PORT/],
    [['bot', '--connect', 'localhost:port'], /--connect must be HOST:PORT/],
    [['bot', '--connect', 'localhost:0'], /--connect must be HOST:PORT with a port from 1/],
    [['bot', '--connect', 'localhost:70000'], /--connect must be HOST:PORT/],
    [['bot', '--connect', '::1:7777'], /--connect must be HOST:PORT/],
    [['bot', '--connect', 'h:1', '--name', 'x'.repeat(33)], /--name must be 1 to 32/],
    [['bot', '--connect', 'h:1', '--name', ''], /--name must be 1 to 32/],
    [['bot', '--connect', 'h:1', '--ticks', 'many'], /--ticks must be an integer/],
  ];
  it.each(cases)('%j', (argv, message) => {
    const err = usageError(argv);
    expect(err.message).toMatch(message);
    expect(err.exitCode).toBe(EXIT_USAGE);
    const text = err.format();
    // One line saying what is wrong, one pointing at --help.
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Run 'game-network( demo| server| bot)? --help' for usage\.$/);
  });

  it('names the subcommand in the message and the hint', () => {
    expect(usageError(['bot', '--connect', 'nowhere']).format()).toBe(
      "game-network bot: --connect must be HOST:PORT with a port from 1 to 65535 (like 127.0.0.1:7777), got 'nowhere'\n" +
        "Run 'game-network bot --help' for usage.\n",
    );
  });
});

describe('help text', () => {
  it('speaks to someone who installed the package: npx game-network, no npm run', () => {
    expect(USAGE).toContain('npx game-network demo');
    expect(USAGE).toContain('npx game-network server --port 7777');
    expect(USAGE).not.toMatch(/npm run|clone/);
    for (const text of Object.values(HELP)) expect(text).not.toMatch(/npm run|clone/);
  });

  it('describes --seed for each command: what it seeds there', () => {
    const seedLine = (text: string): string =>
      /--seed N +([\s\S]*?\(default 1\))/.exec(text)?.[1].replace(/\s+/g, ' ') ?? '';
    expect(seedLine(HELP.server)).toBe(
      "seed of the server's link conditioner: which datagrams it loses or delays (default 1)",
    );
    expect(seedLine(HELP.server)).not.toContain('bot');
    expect(seedLine(HELP.bot)).toMatch(/^seed of this bot's controller .* its link conditioner/);
    expect(seedLine(HELP.demo)).toMatch(
      /every bot's link conditioner and of the bots' controllers/,
    );
  });

  it('says percentages are taken for --loss, as the parser does', () => {
    for (const text of [HELP.demo, HELP.server, HELP.bot])
      expect(text).toMatch(
        /--loss P +fraction of datagrams lost: 0\.\.1, or a percentage 0%\.\.100%/,
      );
  });
});

describe('main', () => {
  const io = () => ({ stdout: new BufferOutput(), stderr: new BufferOutput() });

  it('a --max-players and --input-size pair the server would refuse: exit 2 naming both flags', async () => {
    const out = io();
    const code = await main(
      ['server', '--input-size', '4', '--max-players', '256', '--port', '0'],
      out,
      new AbortController().signal,
    );
    expect(code).toBe(2);
    expect(out.stdout.text).toBe('');
    expect(out.stderr.text).toMatch(/^game-network server: --max-players 256 with --input-size 4 /);
    expect(out.stderr.text).not.toMatch(/maxPlayers|inputSize/);
  });

  it('prints a usage error on stderr and returns 2', async () => {
    const out = io();
    expect(await main(['demo', '--ticks', 'abc'], out, new AbortController().signal)).toBe(2);
    expect(out.stdout.text).toBe('');
    expect(out.stderr.text).toMatch(/^game-network demo: --ticks must be an integer/);
    expect(out.stderr.text).toContain("Run 'game-network demo --help' for usage.");
  });

  it('prints help on stdout and returns 0, top level and per command', async () => {
    for (const [argv, heading] of [
      [['--help'], /Usage:\n {2}game-network demo/],
      [['demo', '--help'], /^Usage: game-network demo/],
      [['server', '--help'], /^Usage: game-network server/],
      [['bot', '-h'], /^Usage: game-network bot --connect HOST:PORT/],
    ] as const) {
      const out = io();
      expect(await main(argv, out, new AbortController().signal)).toBe(0);
      expect(out.stdout.text).toMatch(heading);
      expect(out.stderr.text).toBe('');
    }
  });
});
