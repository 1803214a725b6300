// Test helper: a real Debian `redis-server` on a free loopback port, no persistence, that a test can stop and restart.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { settleWithin } from './waitFor.js';

/** The server binary: `REDIS_SERVER_PATH`, else `redis-server` on the PATH. */
export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH ?? 'redis-server';

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

/** How long a start waits for the server to answer PING, in milliseconds. */
const READY_TIMEOUT_MS = 10_000;
/** How long a stop waits for the server to exit after SIGTERM before it kills it. */
const STOP_TIMEOUT_MS = 5_000;
/** Tries at a fresh port when another process took the one picked. */
const PORT_TRIES = 5;

/** A port free on 127.0.0.1 now (bound with port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port given'))));
    });
  });
}

/** One PING over a fresh socket: whether the answer is `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data: Buffer) => {
      reply += data.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/** Thrown by a start that the server did not survive (a port taken by someone else, ...). */
class ServerExitedError extends Error {
  override name = 'ServerExitedError';
}

/**
 * A `redis-server` child process on 127.0.0.1 (no RDB, no AOF). `RedisServer.start()` picks
 * the port; `stop` and `restart` (same port, empty data) let a test take Redis away.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private log = '';

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
    return this.child !== undefined;
  }

  /** Starts a server on a free port, retrying at another port if the picked one was taken. */
  static async start(): Promise<RedisServer> {
    let last: unknown;
    for (let i = 0; i < PORT_TRIES; i++) {
      const server = new RedisServer(await freePort());
      try {
        await server.launch();
        return server;
      } catch (err) {
        last = err;
        if (!(err instanceof ServerExitedError)) throw err;
      }
    }
    throw new Error(`redis-server did not start on any of ${PORT_TRIES} ports`, { cause: last });
  }

  /** Stops the server (SIGTERM, then SIGKILL if it has not exited in time) and waits for its exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and starts a new, empty one on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    let last: unknown;
    // The port was ours a moment ago; a socket of the old server in TIME_WAIT does not stop a
    // new bind (Redis sets SO_REUSEADDR), but another process may have taken it: a few tries.
    for (let i = 0; i < PORT_TRIES; i++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        last = err;
        if (!(err instanceof ServerExitedError)) throw err;
      }
    }
    throw new Error(`redis-server did not start again on port ${this.port}`, { cause: last });
  }

  /** Spawns the server on this port and waits until it answers PING (bounded). */
  private async launch(): Promise<void> {
    this.log = '';
    const child = spawn(
      REDIS_SERVER_PATH,
      ['--save', '', '--appendonly', 'no', '--port', String(this.port), '--bind', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (data: Buffer): void => {
      this.log = (this.log + data.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.child = child;
    try {
      await settleWithin<void>(
        `redis-server on port ${this.port} to answer PING`,
        { timeoutMs: READY_TIMEOUT_MS },
        (resolve, reject) => {
          let stopped = false;
          let timer: NodeJS.Timeout | undefined;
          const onExit = (): void =>
            reject(new ServerExitedError(`redis-server exited before it was ready:\n${this.log}`));
          const onError = (err: Error): void => reject(err);
          child.once('exit', onExit);
          child.once('error', onError);
          const check = async (): Promise<void> => {
            if (stopped) return;
            // Our own server's log says it is ready: a PONG alone may come from another
            // process that holds the port (ours then exits with "Address already in use").
            if (this.log.includes('Ready to accept connections') && (await ping(this.port))) {
              if (!stopped) resolve();
            } else if (!stopped) timer = setTimeout(() => void check(), 20);
          };
          void check();
          return () => {
            stopped = true;
            clearTimeout(timer);
            child.off('exit', onExit);
            child.off('error', onError);
          };
        },
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
  }
}
