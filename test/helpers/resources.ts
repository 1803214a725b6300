/**
 * Teardown for tests that open sockets and servers: register everything you open, close it all
 * in `afterEach`, so a failing test never leaves a handle that keeps vitest from exiting.
 *
 * @example
 * import { Resources } from '../helpers/resources.js';
 *
 * const resources = new Resources();
 * afterEach(() => resources.closeAll());
 *
 * it('…', async () => {
 *   const server = resources.add(await listenTcp({ host: '127.0.0.1' })); // and its connections
 *   const client = resources.add(await connectTcp({ host: '127.0.0.1', port }));
 *   const udp = resources.add(await bindUdpSocket({ host: '127.0.0.1' }));
 *   const game = resources.add(await createServer(options)); // anything with close()
 * });
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

/** Anything else that can be closed: `close()` may return a promise, which is awaited. */
export interface Closable {
  close(): unknown;
}

/** What {@link Resources.add} accepts. */
export type Resource = net.Server | net.Socket | dgram.Socket | Closable;

/** How long {@link Resources.closeAll} waits for each resource before giving up on it. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Closes one resource; resolves once it is closed (or was already), or after the timeout. */
function closeOne(resource: Resource): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    try {
      if (resource instanceof net.Socket) {
        if (resource.closed) {
          done();
        } else {
          resource.once('close', done);
          resource.destroy();
        }
      } else if (resource instanceof net.Server) {
        // The callback comes once every connection is gone (with an error if not listening).
        resource.close(() => done());
      } else if (resource instanceof dgram.Socket) {
        resource.close(done); // throws ERR_SOCKET_DGRAM_NOT_RUNNING if already closed
      } else {
        Promise.resolve(resource.close()).then(done, done);
      }
    } catch {
      done();
    }
  });
}

/** A list of open sockets and servers, all closed by {@link Resources.closeAll}. */
export class Resources {
  readonly #sockets: net.Socket[] = [];
  readonly #others: Resource[] = [];

  /**
   * Registers a resource to close in {@link closeAll}, and returns it. A `net.Server` also has
   * every connection it accepts from now on registered, since `server.close()` waits for them.
   */
  add<T extends Resource>(resource: T): T {
    if (resource instanceof net.Socket) {
      this.#sockets.push(resource);
    } else {
      this.#others.push(resource);
      if (resource instanceof net.Server) {
        resource.on('connection', (socket: net.Socket) => {
          this.#sockets.push(socket);
        });
      }
    }
    return resource;
  }

  /**
   * Closes everything registered (TCP sockets first, then servers, UDP sockets and the rest,
   * newest first), waits for each to close (at most 5 s each, in parallel), and forgets them.
   * Never rejects.
   */
  async closeAll(): Promise<void> {
    const sockets = this.#sockets.splice(0).reverse();
    const others = this.#others.splice(0).reverse();
    await Promise.all(sockets.map(closeOne));
    await Promise.all(others.map(closeOne));
  }
}
