import * as dgram from 'node:dgram';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdpSocket, fromUdpSocket, type Datagram } from '../../src/sources/fromUdpSocket.js';
import { defaultLocalHost } from '../../src/transport/node/clientPeer.js';
import { tokenPrefix } from '../../src/transport/node/sessionToken.js';
import { decodeUdpSignal, encodeUdpSignal } from '../../src/transport/node/udpSignal.js';
import { nodeTransport } from '../../src/transport/nodeTransport.js';
import type {
  MessageListener,
  TransportPeer,
  TransportWarning,
} from '../../src/transport/Transport.js';
import { Resources } from '../helpers/resources.js';
import { waitFor, waitForComplete, waitForValues } from '../helpers/waitFor.js';
import {
  bytes,
  connectPair,
  HOST,
  listen,
  MAX_DATAGRAM_BYTES,
  openDatagrams,
  sendUntilReceived,
} from './peers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

/** A raw UDP socket of the test's own, standing for a client behind a NAT, or a stranger. */
async function rawSocket(host = HOST) {
  const socket = resources.add(await bindUdpSocket({ host }));
  const datagrams: Datagram[] = [];
  fromUdpSocket(socket).subscribe((d) => datagrams.push(d));
  return {
    socket,
    port: socket.address().port,
    datagrams,
    send: (data: Uint8Array, port: number) => socket.send(data, port, HOST),
  };
}

const withToken = (token: number, ...payload: number[]): Uint8Array =>
  Uint8Array.from([...tokenPrefix(token), ...payload]);

/** Collects every warning of an Observable, to wait on and to check. */
function collect(peerOrListener: { warnings$: MessageListener['warnings$'] }): TransportWarning[] {
  const seen: TransportWarning[] = [];
  peerOrListener.warnings$.subscribe((w) => seen.push(w));
  return seen;
}

/** A listener, one connected pair, and the server's channel opened: its signal read by the test. */
async function serverWithSignal() {
  const listener = await listen(nodeTransport, resources);
  const { server, client } = await connectPair(nodeTransport, listener, resources);
  let signal: Uint8Array | undefined;
  const serverChannel = await server.openDatagrams((data) => (signal = data));
  const decoded = decodeUdpSignal(signal ?? bytes());
  if (typeof decoded === 'string') throw new Error(decoded);
  const listenerWarnings = collect(listener);
  const peerWarnings = collect(server);
  const received: Uint8Array[] = [];
  serverChannel.datagrams$.subscribe((d) => received.push(d));
  return {
    listener,
    server,
    client,
    serverChannel,
    token: decoded.token,
    udpPort: decoded.port,
    listenerWarnings,
    peerWarnings,
    received,
  };
}

// First in the file, so the count of open sockets starts from a clean process.
describe('the Node transport', () => {
  const handles = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
    return counts;
  };
  const sockets = (c: Record<string, number>): number[] => [
    c.UDPWrap ?? 0,
    c.TCPSocketWrap ?? 0,
    c.TCPServerWrap ?? 0,
  ];

  it('frees every socket once the peers have ended and the listener closed', async () => {
    const before = sockets(handles());
    const listener = await nodeTransport.listen({
      host: HOST,
      port: 0,
      udpPort: 0,
      maxMessageBytes: 4096,
      maxDatagramBytes: MAX_DATAGRAM_BYTES,
    });
    const peers: TransportPeer[] = [];
    const accepted = waitForValues(listener.connections$, 2);
    for (let i = 0; i < 2; i++)
      peers.push(
        await nodeTransport.connect({
          host: HOST,
          port: listener.address.tcpPort,
          timeoutMs: 2000,
          maxMessageBytes: 4096,
          maxDatagramBytes: MAX_DATAGRAM_BYTES,
        }),
      );
    const servers = await accepted;
    for (let i = 0; i < 2; i++) {
      const { serverChannel, clientChannel } = await openDatagrams(servers[i], peers[i]);
      await sendUntilReceived(clientChannel, bytes(i), serverChannel.datagrams$);
    }
    expect(sockets(handles())).not.toEqual(before);
    for (const p of peers) p.messages.end();
    for (const s of servers) s.messages.end();
    await listener.close();
    await waitFor(() => sockets(handles()).join() === before.join(), {
      message: `every socket closed (${before.join()} before, ${sockets(handles()).join()} now, ${JSON.stringify(handles())})`,
    });
  });

  it('ignores a datagram sent to a closed listener, and close() twice is fine', async () => {
    const listener = await nodeTransport.listen({
      host: HOST,
      port: 0,
      udpPort: 0,
      maxMessageBytes: 4096,
      maxDatagramBytes: MAX_DATAGRAM_BYTES,
    });
    await Promise.all([listener.close(), listener.close()]);
    const sender = dgram.createSocket('udp4');
    resources.add(sender);
    sender.send(bytes(1, 2, 3, 4), listener.address.udpPort, HOST);
  });
});

