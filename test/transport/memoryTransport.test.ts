import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { createMemoryTransport } from '../../src/transport/memoryTransport.js';
import { Resources } from '../helpers/resources.js';
import { waitForValues } from '../helpers/waitFor.js';
import { bytes, connectPair, HOST, listen, listenOptions, openDatagrams } from './peers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('the memory transport', () => {
  it("refuses a signal naming another connection's datagram channel", async () => {
    const transport = createMemoryTransport();
    const listener = await listen(transport, resources);
    const one = await connectPair(transport, listener, resources);
    const two = await connectPair(transport, listener, resources);
    let signal = bytes();
    await one.server.openDatagrams((data) => (signal = data));
    const warning = firstValueFrom(two.client.warnings$);
    const opening = two.client.openDatagrams(() => undefined);
    two.client.signal(signal);
    await expect(opening).rejects.toBeInstanceOf(ConnectionError);
    expect((await warning).code).toBe('bad-token');
    // Its own client still can.
    const channel = one.client.openDatagrams(() => undefined);
    one.client.signal(signal);
    await expect(channel).resolves.toBeDefined();
  });

  it('refuses an id nobody offered', async () => {
    const transport = createMemoryTransport();
    const listener = await listen(transport, resources);
    const { client } = await connectPair(transport, listener, resources);
    const warning = firstValueFrom(client.warnings$);
    const opening = client.openDatagrams(() => undefined);
    client.signal(bytes(0, 0, 0x12, 0x34));
    await expect(opening).rejects.toBeInstanceOf(ConnectionError);
    expect((await warning).code).toBe('bad-token');
  });

  it('drops datagrams beyond maxInFlight, as a full buffer does', async () => {
    const transport = createMemoryTransport({ maxInFlight: 2 });
    const listener = await listen(transport, resources);
    const { server, client } = await connectPair(transport, listener, resources);
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const got: Uint8Array[] = [];
    serverChannel.datagrams$.subscribe((d) => got.push(d));
    for (let i = 0; i < 5; i++) clientChannel.send(bytes(i));
    // A message sent after them is delivered after them (everything is in order).
    const marker = waitForValues(server.messages.messages$, 1);
    client.messages.send(bytes(99));
    await marker;
    expect(got).toEqual([bytes(0), bytes(1)]);
  });

  it('refuses a port in use, and frees it on close', async () => {
    const transport = createMemoryTransport();
    const listener = await transport.listen({ ...listenOptions, port: 7000, udpPort: 7001 });
    expect(listener.address).toEqual({ tcpPort: 7000, udpPort: 7001 });
    await expect(transport.listen({ ...listenOptions, port: 7000 })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    await listener.close();
    const again = await transport.listen({ ...listenOptions, host: HOST, port: 7000 });
    await again.close();
  });

  it('reports a datagram over the limit as decode-error, and drops it', async () => {
    const transport = createMemoryTransport();
    const listener = await listen(transport, resources);
    const { server, client } = await connectPair(transport, listener, resources);
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    const got: Uint8Array[] = [];
    serverChannel.datagrams$.subscribe((d) => got.push(d));
    const warning = firstValueFrom(server.warnings$);
    clientChannel.send(new Uint8Array(listenOptions.maxDatagramBytes + 1));
    expect((await warning).code).toBe('decode-error');
    expect(got).toEqual([]);
  });
});
