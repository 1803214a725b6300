import { Observable, Subject } from 'rxjs';
import { ConnectionError, MessageTooLargeError } from '../errors.js';
import type { Datagram } from '../sources/fromUdpSocket.js';
import type {
  DatagramEndpoint,
  MessageConnection,
  MessageListener,
  Transport,
} from './Transport.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** Datagrams held in flight at most; beyond it they are dropped, as a full socket buffer does. Default `65536`. */
  maxInFlight?: number;
}

/**
 * An in-process network: datagram endpoints and message connections that live in one
 * Node process, with no socket at all. Everything sent is delivered asynchronously (on a
 * later turn of the event loop, in order), as a real network would.
 *
 * For tests of games built on this library, and to run the same conformance suite over
 * every transport. Put the link conditioner on top (`conditioner` option) for a bad network.
 *
 * @example
 * const net = createMemoryTransport();
 * const server = await createServer({ transport: net });
 * const client = await connect({ transport: net, host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
 *
 * @returns A transport; every endpoint and listener made from it can reach the others.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const maxInFlight = options.maxInFlight ?? 65536;
  const endpoints = new Map<string, (d: Datagram) => void>();
  const listeners = new Map<
    string,
    { accept: (conn: MessageConnection) => void; maxMessageBytes: number }
  >();
  let nextPort = 40000;
  let inFlight = 0;
  const key = (host: string, port: number): string => `${host}:${port}`;
  const allocate = (host: string, port: number, taken: Map<string, unknown>): number => {
    if (port !== 0) {
      if (taken.has(key(host, port)))
        throw new ConnectionError(`address in use: ${key(host, port)}`);
      return port;
    }
    while (taken.has(key(host, nextPort))) nextPort++;
    return nextPort++;
  };

  /** Two connected ends; what one sends, the other receives. */
  const pair = (
    aAddress: string,
    bAddress: string,
    aLimit: number,
    bLimit: number,
  ): [MessageConnection, MessageConnection] => {
    const make = (remoteAddress: string) => {
      const inbox = new Subject<Uint8Array>();
      let open = true;
      return { remoteAddress, inbox, isOpen: () => open, close: () => (open = false) };
    };
    const a = make(bAddress);
    const b = make(aAddress);
    const end = (from: typeof a, to: typeof a, failed: boolean): void => {
      if (!from.isOpen()) return;
      from.close();
      setImmediate(() => {
        if (failed) to.inbox.error(new ConnectionError('connection reset by peer'));
        else to.inbox.complete();
        from.inbox.complete();
        to.close();
      });
    };
    const conn = (self: typeof a, other: typeof a, maxMessageBytes: number): MessageConnection => ({
      remoteAddress: self.remoteAddress,
      messages$: new Observable<Uint8Array>((subscriber) => self.inbox.subscribe(subscriber)),
      send: (message) => {
        if (!self.isOpen()) return false;
        const copy = message.slice();
        setImmediate(() => {
          if (!other.isOpen() && other.inbox.closed) return;
          if (copy.length > maxMessageBytes) {
            other.inbox.error(new MessageTooLargeError(copy.length, maxMessageBytes));
            end(other, self, true);
            return;
          }
          other.inbox.next(copy);
        });
        return true;
      },
      end: () => end(self, other, false),
      destroy: () => end(self, other, true),
      bufferedBytes: 0, // delivered on the next turn of the event loop, whatever the reader does
    });
    // Each side checks what it receives against its own limit.
    return [conn(a, b, bLimit), conn(b, a, aLimit)];
  };

  return {
    bindDatagrams({ host, port }) {
      const bound = allocate(host, port, endpoints);
      const datagrams = new Subject<Datagram>();
      const sendErrors = new Subject<Error>();
      endpoints.set(key(host, bound), (d) => datagrams.next(d));
      let closed: Promise<void> | undefined;
      const endpoint: DatagramEndpoint = {
        port: bound,
        datagrams$: datagrams.asObservable(),
        sendErrors$: sendErrors.asObservable(),
        send: (data, toPort, toAddress) => {
          if (closed) {
            setImmediate(() => sendErrors.next(new ConnectionError('endpoint closed')));
            return;
          }
          if (inFlight >= maxInFlight) return; // dropped, as a full buffer would
          inFlight++;
          const copy = data.slice();
          setImmediate(() => {
            inFlight--;
            endpoints.get(key(toAddress, toPort))?.({ data: copy, address: host, port: bound });
          });
        },
        close: () =>
          (closed ??= new Promise<void>((resolve) => {
            endpoints.delete(key(host, bound));
            setImmediate(() => {
              datagrams.complete();
              sendErrors.complete();
              resolve();
            });
          })),
      };
      return Promise.resolve(endpoint);
    },

    listen({ host, port, maxMessageBytes }) {
      const bound = allocate(host, port, listeners);
      const connections = new Subject<MessageConnection>();
      listeners.set(key(host, bound), {
        accept: (conn) => connections.next(conn),
        maxMessageBytes,
      });
      let closed: Promise<void> | undefined;
      const listener: MessageListener = {
        port: bound,
        connections$: connections.asObservable(),
        close: () =>
          (closed ??= new Promise<void>((resolve) => {
            listeners.delete(key(host, bound));
            connections.complete();
            setImmediate(resolve);
          })),
      };
      return Promise.resolve(listener);
    },

    connect({ host, port, maxMessageBytes }) {
      return new Promise<MessageConnection>((resolve, reject) => {
        setImmediate(() => {
          const listener = listeners.get(key(host, port));
          if (!listener) {
            reject(new ConnectionError(`connection refused: ${key(host, port)}`));
            return;
          }
          // One network host: both ends have the address the client dialled.
          const [clientEnd, serverEnd] = pair(
            host,
            host,
            maxMessageBytes,
            listener.maxMessageBytes,
          );
          listener.accept(serverEnd);
          resolve(clientEnd);
        });
      });
    },
  };
}
