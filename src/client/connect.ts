// Joins a server over a given transport: the connection, the join handshake, the datagram channel.
import { Subscription } from 'rxjs';
import {
  ConnectTimeoutError,
  ConnectionError,
  GameNetworkError,
  type DisconnectedError,
  type JoinRefusedError,
} from '../errors.js';
import { Limits } from '../protocol/index.js';
import type { Transport, TransportPeer } from '../transport/Transport.js';
import { createWebTransport } from '../transport/ws/webClientTransport.js';
import { GameClient } from './GameClient.js';
import { endedDuringJoin, joinRequest, readJoinAnswer } from './joinHandshake.js';
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
 * has accepted it and the datagram channel is open.
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
export function connect(options: ConnectOptions): Promise<GameClient> {
  if (!options.transport && options.url !== undefined)
    return connectWith(options, createWebTransport({ url: options.url }));
  if (!options.transport)
    return Promise.reject(
      new ConnectionError('no transport: pass options.transport (this build has no default)'),
    );
  return connectWith(options, options.transport);
}

/**
 * `connect` over `transport` (the entry points choose the default).
 * @internal
 */
export async function connectWith(
  options: ConnectOptions,
  transport: Transport,
): Promise<GameClient> {
  const resolved = resolveConnectOptions(options);
  const timeoutMs = resolved.connectTimeoutMs;
  const deadline = performance.now() + timeoutMs;
  const peer = await transport.connect({
    host: resolved.host,
    port: resolved.port,
    timeoutMs,
    maxMessageBytes: Limits.tcpMessageBytes,
    maxDatagramBytes: Limits.maxDatagramBytes,
    localHost: resolved.localHost,
    tls: options.tls,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectTimeoutError(timeoutMs)),
      Math.max(0, deadline - performance.now()),
    );
  });
  // The one subscription to the reliable channel, handed to the client once there is one.
  const reading = new Subscription();
  let client: GameClient | undefined;
  try {
    client = await Promise.race([join(peer, resolved, reading), timeout]);
    await Promise.race([client.opened, timeout]);
    return client;
  } catch (err) {
    if (client) client.end('connection-lost', 'the join did not complete');
    reading.unsubscribe();
    peer.messages.destroy();
    throw err instanceof GameNetworkError
      ? err
      : new ConnectionError(`the join did not complete: ${String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends the join request and reads the answer. The subscription to the reliable channel
 * (added to `reading`) goes, on the same turn, to the client made from the answer, so
 * nothing that follows the answer (a signal, a chat line) is lost.
 */
function join(
  peer: TransportPeer,
  options: ResolvedConnectOptions,
  reading: Subscription,
): Promise<GameClient> {
  return new Promise<GameClient>((resolve, reject) => {
    let client: GameClient | undefined;
    let failed = false;
    const fail = (err: JoinRefusedError | ConnectionError | DisconnectedError): void => {
      failed = true;
      reject(err);
    };
    reading.add(
      peer.messages.messages$.subscribe({
        next: (bytes) => {
          if (client) return client.onMessage(bytes);
          if (failed) return;
          const answer = readJoinAnswer(bytes);
          if ('failed' in answer) return fail(answer.failed);
          client = new GameClient(peer, answer.accepted, options);
          client.own(reading);
          resolve(client);
        },
        error: (err: Error) => (client ? client.onClosed(err) : fail(endedDuringJoin(err))),
        complete: () => (client ? client.onClosed(undefined) : fail(endedDuringJoin(undefined))),
      }),
    );
    peer.messages.send(joinRequest(options.username, options.password));
  });
}
