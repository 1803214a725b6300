// Joins (or reconnects to) a server over a given transport: the connection, the handshake, the datagram channel.
import { Subscription } from 'rxjs';
import {
  ConnectTimeoutError,
  ConnectionError,
  GameNetworkError,
  type DisconnectedError,
  type JoinRefusedError,
} from '../errors.js';
import {
  Limits,
  MessageType,
  type JoinAccepted,
  type Redirect,
  type WatchAccepted,
} from '../protocol/index.js';
import type { Transport, TransportPeer } from '../transport/Transport.js';
import { coreTransport, webTransportTo } from './coreTransport.js';
import { GameClient, type Connection } from './GameClient.js';
import { endedDuringJoin, joinRequest, readJoinAnswer, reconnectRequest } from './joinHandshake.js';
import {
  resolveConnectOptions,
  type ConnectOptions,
  type ResolvedConnectOptions,
} from './options.js';

export { GameClient } from './GameClient.js';
export type { ClientEvents } from './GameClient.js';
export type { ConnectOptions } from './options.js';

/**
 * Joins a lockstep server: connects, sends the join request, and resolves once the server
 * has accepted it (a seat is held for this player) and the datagram channel is open. The
 * match's frames follow from its first tick (a catch-up); the player takes part in them once
 * it is ready (`client.ready()`, or its first `sendInput`).
 *
 * With `reconnectToken`, it reconnects to that seat instead (after a process restart).
 *
 * With `room`, it joins that room of a server with rooms; with `match: { mode, size }`, an
 * open room of that mode and size with a free seat, or a new one (join-or-create).
 *
 * With `url` and no `transport`, the web transport (a WebSocket and a WebRTC data channel:
 * what a browser has). Otherwise pass `options.transport` (in Node, import from
 * `game-network` or `game-network/node` to get the Node transport by default).
 *
 * @example
 * const client = await connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann', transport });
 * client.frames$.subscribe((frame) => simulate(frame));
 * setInterval(() => client.sendInput(readController()), 1000 / client.tickRate);
 *
 * @param options The server's address, this player's credentials, and the transport.
 * @returns The connected client.
 * @throws JoinRefusedError with the reason if the server refuses; ConnectTimeoutError if no
 * answer comes within `connectTimeoutMs`; ConnectionError if the server cannot be reached or
 * no transport is given.
 */
export async function connect(options: ConnectOptions): Promise<GameClient> {
  // Async: no transport is a rejection, as every other failure.
  return connectWith(options, coreTransport(options), webTransportTo);
}

/**
 * `connect` over `transport` (the entry points choose the default).
 * @internal
 */
export async function connectWith(
  options: ConnectOptions,
  transport: Transport,
  transportFor?: (url: string) => Transport,
): Promise<GameClient> {
  const resolved = resolveConnectOptions(options);
  let client: GameClient | undefined;
  // Where the session is: the server given, or the process a redirect sent it to.
  let target: Target = { host: resolved.host, port: resolved.port, transport };
  const redial = (token: Uint8Array, lastTick: number): Promise<void> =>
    dial(target, resolved, reconnectRequest(token, lastTick, client!.room), (peer, accepted) => {
      if (accepted.type !== MessageType.JoinAccepted)
        throw new ConnectionError('a reconnect was answered as a spectator');
      return client!.reattach(peer, accepted);
    }).then(() => undefined);
  let request = resolved.reconnectToken
    ? reconnectRequest(resolved.reconnectToken, resolved.lastFrameTick, resolved.room)
    : joinRequest(resolved.username, resolved.password, resolved.spectate, resolved.roomAsk);
  for (let hops = 0; ; hops++) {
    try {
      await dial(target, resolved, request, (peer, accepted) => {
        client = new GameClient(
          peer,
          accepted,
          resolved,
          redial,
          resolved.reconnectToken !== undefined,
        );
        return client.connection;
      });
      return client!;
    } catch (err) {
      if (!(err instanceof Redirected)) throw err;
      if (hops >= MAX_REDIRECTS)
        throw new ConnectionError(`redirected more than ${MAX_REDIRECTS} times`);
      const to = err.redirect;
      target = redirectTarget(
        target,
        to,
        options.transport ? undefined : options.url,
        transportFor,
      );
      request = joinRequest(
        resolved.username,
        resolved.password,
        resolved.spectate,
        { roomId: to.roomId },
        to.reservation,
      );
    }
  }
}

