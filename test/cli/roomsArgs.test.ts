// The rooms flags of the command line: server --rooms [N] --mode --empty-timeout, bot --room,
// --mode, --size, --list-rooms, demo --rooms N; good values and bad ones (exit code 2).
import { describe, expect, it } from 'vitest';
import { HELP, parseCommandLine } from '../../src/cli/args.js';
import { expectUsageError, runMain } from './commandLine.js';

const B = ['bot', '--connect', '127.0.0.1:7777'];

describe('game-network server --rooms', () => {
  it('without --rooms: one match, as before (no rooms option)', () => {
    const c = parseCommandLine(['server']);
    expect(c.command === 'server' && c.options.rooms).toBeUndefined();
  });

  it('--rooms alone (last, or before another flag): rooms mode, no room made at start', () => {
    const rooms = { create: 0, mode: 'default', emptyTimeoutMs: 30_000 };
    for (const argv of [
      ['server', '--rooms'],
      ['server', '--rooms', '--port', '0'],
      ['server', '--port', '0', '--rooms'],
    ])
      expect(parseCommandLine(argv)).toMatchObject({ command: 'server', options: { rooms } });
  });

  it('--rooms N makes N rooms of --mode; --empty-timeout for the rooms join-or-create makes', () => {
    expect(
      parseCommandLine(['server', '--rooms', '3', '--mode', 'ctf', '--empty-timeout', '500']),
    ).toMatchObject({
      command: 'server',
      options: { rooms: { create: 3, mode: 'ctf', emptyTimeoutMs: 500 } },
    });
    expect(parseCommandLine(['server', '--rooms=2'])).toMatchObject({
      options: { rooms: { create: 2, mode: 'default' } },
    });
  });
});

describe('game-network bot: --room, --mode and --size, --list-rooms', () => {
  it('--room ID joins that room; --players stays 1 by default', () => {
    const c = parseCommandLine([...B, '--room', 'room-1']);
    expect(c).toMatchObject({ command: 'bot', options: { room: 'room-1', players: 1 } });
    expect(c.command === 'bot' && c.options.match).toBeUndefined();
  });

  it('--mode M asks join-or-create with --size (default 4); the game waits for a full room', () => {
    expect(parseCommandLine([...B, '--mode', 'duel'])).toMatchObject({
      options: { match: { mode: 'duel', size: 4 }, players: 4 },
    });
    expect(parseCommandLine([...B, '--mode', 'duel', '--size', '2'])).toMatchObject({
      options: { match: { mode: 'duel', size: 2 }, players: 2 },
    });
    expect(
      parseCommandLine([...B, '--mode', 'ffa', '--size', '8', '--players', '3']),
    ).toMatchObject({ options: { match: { mode: 'ffa', size: 8 }, players: 3 } });
  });

  it('--list-rooms, alone or filtered by --mode and --size, plays nothing', () => {
    const all = parseCommandLine([...B, '--list-rooms']);
    expect(all).toMatchObject({ command: 'bot', options: { listRooms: {} } });
    expect(parseCommandLine([...B, '--list-rooms', '--mode', 'duel', '--size', '2'])).toMatchObject(
      { options: { listRooms: { mode: 'duel', size: 2 } } },
    );
    const filtered = parseCommandLine([...B, '--list-rooms', '--mode', 'duel']);
    expect(filtered.command === 'bot' && filtered.options.match).toBeUndefined();
  });
});

describe('game-network demo --rooms N', () => {
  it('N rooms of --players bots', () => {
    expect(parseCommandLine(['demo', '--rooms', '8'])).toMatchObject({
      command: 'demo',
      options: { rooms: 8, players: 4 },
    });
    const plain = parseCommandLine(['demo']);
    expect(plain.command === 'demo' && plain.options.rooms).toBeUndefined();
  });
});

describe('bad rooms flags are usage errors naming the flag (exit code 2)', () => {
  const cases: [string[], RegExp][] = [
    [['server', '--rooms', 'many'], /^--rooms must be an integer from 0 to 1000, got 'many'$/],
    [['server', '--rooms=-1'], /^--rooms must be an integer from 0 to 1000, got '-1'$/],
    [['server', '--rooms', '-1'], /^option --rooms needs a value \(for a value starting with '-'/],
    [['server', '--rooms', '1001'], /^--rooms must be an integer from 0 to 1000/],
    [['server', '--mode', 'ctf'], /^--mode goes with --rooms \(rooms mode\)$/],
    [['server', '--empty-timeout', '5'], /^--empty-timeout goes with --rooms/],
    [['server', '--rooms', '--mode', 'a b'], /^--mode must be 1 to 32 letters, .*, got "a b"$/],
    [['server', '--rooms', '--mode', 'x'.repeat(33)], /^--mode must be 1 to 32 letters/],
    [['server', '--rooms', '--empty-timeout', '0'], /^--empty-timeout must be an integer from 1/],
    [[...B, '--room', 'no/such'], /^--room must be 1 to 64 letters, .*, got "no\/such"$/],
    [[...B, '--room', ''], /^--room must be 1 to 64 letters/],
    [[...B, '--room'], /^option --room needs a value$/],
    [
      [...B, '--mode', 'duel', '--room', 'r1'],
      /^--room joins one room, --mode asks join-or-create/,
    ],
    [[...B, '--mode', ''], /^--mode must be 1 to 32 letters/],
    [[...B, '--size', '2'], /^--size goes with --mode \(join-or-create\)$/],
    [[...B, '--mode', 'duel', '--size', '0'], /^--size must be an integer from 1 to 256, got '0'$/],
    [[...B, '--mode', 'duel', '--size', 'two'], /^--size must be an integer from 1 to 256/],
    [
      [...B, '--mode', 'duel', '--size', '2', '--players', '3'],
      /^--players 3 is more than --size 2/,
    ],
    [
      [...B, '--list-rooms', '--room', 'r1'],
      /^--list-rooms lists the rooms and exits: not with --room$/,
    ],
    [[...B, '--list-rooms=yes'], /^option --list-rooms takes no value$/],
    [['bot', '--list-rooms'], /^--connect HOST:PORT is required/],
    [['demo', '--rooms', '0'], /^--rooms must be an integer from 1 to 64, got '0'$/],
    [['demo', '--rooms'], /^option --rooms needs a value$/],
    [
      ['demo', '--rooms', '64', '--players', '8'],
      /^--rooms 64 with --players 8 make 512 bots: at most 256$/,
    ],
    [
      ['demo', '--rooms', '2', '--dropout', '100'],
      /^--dropout is for a single match: not with --rooms$/,
    ],
    [
      ['demo', '--rooms', '2', '--desync-at', '3'],
      /^--desync-at is for a single match: not with --rooms$/,
    ],
  ];
  it.each(cases)('%j', (argv, message) =>
    expectUsageError(argv, message, ['server', 'bot', 'demo']),
  );

  it('main prints it on stderr and returns 2, opening nothing', async () => {
    const { code, stdout, stderr } = await runMain([...B, '--size', '3']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "game-network bot: --size goes with --mode (join-or-create)\nRun 'game-network bot --help' for usage.\n",
    );
  });
});

describe('help names every rooms flag', () => {
  it.each([
    ['server', ['--rooms [N]', '--mode M', '--empty-timeout MS']],
    ['bot', ['--room ID', '--mode M', '--size N', '--list-rooms']],
    ['demo', ['--rooms N']],
  ] as const)('%s', (command, flags) => {
    for (const flag of flags) expect(HELP[command]).toContain(`  ${flag}`);
  });
});
