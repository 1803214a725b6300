/** The cluster flags, checked: the server's `--redis URL [--public-host H] [--process-ttl MS]` and the demo's `--cluster N`. */
import { Limits } from '../protocol/index.js';
import type { ServerClusterFlags } from './commandOptions.js';
import { parseInteger } from './parseValue.js';
import { UsageError } from './usageError.js';

/** The flag values of one command line, as `parseArgs` gives them. */
type Values = Readonly<Record<string, string | undefined>>;

/** The most server processes `game-network demo --cluster N` starts. */
export const MAX_DEMO_PROCESSES = 8;
/**
 * The most rooms of a cluster demo: every bot comes from 127.0.0.1, and a process makes at
 * most 8 rooms for one address (the `rooms.maxRoomsPerAddress` default).
 */
export const MAX_CLUSTER_DEMO_ROOMS = 8;
/**
 * The most bots of one room of a cluster demo: a room's bots join at once, from one address,
 * and a server takes at most 8 joins at once from one address (`maxAuthenticatingPerAddress`).
 */
export const MAX_CLUSTER_DEMO_PLAYERS = 8;
/** The rooms of a cluster demo without `--rooms`. */
export const CLUSTER_DEMO_ROOMS = 4;

/** The bounds of `--process-ttl`, in ms. */
const MIN_PROCESS_TTL_MS = 500;
const MAX_PROCESS_TTL_MS = 600_000;

/**
 * `--redis URL`: a `redis://` or `rediss://` URL with a host (port and database optional).
 * @throws UsageError naming the flag otherwise.
 */
export function parseRedisUrl(text: string): string {
  const bad = (why: string): UsageError =>
    new UsageError(
      `--redis must be a redis:// URL like redis://127.0.0.1:6379 (${why}), got '${text}'`,
      'server',
    );
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw bad(`the scheme is ${url.protocol.slice(0, -1)}, not redis or rediss`);
  if (url.hostname === '') throw bad('no host');
  if (url.port === '0') throw bad('port 0');
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) throw bad(`'/${db}' is not a database number`);
  return text.trim();
}

/**
 * `--public-host H`: a host name or an IP address (IPv6 without brackets), as players reach
 * this process. At most {@link Limits.hostLength} characters, the most a Redirect carries.
 */
function parsePublicHost(text: string): string {
  const t = text.trim();
  const name =
    /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
  const ipv6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;
  if (t.length > Limits.hostLength || !(name.test(t) || ipv6.test(t)))
    throw new UsageError(
      `--public-host must be a host name or IP address of at most ${Limits.hostLength} characters ` +
        `(how players reach this process, like game.example.com or 203.0.113.7), got '${text}'`,
      'server',
    );
  return t;
}

/** Whether `host` listens on every interface: no address to tell players in a redirect. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * The server's cluster flags: `--redis URL`, and `--public-host H` and `--process-ttl MS`
 * that go with it. `host` is the `--host` the server listens on.
 */
export function serverCluster(v: Values, host: string): { cluster?: ServerClusterFlags } {
  if (v.redis === undefined) {
    for (const flag of ['public-host', 'process-ttl'])
      if (v[flag] !== undefined)
        throw new UsageError(`--${flag} goes with --redis (a cluster)`, 'server');
    return {};
  }
  const redis = parseRedisUrl(v.redis);
  const publicHost = v['public-host'] === undefined ? undefined : parsePublicHost(v['public-host']);
  if (publicHost === undefined && isWildcard(host))
    throw new UsageError(
      `--host ${host} listens on every interface: with --redis, give --public-host ` +
        '(the address other processes send players to)',
      'server',
    );
  const ttl = v['process-ttl'];
  return {
    cluster: {
      redis,
      ...(publicHost === undefined ? {} : { publicHost }),
      ...(ttl === undefined
        ? {}
        : {
            processTtlMs: parseInteger(
              'server',
              'process-ttl',
              ttl,
              MIN_PROCESS_TTL_MS,
              MAX_PROCESS_TTL_MS,
            ),
          }),
    },
  };
}

/**
 * The demo's `--cluster N`, and the `--rooms` and `--players` it allows.
 * @returns the processes, and the rooms to play (`--rooms`, default {@link CLUSTER_DEMO_ROOMS}).
 */
export function demoCluster(
  v: Values,
  players: number,
): { cluster: number; rooms: number } | undefined {
  if (v.cluster === undefined) return undefined;
  const cluster = parseInteger('demo', 'cluster', v.cluster, 1, MAX_DEMO_PROCESSES);
  for (const flag of ['desync-at', 'dropout'])
    if (v[flag] !== undefined)
      throw new UsageError(`--${flag} is for a single match: not with --cluster`, 'demo');
  const rooms =
    v.rooms === undefined
      ? CLUSTER_DEMO_ROOMS
      : parseInteger('demo', 'rooms', v.rooms, 1, MAX_CLUSTER_DEMO_ROOMS);
  if (players > MAX_CLUSTER_DEMO_PLAYERS)
    throw new UsageError(
      `--players must be at most ${MAX_CLUSTER_DEMO_PLAYERS} with --cluster ` +
        '(a server takes 8 joins at once from one address), got ' +
        String(players),
      'demo',
    );
  return { cluster, rooms };
}