/** Redirects a join follows at most (a cluster sends one). */
const MAX_REDIRECTS = 3;

/** Where a connection goes. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
}

/** The server sent the join to another process. */
class Redirected extends Error {
  constructor(readonly redirect: Redirect) {
    super(`redirected to ${redirect.host}:${redirect.port}`);
  }
}

/**
 * Where a redirect sends the join: the same transport to the owner's host and port, or, for
 * a client that came in by `url` (the web transport), the owner's web endpoint.
 */
function redirectTarget(
  from: Target,
  to: Redirect,
  url: string | undefined,
  transportFor: ((url: string) => Transport) | undefined,
): Target {
  if (url === undefined || !transportFor)
    return { host: to.host, port: to.port, transport: from.transport };
  if (to.webPort === undefined)
    throw new ConnectionError(`redirected to ${to.host}, which has no web endpoint`);
  // The same scheme (wss stays wss) and path as the endpoint first asked, at the owner.
  const next = new URL(url);
  next.hostname = to.host.includes(':') ? `[${to.host}]` : to.host;
  next.port = String(to.webPort);
  return { host: to.host, port: to.webPort, transport: transportFor(next.toString()) };
}

/**
 * Connects, sends `request` (Join or Reconnect) and reads the answer; `attach` makes the
 * connection's handler from the peer and JoinAccepted on the same turn, so nothing that
 * follows the answer (a signal, the catch-up, a chat line) is lost. Resolves once its
 * datagram channel is open.
 */
async function dial(
  target: Target,
  resolved: ResolvedConnectOptions,
  request: Uint8Array,
  attach: (peer: TransportPeer, accepted: JoinAccepted | WatchAccepted) => Connection,
): Promise<Connection> {
  const timeoutMs = resolved.connectTimeoutMs;
  const deadline = performance.now() + timeoutMs;
  const peer = await target.transport.connect({
    host: target.host,
    port: target.port,
    timeoutMs,
    maxMessageBytes: Limits.tcpMessageBytes,
    maxDatagramBytes: Limits.maxDatagramBytes,
    localHost: resolved.localHost,
    tls: resolved.tls,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectTimeoutError(timeoutMs)),
      Math.max(0, deadline - performance.now()),
    );
  });
  // The one subscription to the reliable channel, handed to the connection once there is one.
  const reading = new Subscription();
  let connection: Connection | undefined;
  try {
    connection = await Promise.race([answer(peer, request, reading, attach), timeout]);
    await Promise.race([connection.opened, timeout]);
    return connection;
  } catch (err) {
    if (connection) connection.abandon('the join did not complete');
    reading.unsubscribe();
    peer.messages.destroy();
    throw err instanceof GameNetworkError || err instanceof Redirected
      ? err
      : new ConnectionError(`the join did not complete: ${String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** Sends the request and reads the answer (the first message). */
function answer(
  peer: TransportPeer,
  request: Uint8Array,
  reading: Subscription,
  attach: (peer: TransportPeer, accepted: JoinAccepted | WatchAccepted) => Connection,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    let connection: Connection | undefined;
    let failed = false;
    const fail = (err: JoinRefusedError | ConnectionError | DisconnectedError): void => {
      failed = true;
      reject(err);
    };
    reading.add(
      peer.messages.messages$.subscribe({
        next: (bytes) => {
          if (connection) return connection.onMessage(bytes);
          if (failed) return;
          const read = readJoinAnswer(bytes);
          if ('failed' in read) return fail(read.failed);
          if ('redirect' in read) {
            failed = true;
            return reject(new Redirected(read.redirect));
          }
          connection = attach(peer, read.accepted);
          connection.own(reading);
          resolve(connection);
        },
        error: (err: Error) => (connection ? connection.onClosed(err) : fail(endedDuringJoin(err))),
        complete: () =>
          connection ? connection.onClosed(undefined) : fail(endedDuringJoin(undefined)),
      }),
    );
    peer.messages.send(request);
  });
}
