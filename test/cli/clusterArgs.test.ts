// The cluster flags of the command line: server --redis URL --public-host --process-ttl and
// demo --cluster N; good values and bad ones (exit code 2, naming the flag).
import { describe, expect, it } from 'vitest';
import { HELP, parseCommandLine } from '../../src/cli/args.js';
import { withoutCredentials } from '../../src/cli/server.js';
import { expectUsageError, runMain } from './commandLine.js';

const R = ['server', '--redis', 'redis://127.0.0.1:6379'];

describe('game-network server --redis', () => {
  it('without --redis: no cluster', () => {
    const c = parseCommandLine(['server', '--rooms']);
    expect(c.command === 'server' && c.options.cluster).toBeUndefined();
  });

  it('--redis URL joins a cluster and implies --rooms (no room made at start)', () => {
    expect(parseCommandLine(R)).toMatchObject({
      command: 'server',
      options: {
        cluster: { redis: 'redis://127.0.0.1:6379' },
        rooms: { create: 0, mode: 'default', emptyTimeoutMs: 30_000 },
      },
    });
    const c = parseCommandLine(R);
    expect(c.command === 'server' && c.options.cluster).toEqual({
      redis: 'redis://127.0.0.1:6379',
    });
  });

  it('with --rooms N, --mode and --empty-timeout, --public-host and --process-ttl', () => {
    expect(
      parseCommandLine([
        ...R,
        '--rooms',
        '2',
        '--mode',
        'ctf',
        '--empty-timeout',
        '500',
        '--public-host',
        'game.example.com',
        '--process-ttl',
        '2000',
      ]),
    ).toMatchObject({
      options: {
        rooms: { create: 2, mode: 'ctf', emptyTimeoutMs: 500 },
        cluster: {
          redis: 'redis://127.0.0.1:6379',
          publicHost: 'game.example.com',
          processTtlMs: 2000,
        },
      },
    });
  });

  it('takes rediss:// (TLS), a database, credentials, an IPv6 public host, and --host 0.0.0.0 with --public-host', () => {
    for (const redis of [
      'rediss://cache.internal:6380',
      'redis://127.0.0.1:6379/3',
      'redis://:secret@10.0.0.5',
      'redis://user:pw@[::1]:6379/0',
    ])
      expect(parseCommandLine(['server', '--redis', redis])).toMatchObject({
        options: { cluster: { redis } },
      });
    expect(parseCommandLine([...R, '--public-host', '2001:db8::7'])).toMatchObject({
      options: { cluster: { publicHost: '2001:db8::7' } },
    });
    expect(
      parseCommandLine([...R, '--host', '0.0.0.0', '--public-host', '203.0.113.7']),
    ).toMatchObject({ options: { host: '0.0.0.0', cluster: { publicHost: '203.0.113.7' } } });
  });

  it('prints the Redis URL without its credentials', () => {
    expect(withoutCredentials('redis://:secret@10.0.0.5:6379/2')).toBe('redis://10.0.0.5:6379/2');
    expect(withoutCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('game-network demo --cluster N', () => {
  it('N server processes, 4 rooms of 4 bots by default', () => {
    expect(parseCommandLine(['demo', '--cluster', '3'])).toMatchObject({
      command: 'demo',
      options: { cluster: 3, rooms: 4, players: 4 },
    });
    const plain = parseCommandLine(['demo', '--rooms', '2']);
    expect(plain.command === 'demo' && plain.options.cluster).toBeUndefined();
  });

  it('--rooms R and --players P', () => {
    expect(
      parseCommandLine(['demo', '--cluster', '2', '--rooms', '6', '--players', '3']),
    ).toMatchObject({ options: { cluster: 2, rooms: 6, players: 3 } });
  });
});

describe('bad cluster flags are usage errors naming the flag (exit code 2)', () => {
  const url = /^--redis must be a redis:\/\/ URL like redis:\/\/127\.0\.0\.1:6379/;
  const cases: [string[], RegExp][] = [
    [['server', '--redis', 'localhost:6379'], url],
    [['server', '--redis', 'http://127.0.0.1:6379'], /the scheme is http, not redis or rediss/],
    [['server', '--redis', 'not a url'], /\(not a URL\), got 'not a url'$/],
    [['server', '--redis', 'redis://'], /\(no host\)/],
    [['server', '--redis', 'redis://127.0.0.1:0'], /\(port 0\)/],
    [['server', '--redis', 'redis://127.0.0.1:99999'], url],
    [['server', '--redis', 'redis://127.0.0.1/cache'], /'\/cache' is not a database number/],
    [['server', '--redis'], /^option --redis needs a value$/],
    [[...R, '--public-host', 'a b'], /^--public-host must be a host name or IP address/],
    [[...R, '--public-host', 'http://x'], /^--public-host must be a host name/],
    [[...R, '--public-host', ''], /^--public-host must be a host name/],
    [[...R, '--public-host', 'x'.repeat(254)], /of at most 253 characters/],
    [[...R, '--process-ttl', '100'], /^--process-ttl must be an integer from 500 to 600000/],
    [[...R, '--process-ttl', 'soon'], /^--process-ttl must be an integer from 500 to 600000/],
    [['server', '--public-host', 'h'], /^--public-host goes with --redis \(a cluster\)$/],
    [['server', '--process-ttl', '2000'], /^--process-ttl goes with --redis \(a cluster\)$/],
    [
      [...R, '--host', '0.0.0.0'],
      /^--host 0\.0\.0\.0 listens on every interface: with --redis, give --public-host/,
    ],
    [[...R, '--rooms', 'x'], /^--rooms must be an integer from 0 to 1000/],
    [['demo', '--cluster', '0'], /^--cluster must be an integer from 1 to 8, got '0'$/],
    [['demo', '--cluster', '9'], /^--cluster must be an integer from 1 to 8, got '9'$/],
    [['demo', '--cluster'], /^option --cluster needs a value$/],
    [['demo', '--cluster', '3', '--rooms', '9'], /^--rooms must be an integer from 1 to 8/],
    [['demo', '--cluster', '3', '--players', '9'], /^--players must be at most 8 with --cluster/],
    [
      ['demo', '--cluster', '3', '--desync-at', '3'],
      /^--desync-at is for a single match: not with --cluster$/,
    ],
    [
      ['demo', '--cluster', '3', '--dropout', '100'],
      /^--dropout is for a single match: not with --cluster$/,
    ],
  ];
  it.each(cases)('%j', (argv, message) => expectUsageError(argv, message, ['server', 'demo']));

  it('main prints it on stderr and returns 2, starting nothing', async () => {
    const { code, stdout, stderr } = await runMain(['server', '--redis', 'http://x']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^game-network server: --redis must be a redis:\/\/ URL .*, got 'http:\/\/x'\nRun 'game-network server --help' for usage\.\n$/,
    );
  });
});

describe('help names every cluster flag', () => {
  it.each([
    ['server', ['--redis URL', '--public-host H', '--process-ttl MS']],
    ['demo', ['--cluster N']],
  ] as const)('%s', (command, flags) => {
    for (const flag of flags) expect(HELP[command]).toContain(`  ${flag}`);
  });
});
