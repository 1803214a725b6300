import * as dgram from 'node:dgram';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdpSocket, fromUdpSocket, type Datagram } from '../../src/sources/fromUdpSocket.js';
import { defaultLocalHost } from '../../src/transport/node/clientPeer.js';
import {
  DatagramOpener,
  DatagramSealer,
  Direction,
  randomSessionKey,
} from '../../src/transport/node/datagramSeal.js';
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

/** The parts of a sealed datagram as one. */
/** A sealed datagram as a plain Uint8Array (the sealer gives a Buffer). */
const plain = (datagram: Uint8Array): Uint8Array => Uint8Array.from(datagram);

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
  const { token, key } = decoded;
  const toServer = new DatagramSealer(key, Direction.ToServer, tokenPrefix(token));
  const fromServer = new DatagramOpener(key, Direction.ToClient, 0);
  const forger = new DatagramSealer(randomSessionKey(), Direction.ToServer, tokenPrefix(token));
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
    /** A datagram sealed as the client would, with the next counter. */
    sealed: (...payload: number[]) => plain(toServer.seal(bytes(...payload))),
    /**
     * The right token, sealed with another key: what an attacker who saw the token sends (its
     * counters fresh: one already seen is dropped as a replay before any tag is checked).
     */
    forged: (...payload: number[]) => plain(forger.seal(bytes(...payload))),
    /** Sealed with the key, under another token. */
    sealedWith: (other: number, ...payload: number[]) =>
      plain(
        new DatagramSealer(key, Direction.ToServer, tokenPrefix(other)).seal(bytes(...payload)),
      ),
    openFromServer: (d: Uint8Array) => fromServer.open(d),
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
  it("signals the shared UDP socket's port, a fresh token and a fresh key per peer", async () => {
    const listener = await listen(nodeTransport, resources);
    const tokens = new Set<number>();
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { server } = await connectPair(nodeTransport, listener, resources);
      let signal = bytes();
      await server.openDatagrams((data) => (signal = data));
      expect(signal.length).toBe(39);
      expect(signal[6]).toBe(1); // the seal: SipHash-2-4
      const decoded = decodeUdpSignal(signal);
      expect(decoded).toMatchObject({ port: listener.address.udpPort });
      if (typeof decoded === 'string') throw new Error(decoded);
      tokens.add(decoded.token);
      keys.add(Buffer.from(decoded.key).toString('hex'));
      expect(decoded.key).toHaveLength(32);
    }
    expect(tokens.size).toBe(3);
    expect(keys.size).toBe(3);
  });

  it('takes the port of the first authentic datagram from the TCP IP; the messages both ways are sealed', async () => {
    const s = await serverWithSignal();
    const nat = await rawSocket(); // the port a NAT gave the client
    // Before any datagram the server has nowhere to send: dropped.
    s.serverChannel.send(bytes(0));
    nat.send(s.sealed(1, 2), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    expect(s.received[0]).toEqual(bytes(1, 2)); // token, counter and tag stripped
    // Server to client: counter + message + tag (no token), to the port taken.
    s.serverChannel.send(bytes(9));
    await waitFor(() => nat.datagrams.length === 1, { message: 'the answer at the NAT port' });
    const answer = nat.datagrams[0].data;
    expect(answer).toHaveLength(8 + 1 + 8);
    expect(s.openFromServer(answer)).toEqual(bytes(9));
    expect(s.listenerWarnings).toEqual([]);
    expect(s.peerWarnings).toEqual([]);
  });

  it('refuses a forged datagram (the right token, the wrong key): bad-datagram, and the port does not move', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    const attacker = await rawSocket();
    // Sent first, before the player's own: the hijack of a port not held yet.
    attacker.send(s.forged(6, 6), s.udpPort);
    await waitFor(() => s.peerWarnings.length === 1, { message: 'a bad-datagram warning' });
    expect(s.peerWarnings[0]).toMatchObject({ code: 'bad-datagram', port: attacker.port });
    own.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the real datagram' });
    // Once the port is held, a forged datagram from another port does not take it either.
    attacker.send(s.forged(7), s.udpPort);
    await waitFor(() => s.peerWarnings.length === 2, { message: 'a second bad-datagram' });
    s.serverChannel.send(bytes(9));
    await waitFor(() => own.datagrams.length === 1, { message: "the answer at the player's port" });
    expect(attacker.datagrams).toEqual([]);
    expect(s.received).toEqual([bytes(1)]);
    // A corrupted tag (one bit) does not authenticate either.
    const corrupt = s.sealed(2);
    corrupt[corrupt.length - 1] ^= 1;
    own.send(corrupt, s.udpPort);
    await waitFor(() => s.peerWarnings.length === 3, { message: 'a third bad-datagram' });
    expect(s.peerWarnings.map((w) => w.code)).toEqual([
      'bad-datagram',
      'bad-datagram',
      'bad-datagram',
    ]);
  });

  it('drops a replayed datagram (captured, sent again, from anywhere) quietly, and it moves no port', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    const attacker = await rawSocket();
    const first = s.sealed(1);
    own.send(first, s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    own.send(first, s.udpPort); // a duplicate, as a network may make
    attacker.send(first, s.udpPort); // a replay from another port
    own.send(s.sealed(2), s.udpPort);
    await waitFor(() => s.received.length === 2, { message: 'the next datagram' });
    s.serverChannel.send(bytes(9));
    await waitFor(() => own.datagrams.length === 1, { message: "the answer at the player's port" });
    expect(s.received).toEqual([bytes(1), bytes(2)]);
    expect(attacker.datagrams).toEqual([]);
    expect(s.peerWarnings).toEqual([]);
    expect(s.listenerWarnings).toEqual([]);
  });

  it('follows a NAT that rebinds: the newest authentic datagram from another port moves the port', async () => {
    const s = await serverWithSignal();
    const before = await rawSocket();
    const after = await rawSocket();
    before.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    const late = s.sealed(2); // sealed before the rebinding, arrives after it
    after.send(s.sealed(3), s.udpPort);
    await waitFor(() => s.received.length === 2, { message: 'the datagram from the new port' });
    before.send(late, s.udpPort); // authentic but not the newest: delivered, the port stays
    await waitFor(() => s.received.length === 3, { message: 'the late datagram' });
    s.serverChannel.send(bytes(9));
    await waitFor(() => after.datagrams.length === 1, { message: 'the answer at the new port' });
    expect(before.datagrams).toEqual([]);
    expect(s.received).toEqual([bytes(1), bytes(3), bytes(2)]);
    expect(s.peerWarnings).toEqual([]);
  });

  it("refuses the token from another IP than the peer's TCP connection", async () => {
    const s = await serverWithSignal();
    const elsewhere = await rawSocket('127.0.0.2');
    elsewhere.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.peerWarnings.length === 1, { message: 'a bad-token warning' });
    expect(s.peerWarnings[0]).toMatchObject({
      code: 'bad-token',
      address: '127.0.0.2',
      port: elsewhere.port,
    });
    // And the port is still free for the real one.
    const own = await rawSocket();
    own.send(s.sealed(2), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the real datagram' });
    expect(s.received[0]).toEqual(bytes(2));
  });

  it('reports a token nobody was given as unknown-sender, on the listener', async () => {
    const s = await serverWithSignal();
    const stranger = await rawSocket();
    stranger.send(s.sealedWith((s.token + 1) >>> 0, 1), s.udpPort);
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
    own.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    own.send(s.sealedWith((s.token ^ 1) >>> 0, 2), s.udpPort);
    await waitFor(() => s.listenerWarnings.length === 1, { message: 'a bad-token warning' });
    expect(s.listenerWarnings[0]).toMatchObject({
      code: 'bad-token',
      address: HOST,
      port: own.port,
    });
    expect(s.received).toHaveLength(1);
  });

  it('reports datagrams shorter than token, counter and tag, or too long, as decode-error', async () => {
    const s = await serverWithSignal();
    const sender = await rawSocket();
    sender.send(bytes(1, 2, 3), s.udpPort);
    sender.send(withToken(s.token, ...new Array<number>(8 + 7).fill(0)), s.udpPort);
    sender.send(new Uint8Array(20 + MAX_DATAGRAM_BYTES + 1), s.udpPort);
    await waitFor(() => s.listenerWarnings.length === 3, {
      message: 'three decode-error warnings',
    });
    expect(s.listenerWarnings.map((w) => [w.code, w.port])).toEqual([
      ['decode-error', sender.port],
      ['decode-error', sender.port],
      ['decode-error', sender.port],
    ]);
    // A sealed empty message is a datagram with an empty message.
    sender.send(s.sealed(), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the empty datagram' });
    expect(s.received[0]).toEqual(bytes());
  });

  it('drops datagrams with a retired token from its old address quietly', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    own.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    s.serverChannel.close();
    own.send(s.sealed(2), s.udpPort); // still in flight when it left: quiet
    own.send(s.sealedWith((s.token ^ 1) >>> 0, 3), s.udpPort); // a stranger's now: reported
    await waitFor(() => s.listenerWarnings.length >= 1, { message: 'the unknown-sender warning' });
    expect(s.listenerWarnings.map((w) => w.code)).toEqual(['unknown-sender']);
    expect(s.peerWarnings).toEqual([]);
    expect(s.received).toHaveLength(1);
  });

  it('retires the token when the TCP connection ends', async () => {
    const s = await serverWithSignal();
    const own = await rawSocket();
    own.send(s.sealed(1), s.udpPort);
    await waitFor(() => s.received.length === 1, { message: 'the first datagram' });
    const channelEnded = waitForComplete(s.serverChannel.datagrams$);
    s.client.messages.destroy();
    await channelEnded;
    own.send(s.sealed(2), s.udpPort);
    own.send(s.sealedWith((s.token ^ 1) >>> 0, 3), s.udpPort);
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
    const key = randomSessionKey();
    const opening = client.openDatagrams(() => undefined);
    client.signal(encodeUdpSignal({ port: fakeServer.port, token, key }));
    const channel = await opening;
    const received: Uint8Array[] = [];
    channel.datagrams$.subscribe((d) => received.push(d));
    const toClient = new DatagramSealer(key, Direction.ToClient);
    const fromClient = new DatagramOpener(key, Direction.ToServer, 4);
    return {
      client,
      channel,
      fakeServer,
      warnings,
      received,
      token,
      sealed: (...payload: number[]) => plain(toClient.seal(bytes(...payload))),
      forged: (...payload: number[]) =>
        plain(new DatagramSealer(randomSessionKey(), Direction.ToClient).seal(bytes(...payload))),
      open: (d: Uint8Array) => fromClient.open(d),
    };
  }

  it('sends token + counter + message + tag to the signalled port, from a loopback socket', async () => {
    const c = await clientWithFakeServer();
    c.channel.send(bytes(7, 8));
    c.channel.send(bytes(9));
    await waitFor(() => c.fakeServer.datagrams.length === 2, { message: 'the datagrams' });
    const [d, e] = c.fakeServer.datagrams;
    expect(d.data).toHaveLength(4 + 8 + 2 + 8);
    expect(Uint8Array.from(d.data.subarray(0, 12))).toEqual(
      withToken(c.token, 0, 0, 0, 0, 0, 0, 0, 0),
    );
    expect(Uint8Array.from(e.data.subarray(0, 12))).toEqual(
      withToken(c.token, 0, 0, 0, 0, 0, 0, 0, 1),
    );
    expect(c.open(d.data)).toEqual(bytes(7, 8));
    expect(c.open(e.data)).toEqual(bytes(9));
    expect(d.address).toBe(HOST);
  });

  it("delivers only the server's authentic datagrams: a stranger's is unknown-sender, a forged one bad-datagram, a replay dropped", async () => {
    const c = await clientWithFakeServer();
    c.channel.send(bytes(1));
    await waitFor(() => c.fakeServer.datagrams.length === 1, { message: 'the client port' });
    const clientPort = c.fakeServer.datagrams[0].port;
    const stranger = await rawSocket();
    stranger.send(c.sealed(66), clientPort);
    await waitFor(() => c.warnings.length === 1, { message: 'an unknown-sender warning' });
    expect(c.warnings[0]).toMatchObject({
      code: 'unknown-sender',
      address: HOST,
      port: stranger.port,
    });
    c.fakeServer.send(c.forged(4), clientPort);
    await waitFor(() => c.warnings.length === 2, { message: 'a bad-datagram warning' });
    expect(c.warnings[1]).toMatchObject({ code: 'bad-datagram', port: c.fakeServer.port });
    const five = c.sealed(5);
    c.fakeServer.send(five, clientPort);
    c.fakeServer.send(five, clientPort); // replayed
    c.fakeServer.send(c.sealed(6), clientPort);
    await waitFor(() => c.received.length === 2, { message: "the server's datagrams" });
    expect(c.received).toEqual([bytes(5), bytes(6)]);
    expect(c.warnings).toHaveLength(2);
  });

  it('rejects a signal with port 0, another seal, or not 39 bytes long', async () => {
    const listener = await listen(nodeTransport, resources);
    const { client } = await connectPair(nodeTransport, listener, resources);
    const warning = firstValueFrom(client.warnings$);
    const opening = client.openDatagrams(() => undefined);
    client.signal(encodeUdpSignal({ port: 0, token: 1, key: randomSessionKey() }));
    await expect(opening).rejects.toThrow(/port 0/);
    expect((await warning).code).toBe('decode-error');
    expect(decodeUdpSignal(bytes(0x1e, 0x62, 0, 0, 0, 1))).toMatch(/39 bytes, got 6/);
    expect(decodeUdpSignal(new Uint8Array(38))).toMatch(/39 bytes, got 38/); // the CMAC layout
    const otherSeal = encodeUdpSignal({ port: 7000, token: 1, key: randomSessionKey() });
    otherSeal[6] = 2;
    expect(decodeUdpSignal(otherSeal)).toMatch(/datagram seal 2/);
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
