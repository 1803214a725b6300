// Test helper: a real Debian `redis-server` on a free loopback port, no persistence, that a test can stop and restart.
import { spawnSync } from 'node:child_process';
import {
  RedisProcess,
  RedisServerExitedError,
  redisServerPath,
} from '../../src/cli/redisProcess.js';

export { freePort } from '../../src/cli/redisProcess.js';

/** The server binary: `REDIS_SERVER_PATH`, else `redis-server` on the PATH. */
export const REDIS_SERVER_PATH = redisServerPath();

/** Set in CI (.ci/run): a missing `redis-server` is then a failure, never a skipped test. */
export const REDIS_REQUIRED = process.env.GAME_NETWORK_REQUIRE_REDIS === '1';

/** Whether `redis-server` runs here. */
export function hasRedisServer(): boolean {
  return spawnSync(REDIS_SERVER_PATH, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether the Redis tests can run: true when `redis-server` is there; else throws when they
 * are required (GAME_NETWORK_REQUIRE_REDIS=1), and warns and gives false otherwise (the
 * caller skips its tests).
 */
export function redisTestsRunnable(): boolean {
  if (hasRedisServer()) return true;
  if (REDIS_REQUIRED)
    throw new Error(
      `Redis tests are required here (GAME_NETWORK_REQUIRE_REDIS=1) but ${REDIS_SERVER_PATH} does not run (apt-get install -y redis-server)`,
    );
  console.warn(
    `skipping the Redis tests: no ${REDIS_SERVER_PATH} here (apt-get install -y redis-server)`,
  );
  return false;
}

/** Tries at the same port when another process took it meanwhile. */
const PORT_TRIES = 5;

/**
 * A `redis-server` child process on 127.0.0.1 (no RDB, no AOF): the cluster demo's
 * {@link RedisProcess}, which `stop` and `restart` (same port, empty data) let a test take
 * away and bring back.
 */
export class RedisServer {
  private process: RedisProcess | undefined;

  private constructor(
    /** The port it listens on (kept across restarts). */
    readonly port: number,
  ) {}

  /** Its `redis://` URL. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether the server process runs now. */
  get running(): boolean {
    return this.process !== undefined;
  }

  /** Starts a server on a free port, retrying at another port if the picked one was taken. */
  static async start(): Promise<RedisServer> {
    const process = await RedisProcess.start();
    const server = new RedisServer(process.port);
    server.process = process;
    return server;
  }

  /** Stops the server (SIGTERM, then SIGKILL if it has not exited in time) and waits for its exit. */
  async stop(): Promise<void> {
    const process = this.process;
    this.process = undefined;
    await process?.stop();
  }

  /** Stops the server and starts a new, empty one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    let last: unknown;
    // The port was ours a moment ago; a socket of the old server in TIME_WAIT does not stop a
    // new bind (Redis sets SO_REUSEADDR), but another process may have taken it: a few tries.
    for (let i = 0; i < PORT_TRIES; i++) {
      try {
        this.process = await RedisProcess.startOn(this.port, REDIS_SERVER_PATH);
        return;
      } catch (err) {
        last = err;
        if (!(err instanceof RedisServerExitedError)) throw err;
      }
    }
    throw new Error(`redis-server did not start again on port ${this.port}`, { cause: last });
  }
}
