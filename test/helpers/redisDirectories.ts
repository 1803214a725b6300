// Test helper: Redis room directories on a redis-server of a describe block's own (each test under a key prefix of its own, every directory closed after it), and the probes and child processes those tests share.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  type RedisDirectoryOptions,
  type RedisRoomDirectory,
  redisDirectory,
} from '../../src/cluster/redisDirectory.js';
import type { ProcessListing } from '../../src/rooms/RoomDirectory.js';
import { RedisServer } from './redisServer.js';
import { waitFor } from './waitFor.js';

/** The repository's root: where a fixture process runs. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A describe block's Redis server, and the directories its tests open on it. */
export interface RedisDirectories {
  /** The server: started before the block's tests, stopped after them. */
  readonly server: RedisServer;
  /** Its `redis://` URL. */
  readonly url: string;
  /** A directory on the server (the block's defaults, then `options`), closed after the test. */
  readonly open: (
    options: Partial<RedisDirectoryOptions> & { keyPrefix: string },
  ) => RedisRoomDirectory;
}

/**
 * Call in a `describe`: starts a `redis-server` before its tests and stops it after them, and
 * closes after each test every directory it opened with `open`.
 * @param defaults Options of every directory `open` makes.
 */
export function useRedisDirectories(
  defaults: Partial<RedisDirectoryOptions> = {},
): RedisDirectories {
  let server: RedisServer | undefined;
  const opened: RedisRoomDirectory[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((dir) => dir.close()));
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): RedisServer => {
    if (!server) throw new Error('no redis-server');
    return server;
  };
  return {
    get server() {
      return started();
    },
    get url() {
      return started().url;
    },
    open: (options) => {
      const dir = redisDirectory({ redis: started().url, ...defaults, ...options });
      opened.push(dir);
      return dir;
    },
  };
}

/** A key prefix of its own, for one test. */
export const freshPrefix = (): string => `t-${randomUUID()}:`;

/** A process's listing: its id, 127.0.0.1:`port`, no load. */
export const processListing = (processId: string, port = 7000): ProcessListing => ({
  processId,
  address: { host: '127.0.0.1', port },
  load: 0,
});

/** A probe that counts a failed call (Redis away) as "not yet". */
export const orFalse =
  <T>(probe: () => Promise<T>) =>
  async (): Promise<T | false> => {
    try {
      return await probe();
    } catch {
      return false;
    }
  };

/** Runs `use` on a plain Redis connection to `url` (to look at or change keys), disconnected after. */
export async function withRedis<T>(url: string, use: (raw: Redis) => Promise<T>): Promise<T> {
  const raw = new Redis(url);
  try {
    return await use(raw);
  } finally {
    raw.disconnect();
  }
}

/** A fixture process: its stdout a pipe, its stderr the test's. */
export type FixtureProcess = ChildProcessByStdio<null, Readable, null>;

/**
 * Runs the fixture script `fixture` (a path from the repository's root, run with tsx) with
 * `env` added to this process's, waits until it prints `ready` (at most 20 s; `readyMessage`
 * says what for), then `use`; the process is killed after (SIGKILL), however it went.
 */
export async function withFixtureProcess(
  fixture: string,
  env: Record<string, string | undefined>,
  readyMessage: string,
  use: (child: FixtureProcess) => Promise<void>,
): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), { timeoutMs: 20_000, message: readyMessage });
    await use(child);
  } finally {
    child.kill('SIGKILL');
  }
}

/** Kills `child` with SIGKILL and waits for its exit. */
export async function killAndWait(child: FixtureProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
