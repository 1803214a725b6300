// An in-process transport with no sockets: the same contract as the Node transport, for tests and simulations.
import { Subject } from 'rxjs';
import { ConnectionError } from '../errors.js';
import type { DatagramChannel, MessageListener, Transport, TransportPeer } from './Transport.js';
import type { FlightBudget } from './memory/datagramLink.js';
import { memoryClientPeer, memoryServerPeer } from './memory/memoryPeers.js';
import { OfferBoard } from './memory/offerBoard.js';
import { messagePair } from './memory/messagePair.js';
import { nextTurn } from './memory/nextTurn.js';

/** Options of {@link createMemoryTransport}. */
export interface MemoryTransportOptions {
  /** Datagrams held in flight at most; beyond it they are dropped, as a full socket buffer does. Default `65536`. */
  maxInFlight?: number;
}

/** The first port handed out when 0 is asked for. */
const FIRST_PORT = 40000;

/**
 * An in-process network: listeners, connections and datagram channels that live in one
 * process, with no socket at all. Everything sent is delivered asynchronously (on a later
 * turn of the event loop, in order), as a real network would.
 *
 * The same contract as the Node transport: a server peer's `openDatagrams` signals an opaque
 * id (4 bytes) that the client's peer uses to find its pair; an id that is not one of its own
 * connection's is a warning and a rejection. Listeners are found by `host:port`; `address`
 * gives made-up TCP and UDP ports (0 picks free ones, from 40000 up).
 *
 * For tests of games built on this library, and to run the same conformance suite over
 * every transport. Put the link conditioner on top (`conditioner` option) for a bad network.
 *
 * @example
 * const net = createMemoryTransport();
 * const server = await createServer({ transport: net });
 * const client = await connect({ transport: net, host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
 *
 * @param options `maxInFlight` (default 65536).
 * @returns A transport; every listener made from it can be reached by its `connect`.
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const budget: FlightBudget = { inFlight: 0, maxInFlight: options.maxInFlight ?? 65536 };
  const board = new OfferBoard();
  const listeners = new Map<
    string,
    {
      accept: (peer: TransportPeer) => boolean;
      maxMessageBytes: number;
      maxDatagramBytes: number;
      track: (closed: Promise<void>) => void;
      onChannel: (channel: DatagramChannel) => void;
    }
  >();
  const udpPorts = new Set<string>();
  let nextPort = FIRST_PORT;
  const key = (host: string, port: number): string => `${host}:${port}`;
  const allocate = (host: string, port: number, taken: { has(k: string): boolean }): number => {
    if (port !== 0) {
      if (taken.has(key(host, port)))
        throw new ConnectionError(`address in use: ${key(host, port)}`);
      return port;
    }
    while (taken.has(key(host, nextPort))) nextPort++;
    return nextPort++;
  };

  return {
    listen({ host, port, udpPort, maxMessageBytes, maxDatagramBytes }) {
      let tcpPort: number;
      let boundUdp: number;
      try {
        tcpPort = allocate(host, port, listeners);
        boundUdp = allocate(host, udpPort, udpPorts);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const connections = new Subject<TransportPeer>();
      const warnings = new Subject<never>();
      const open = new Set<Promise<void>>();
      const channels = new Set<DatagramChannel>();
      let closing = false;
      listeners.set(key(host, tcpPort), {
        accept: (peer) => {
          if (closing || !connections.observed) return false;
          connections.next(peer);
          return true;
        },
        maxMessageBytes,
        maxDatagramBytes,
        track: (closed) => {
          open.add(closed);
          void closed.then(() => open.delete(closed));
        },
        onChannel: (channel) => {
          channels.add(channel);
          channel.datagrams$.subscribe({ complete: () => channels.delete(channel) });
        },
      });
      udpPorts.add(key(host, boundUdp));
      let closed: Promise<void> | undefined;
      const listener: MessageListener = {
        address: { tcpPort, udpPort: boundUdp },
        connections$: connections.asObservable(),
        warnings$: warnings.asObservable(),
        close: () =>
          (closed ??= (async () => {
            closing = true;
            listeners.delete(key(host, tcpPort));
            udpPorts.delete(key(host, boundUdp));
            connections.complete();
            // The listener's datagram "socket" closes: every channel it opened completes.
            for (const c of [...channels]) c.close();
            await Promise.all([...open]);
            await new Promise<void>((resolve) => nextTurn(resolve));
            warnings.complete();
          })()),
      };
      return Promise.resolve(listener);
    },

    connect({ host, port, maxMessageBytes, maxDatagramBytes }) {
      return new Promise<TransportPeer>((resolve, reject) => {
        nextTurn(() => {
          const listener = listeners.get(key(host, port));
          if (!listener) {
            reject(new ConnectionError(`connection refused: ${key(host, port)}`));
            return;
          }
          const pair = messagePair({ client: maxMessageBytes, server: listener.maxMessageBytes });
          // One network host: each end sees the address the client dialled.
          const shared = {
            connection: {},
            board,
            budget,
            closed: pair.closed,
            remoteAddress: host,
          };
          const serverPeer = memoryServerPeer(
            pair.server,
            { ...shared, maxDatagramBytes: listener.maxDatagramBytes },
            listener.onChannel,
          );
          const clientPeer = memoryClientPeer(pair.client, { ...shared, maxDatagramBytes });
          listener.track(pair.closed);
          if (!listener.accept(serverPeer)) {
            pair.server.destroy();
            reject(new ConnectionError(`connection refused: ${key(host, port)}`));
            return;
          }
          resolve(clientPeer);
        });
      });
    },
  };
}
