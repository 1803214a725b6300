import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, MessageTooLargeError } from '../../src/errors.js';
import { createMemoryTransport } from '../../src/transport/memoryTransport.js';
import { nodeTransport } from '../../src/transport/nodeTransport.js';
import type { Transport, TransportWarning } from '../../src/transport/Transport.js';
import { Resources } from '../helpers/resources.js';
import {
  waitForComplete,
  waitForError,
  waitForOutcome,
  waitForValues,
} from '../helpers/waitFor.js';
import {
  bytes,
  connectPair,
  HOST,
  listen,
  MAX_DATAGRAM_BYTES,
  MAX_MESSAGE_BYTES,
  openDatagrams,
  sendUntilReceived,
} from './peers.js';
import { selfSigned, type SelfSigned } from './selfSigned.js';

/** The Node transport with TLS on its reliable channel (a certificate made for this run). */
function nodeOverTls(): Transport {
  const { key, cert } = (certificate ??= selfSigned());
  return {
    listen: (options) => nodeTransport.listen({ ...options, tls: { key, cert } }),
    connect: (options) => nodeTransport.connect({ ...options, tls: { ca: cert } }),
  };
}
let certificate: SelfSigned | undefined;

/** One suite over every transport, against the interface only. */
const transports: [string, () => Transport][] = [
  ['node', () => nodeTransport],
  ['node over TLS', nodeOverTls],
  ['memory', () => createMemoryTransport()],
];

