/** A `redis-server` child process for the cluster demo: a free 127.0.0.1 port, no persistence, ready once it answers PING. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** The binary: `REDIS_SERVER_PATH` if set, else `redis-server` on the PATH (Debian's). */
export function redisServerPath(): string {
  return process.env.REDIS_SERVER_PATH ?? 'redis-server';
}

/** `redis-server` is not installed (or does not run). */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
  constructor(readonly path: string) {
    super(
      `${path} was not found (or does not run): the cluster demo needs a Redis server; ` +
        'install it with: apt-get install redis-server',
    );
  }
}

/** `redis-server` did not get ready (it exited, or never answered PING in time). */
export class RedisServerStartError extends Error {
  override name = 'RedisServerStartError';
}

/** `redis-server` exited before it was ready (most often: another process has its port). */
export class RedisServerExitedError extends RedisServerStartError {
  override name = 'RedisServerExitedError';
}

/** How long a start waits for PING to be answered. */
const READY_TIMEOUT_MS = 10_000;
/** How long a stop waits after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** Ports tried when another process takes the one picked first. */
const PORT_TRIES = 5;

/** A port free on 127.0.0.1 now (bound with port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port given'))));
    });
  });
}

/** One PING on a fresh connection: whether `+PONG` came back within a second. */
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

/** A running `redis-server` on 127.0.0.1. Start one with {@link RedisProcess.start}; `stop` it. */
export class RedisProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** The port it listens on. */
    readonly port: number,
  ) {}

  /** Its URL, for `--redis`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts `redis-server --save '' --appendonly no` on a free 127.0.0.1 port and waits until
   * it answers PING (at most 10 s; another port if the first was taken meanwhile).
   * @throws RedisServerMissingError if the binary is not there; RedisServerStartError if it does not get ready.
   */
  static async start(): Promise<RedisProcess> {
    const path = redisServerPath();
    const version = spawnSync(path, ['--version'], { stdio: 'ignore' });
    if (version.error || version.status !== 0) throw new RedisServerMissingError(path);
    let last: Error | undefined;
    for (let i = 0; i < PORT_TRIES; i++) {
      const port = await freePort();
      try {
        return await RedisProcess.startOn(port, path);
      } catch (err) {
        last = err instanceof Error ? err : new Error(String(err));
      }
    }
    throw new RedisServerStartError(
      `redis-server did not start on any of ${PORT_TRIES} ports: ${last?.message ?? ''}`,
    );
  }

  /**
   * Starts `redis-server --save '' --appendonly no` on 127.0.0.1:`port` and waits until it
   * answers PING (at most 10 s); if it does not, it is stopped.
   * @param path The binary. Default: {@link redisServerPath}.
   * @throws RedisServerExitedError if it exits first (its port taken?); RedisServerStartError if it does not answer in time; the spawn's error if it cannot be run.
   */
  static async startOn(port: number, path = redisServerPath()): Promise<RedisProcess> {
    const child = spawn(
      path,
      ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const redis = new RedisProcess(child, port);
    try {
      await redis.ready();
      return redis;
    } catch (err) {
      await redis.stop();
      throw err;
    }
  }

  /** Stops it (SIGTERM, SIGKILL after 5 s) and waits for its exit. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Resolves once its own log says ready and PING is answered; rejects if it exits or takes too long. */
  private ready(): Promise<void> {
    const { child, port } = this;
    let log = '';
    const keep = (data: Buffer): void => {
      log = (log + data.toString()).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(deadline);
        child.off('exit', onExit);
        child.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onExit = (): void =>
        finish(new RedisServerExitedError(`redis-server exited before it was ready:\n${log}`));
      const onError = (err: Error): void => finish(err);
      const deadline = setTimeout(
        () =>
          finish(
            new RedisServerStartError(
              `redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`,
            ),
          ),
        READY_TIMEOUT_MS,
      );
      child.once('exit', onExit);
      child.once('error', onError);
      const check = async (): Promise<void> => {
        if (done) return;
        // Its own log says ready: a PONG alone could come from another process on that port.
        if (log.includes('Ready to accept connections') && (await ping(port))) finish();
        else if (!done) timer = setTimeout(() => void check(), 20);
      };
      void check();
    });
  }
}
