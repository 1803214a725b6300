// Test set-up for transports: a listener and one connected pair of peers, their datagram channels opened by relaying signals by hand.
import { firstValueFrom, interval, take, type Observable } from 'rxjs';
import type {
  DatagramChannel,
  ListenOptions,
  MessageListener,
  Transport,
  TransportPeer,
} from '../../src/transport/Transport.js';
import type { Resources } from '../helpers/resources.js';
import { settleWithin, type WaitOptions } from '../helpers/waitFor.js';

export const HOST = '127.0.0.1';
export const MAX_MESSAGE_BYTES = 4096;
export const MAX_DATAGRAM_BYTES = 1200;

export const listenOptions: ListenOptions = {
  host: HOST,
  port: 0,
  udpPort: 0,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxDatagramBytes: MAX_DATAGRAM_BYTES,
};

/** A listener (closed by `resources`). */
export async function listen(transport: Transport, resources: Resources): Promise<MessageListener> {
  return resources.add(await transport.listen(listenOptions));
}

/** A client peer connected to `listener`, and the server's peer for it (both destroyed by `resources`). */
export async function connectPair(
  transport: Transport,
  listener: MessageListener,
  resources: Resources,
): Promise<{ server: TransportPeer; client: TransportPeer }> {
  const accepted = firstValueFrom(listener.connections$);
  const client = await transport.connect({
    host: HOST,
    port: listener.address.tcpPort,
    timeoutMs: 2000,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    maxDatagramBytes: MAX_DATAGRAM_BYTES,
  });
  resources.add({ close: () => client.messages.destroy() });
  const server = await accepted;
  resources.add({ close: () => server.messages.destroy() });
  return { server, client };
}

/** Opens both sides' datagram channels, each side's signals forwarded to the other's `signal()`. */
export async function openDatagrams(
  server: TransportPeer,
  client: TransportPeer,
): Promise<{ serverChannel: DatagramChannel; clientChannel: DatagramChannel }> {
  const [serverChannel, clientChannel] = await Promise.all([
    server.openDatagrams((data) => client.signal(data)),
    client.openDatagrams((data) => server.signal(data)),
  ]);
  return { serverChannel, clientChannel };
}

/**
 * Sends `data` every `everyMs` until `received$` emits (a datagram may be lost), and resolves
 * with what it emitted. Bounded like every wait helper.
 */
export function sendUntilReceived<T>(
  channel: DatagramChannel,
  data: Uint8Array,
  received$: Observable<T>,
  options: WaitOptions & { everyMs?: number } = {},
): Promise<T> {
  return settleWithin<T>('a datagram to arrive', options, (resolve, reject) => {
    const receiving = received$.pipe(take(1)).subscribe({
      next: resolve,
      error: reject,
      complete: () => reject(new Error('completed before a datagram arrived')),
    });
    channel.send(data);
    const resending = interval(options.everyMs ?? 20).subscribe(() => channel.send(data));
    return () => {
      receiving.unsubscribe();
      resending.unsubscribe();
    };
  });
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