describe.each(transports)('the %s transport', (_name, makeTransport) => {
  const resources = new Resources();
  afterEach(() => resources.closeAll());

  async function setUp() {
    const transport = makeTransport();
    const listener = await listen(transport, resources);
    const { server, client } = await connectPair(transport, listener, resources);
    return { transport, listener, server, client };
  }

  it('listens on the ports it was given, or free ones for 0', async () => {
    const { listener } = await setUp();
    expect(listener.address.tcpPort).toBeGreaterThan(0);
    expect(listener.address.udpPort).toBeGreaterThan(0);
  });

  it('refuses a connection where nobody listens', async () => {
    const transport = makeTransport();
    const listener = await transport.listen({
      host: HOST,
      port: 0,
      udpPort: 0,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      maxDatagramBytes: MAX_DATAGRAM_BYTES,
    });
    const port = listener.address.tcpPort;
    await listener.close();
    await expect(
      transport.connect({
        host: HOST,
        port,
        timeoutMs: 2000,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        maxDatagramBytes: MAX_DATAGRAM_BYTES,
      }),
    ).rejects.toBeInstanceOf(ConnectionError);
  });

  it('gives each peer the address of the other as a string', async () => {
    const { server, client } = await setUp();
    expect(server.remoteAddress).toBe(HOST);
    expect(client.remoteAddress).toBe(HOST);
  });

  it('exchanges whole messages both ways, in order', async () => {
    const { server, client } = await setUp();
    const atServer = waitForValues(server.messages.messages$, 3);
    const atClient = waitForValues(client.messages.messages$, 2);
    expect(client.messages.send(bytes(1))).toBe(true);
    client.messages.send(bytes());
    client.messages.send(new Uint8Array(MAX_MESSAGE_BYTES).fill(7));
    server.messages.send(bytes(9, 8));
    server.messages.send(bytes(7));
    const [a, b, c] = await atServer;
    expect([a, b]).toEqual([bytes(1), bytes()]);
    expect(c.length).toBe(MAX_MESSAGE_BYTES);
    expect(await atClient).toEqual([bytes(9, 8), bytes(7)]);
  });

  it('fails messages$ on a message over the limit', async () => {
    const { server, client } = await setUp();
    const failed = waitForError(server.messages.messages$);
    client.messages.send(new Uint8Array(MAX_MESSAGE_BYTES + 1));
    expect(await failed).toBeInstanceOf(MessageTooLargeError);
  });

  it('opens datagrams by relaying signals, and carries them both ways', async () => {
    const { server, client } = await setUp();
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const up = await sendUntilReceived(clientChannel, bytes(1, 2, 3), serverChannel.datagrams$);
    expect(up).toEqual(bytes(1, 2, 3));
    expect(Object.getPrototypeOf(up)).toBe(Uint8Array.prototype);
    const down = await sendUntilReceived(serverChannel, bytes(4, 5), clientChannel.datagrams$);
    expect(down).toEqual(bytes(4, 5));
    expect(Object.getPrototypeOf(down)).toBe(Uint8Array.prototype);
    // The largest datagram allowed passes both ways.
    const big = new Uint8Array(MAX_DATAGRAM_BYTES).fill(3);
    expect(await sendUntilReceived(clientChannel, big, serverChannel.datagrams$)).toEqual(big);
    expect(await sendUntilReceived(serverChannel, big, clientChannel.datagrams$)).toEqual(big);
  });

  it('keeps a signal that comes before openDatagrams', async () => {
    const { server, client } = await setUp();
    const serverChannel = await server.openDatagrams((data) => client.signal(data));
    const clientChannel = await client.openDatagrams((data) => server.signal(data));
    expect(await sendUntilReceived(clientChannel, bytes(1), serverChannel.datagrams$)).toEqual(
      bytes(1),
    );
  });

  it('keeps the datagram channels of two peers apart', async () => {
    const { transport, listener, server, client } = await setUp();
    const other = await connectPair(transport, listener, resources);
    const one = await openDatagrams(server, client);
    const two = await openDatagrams(other.server, other.client);
    const atTwo: Uint8Array[] = [];
    two.serverChannel.datagrams$.subscribe((d) => atTwo.push(d));
    expect(
      await sendUntilReceived(one.clientChannel, bytes(1), one.serverChannel.datagrams$),
    ).toEqual(bytes(1));
    expect(
      await sendUntilReceived(two.clientChannel, bytes(2), two.serverChannel.datagrams$),
    ).toEqual(bytes(2));
    expect(
      await sendUntilReceived(one.serverChannel, bytes(3), one.clientChannel.datagrams$),
    ).toEqual(bytes(3));
    expect(
      await sendUntilReceived(two.serverChannel, bytes(4), two.clientChannel.datagrams$),
    ).toEqual(bytes(4));
    expect(atTwo.every((d) => d[0] === 2)).toBe(true);
  });

  it('rejects openDatagrams on a bad signal, with a warning', async () => {
    const { client } = await setUp();
    const warning = firstValueFrom(client.warnings$);
    const opened = client.openDatagrams(() => undefined);
    client.signal(bytes(1, 2, 3, 4, 5));
    await expect(opened).rejects.toBeInstanceOf(ConnectionError);
    expect((await warning).code).toBe('decode-error');
  });

  it('rejects a second openDatagrams', async () => {
    const { server, client } = await setUp();
    await openDatagrams(server, client);
    await expect(server.openDatagrams(() => undefined)).rejects.toThrow();
    await expect(client.openDatagrams(() => undefined)).rejects.toThrow();
  });

  it("rejects the client's openDatagrams if the connection closes before the signal", async () => {
    const { server, client } = await setUp();
    const opened = client.openDatagrams(() => undefined);
    server.messages.end();
    await expect(opened).rejects.toBeInstanceOf(ConnectionError);
  });

  it('closes everything when the client ends its connection', async () => {
    const { server, client } = await setUp();
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const serverEnded = waitForComplete(server.messages.messages$);
    const clientEnded = waitForOutcome(client.messages.messages$);
    const serverDatagramsEnded = waitForComplete(serverChannel.datagrams$);
    const clientDatagramsEnded = waitForComplete(clientChannel.datagrams$);
    const serverWarningsEnded = waitForComplete(server.warnings$);
    const clientWarningsEnded = waitForComplete(client.warnings$);
    client.messages.end();
    await serverEnded;
    server.messages.end();
    await clientEnded;
    await Promise.all([
      serverDatagramsEnded,
      clientDatagramsEnded,
      serverWarningsEnded,
      clientWarningsEnded,
    ]);
    expect(client.messages.send(bytes(1))).toBe(false);
  });

  it('closes everything when the server destroys the connection', async () => {
    const { server, client } = await setUp();
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const clientEnded = waitForOutcome(client.messages.messages$);
    const ended = Promise.all([
      waitForComplete(serverChannel.datagrams$),
      waitForComplete(clientChannel.datagrams$),
      waitForComplete(client.warnings$),
    ]);
    server.messages.destroy();
    await clientEnded;
    await ended;
  });

  it('closing a channel completes it and leaves the connection up', async () => {
    const { server, client } = await setUp();
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    await sendUntilReceived(clientChannel, bytes(1), serverChannel.datagrams$);
    const done = waitForComplete(clientChannel.datagrams$);
    clientChannel.close();
    clientChannel.close(); // twice is fine
    await done;
    clientChannel.send(bytes(2)); // dropped, never thrown
    const message = waitForValues(server.messages.messages$, 1);
    client.messages.send(bytes(3));
    expect(await message).toEqual([bytes(3)]);
  });

  it('listener.close() ends the channels, and resolves once every connection closed', async () => {
    const { listener, server, client } = await setUp();
    const { serverChannel } = await openDatagrams(server, client);
    const accepted = firstValueFrom(listener.connections$.pipe(toArray()));
    let closed = false;
    const closing = listener.close().then(() => (closed = true));
    await waitForComplete(serverChannel.datagrams$);
    expect(await accepted).toEqual([]); // connections$ completed
    expect(closed).toBe(false); // a connection is still open
    client.messages.end();
    server.messages.end();
    await closing;
    expect(closed).toBe(true);
  });

  it('reports nothing on warnings$ in a clean exchange', async () => {
    const { listener, server, client } = await setUp();
    const seen: TransportWarning[] = [];
    listener.warnings$.subscribe((w) => seen.push(w));
    server.warnings$.subscribe((w) => seen.push(w));
    client.warnings$.subscribe((w) => seen.push(w));
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const some = firstValueFrom(serverChannel.datagrams$.pipe(take(1)));
    await sendUntilReceived(clientChannel, bytes(1), serverChannel.datagrams$);
    await some;
    await sendUntilReceived(serverChannel, bytes(2), clientChannel.datagrams$);
    expect(seen).toEqual([]);
  });
});