describe('the Node transport server', () => {
  it("signals the shared UDP socket's port and a fresh token per peer", async () => {
    const listener = await listen(nodeTransport, resources);
    const tokens = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const { server } = await connectPair(nodeTransport, listener, resources);
      let signal = bytes();
      await server.openDatagrams((data) => (signal = data));
      expect(signal.length).toBe(6);
      const decoded = decodeUdpSignal(signal);
      expect(decoded).toMatchObject({ port: listener.address.udpPort });
      if (typeof decoded !== 'string') tokens.add(decoded.token);
    }
    expect(tokens.size).toBe(3);
  });

  it('takes the port of the first datagram with the token from the TCP IP, and holds it', async () => {
    const s = await serverWithSignal();
    const nat = await rawSocket(); // the port a NAT gave the client
    const third = await rawSocket();
    // Before any datagram the server has nowhere to send: dropped.
    s.serverChannel.send(bytes(0));
    nat.send(withToken(s.token, 1, 2), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    expect(s.received[0]).toEqual(bytes(1, 2)); // the token stripped
    // Server to client: the message alone, to the port taken.
    s.serverChannel.send(bytes(9));
    await waitFor(() => nat.datagrams.length === 1, { message: 'the answer at the NAT port' });
    expect(Uint8Array.from(nat.datagrams[0].data)).toEqual(bytes(9));
    // The same token from a third port: refused, on the peer's warnings$.
    third.send(withToken(s.token, 3), s.udpPort);
    await waitFor(() => s.peerWarnings.length === 1, { message: 'a bad-token warning' });
    expect(s.peerWarnings[0]).toMatchObject({ code: 'bad-token', address: HOST, port: third.port });
    expect(s.received).toHaveLength(1);
    expect(s.listenerWarnings).toEqual([]);
  });

  it("refuses the token from another IP than the peer's TCP connection", async () => {
    const s = await serverWithSignal();
    const elsewhere = await rawSocket('127.0.0.2');
    elsewhere.send(withToken(s.token, 1), s.udpPort);
    await waitFor(() => s.peerWarnings.length === 1, { message: 'a bad-token warning' });
    expect(s.peerWarnings[0]).toMatchObject({
      code: 'bad-token',
      address: '127.0.0.2',
      port: elsewhere.port,
    });
    // And the port is still free for the real one.
    const own = await rawSocket();
    own.send(withToken(s.token, 2), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the real datagram' });
    expect(s.received[0]).toEqual(bytes(2));
  });

  it('reports a token nobody was given as unknown-sender, on the listener', async () => {
    const s = await serverWithSignal();
    const stranger = await rawSocket();
    stranger.send(withToken((s.token + 1) >>> 0, 1), s.udpPort);
    await waitFor(() => s.listenerWarnings.length === 1, { message: 'an unknown-sender warning' });
    expect(s.listenerWarnings[0]).toMatchObject({
      code: 'unknown-sender',
      address: HOST,
      port: stranger.port,
    });
    expect(s.received).toEqual([]);
    expect(s.peerWarnings).toEqual([]);
  });

  it("reports a known peer's datagram with a token not its own as bad-token, on the listener", async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    own.send(withToken(s.token, 1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    own.send(withToken((s.token ^ 1) >>> 0, 2), s.udpPort);
    await waitFor(() => s.listenerWarnings.length === 1, { message: 'a bad-token warning' });
    expect(s.listenerWarnings[0]).toMatchObject({
      code: 'bad-token',
      address: HOST,
      port: own.port,
    });
    expect(s.received).toHaveLength(1);
  });

  it('reports datagrams shorter than a token, or too long, as decode-error', async () => {
    const s = await serverWithSignal();
    const sender = await rawSocket();
    sender.send(bytes(1, 2, 3), s.udpPort);
    sender.send(new Uint8Array(4 + MAX_DATAGRAM_BYTES + 1), s.udpPort);
    await waitFor(() => s.listenerWarnings.length === 2, { message: 'two decode-error warnings' });
    expect(s.listenerWarnings.map((w) => [w.code, w.port])).toEqual([
      ['decode-error', sender.port],
      ['decode-error', sender.port],
    ]);
    // A bare token is a datagram with an empty message.
    sender.send(withToken(s.token), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the empty datagram' });
    expect(s.received[0]).toEqual(bytes());
  });

  it('drops datagrams with a retired token from its old address quietly', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    own.send(withToken(s.token, 1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    s.serverChannel.close();
    own.send(withToken(s.token, 2), s.udpPort); // still in flight when it left: quiet
    own.send(withToken((s.token ^ 1) >>> 0, 3), s.udpPort); // a stranger's now: reported
    await waitFor(() => s.listenerWarnings.length >= 1, { message: 'the unknown-sender warning' });
    expect(s.listenerWarnings.map((w) => w.code)).toEqual(['unknown-sender']);
    expect(s.peerWarnings).toEqual([]);
    expect(s.received).toHaveLength(1);
  });

  it('retires the token when the TCP connection ends', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    own.send(withToken(s.token, 1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    const channelEnded = waitForComplete(s.serverChannel.datagrams$);
    s.client.messages.destroy();
    await channelEnded;
    own.send(withToken(s.token, 2), s.udpPort);
    own.send(withToken((s.token ^ 1) >>> 0, 3), s.udpPort);
    await waitFor(() => s.listenerWarnings.length >= 1, { message: 'the unknown-sender warning' });
    expect(s.listenerWarnings.map((w) => w.code)).toEqual(['unknown-sender']);
    expect(s.received).toHaveLength(1);
  });

  it('warns on a signal from the client (it expects none)', async () => {
    const listener = await listen(nodeTransport, resources);
    const { server } = await connectPair(nodeTransport, listener, resources);
    const warning = firstValueFrom(server.warnings$);
    server.signal(bytes(1));
    expect((await warning).code).toBe('unexpected-message');
  });
});

describe('the Node transport client', () => {
  /** A client peer whose server's UDP side is a raw socket of the test's (the TCP side is a real listener). */
  async function clientWithFakeServer(token = 0x01020304) {
    const listener = await listen(nodeTransport, resources);
    const { client } = await connectPair(nodeTransport, listener, resources);
    const fakeServer = await rawSocket();
    const warnings = collect(client);
    const opening = client.openDatagrams(() => undefined);
    client.signal(encodeUdpSignal({ port: fakeServer.port, token }));
    const channel = await opening;
    const received: Uint8Array[] = [];
    channel.datagrams$.subscribe((d) => received.push(d));
    return { client, channel, fakeServer, warnings, received, token };
  }

  it('sends token + message to the signalled port, from a loopback socket', async () => {
    const c = await clientWithFakeServer();
    c.channel.send(bytes(7, 8));
    await waitFor(() => c.fakeServer.datagrams.length === 1, { message: 'the datagram' });
    const [d] = c.fakeServer.datagrams;
    expect(Uint8Array.from(d.data)).toEqual(withToken(c.token, 7, 8));
    expect(d.address).toBe(HOST);
  });

  it("delivers only the server's datagrams: a stranger's is unknown-sender", async () => {
    const c = await clientWithFakeServer();
    c.channel.send(bytes(1));
    await waitFor(() => c.fakeServer.datagrams.length === 1, { message: 'the client port' });
    const clientPort = c.fakeServer.datagrams[0].port;
    const stranger = await rawSocket();
    stranger.send(bytes(66), clientPort);
    await waitFor(() => c.warnings.length === 1, { message: 'an unknown-sender warning' });
    expect(c.warnings[0]).toMatchObject({
      code: 'unknown-sender',
      address: HOST,
      port: stranger.port,
    });
    c.fakeServer.send(bytes(5), clientPort);
    await waitFor(() => c.received.length === 1, { message: "the server's datagram" });
    expect(c.received).toEqual([bytes(5)]);
  });

  it('rejects a signal with port 0', async () => {
    const listener = await listen(nodeTransport, resources);
    const { client } = await connectPair(nodeTransport, listener, resources);
    const warning = firstValueFrom(client.warnings$);
    const opening = client.openDatagrams(() => undefined);
    client.signal(encodeUdpSignal({ port: 0, token: 1 }));
    await expect(opening).rejects.toThrow(/port 0/);
    expect((await warning).code).toBe('decode-error');
  });

  it('binds its UDP socket on loopback for a loopback server, on :: for IPv6, else on any', () => {
    expect(defaultLocalHost('127.0.0.1')).toBe('127.0.0.1');
    expect(defaultLocalHost('::1')).toBe('::1');
    expect(defaultLocalHost('2001:db8::1')).toBe('::');
    expect(defaultLocalHost('192.0.2.1')).toBe('0.0.0.0');
  });
});

describe('the Node transport on IPv6', () => {
  async function exchange(listenHost: string, connectHost: string): Promise<string> {
    const listener = resources.add(
      await nodeTransport.listen({
        host: listenHost,
        port: 0,
        udpPort: 0,
        maxMessageBytes: 4096,
        maxDatagramBytes: MAX_DATAGRAM_BYTES,
      }),
    );
    const accepted = firstValueFrom(listener.connections$);
    const client = await nodeTransport.connect({
      host: connectHost,
      port: listener.address.tcpPort,
      timeoutMs: 2000,
      maxMessageBytes: 4096,
      maxDatagramBytes: MAX_DATAGRAM_BYTES,
    });
    resources.add({ close: () => client.messages.destroy() });
    const server = await accepted;
    resources.add({ close: () => server.messages.destroy() });
    const { serverChannel, clientChannel } = await openDatagrams(server, client);
    expect(await sendUntilReceived(clientChannel, bytes(1), serverChannel.datagrams$)).toEqual(
      bytes(1),
    );
    expect(await sendUntilReceived(serverChannel, bytes(2), clientChannel.datagrams$)).toEqual(
      bytes(2),
    );
    return server.remoteAddress;
  }

  it('serves IPv4 clients from a dual-stack socket, with plain IPv4 addresses', async () => {
    expect(await exchange('::', HOST)).toBe(HOST);
  });

  it('works over IPv6 loopback', async () => {
    expect(await exchange('::1', '::1')).toBe('::1');
  });
});
