// The web transport's WebSocket side: the framing, the checks of every frame, and datagrams on the WebSocket fallback.
import { firstValueFrom, take, toArray } from 'rxjs';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listenWeb,
  nodeWebTransport,
  type MessageListener,
  type TransportPeer,
  type TransportWarning,
} from '../../src/node.js';
import { decodeWsFrame, encodeWsFrame, WsFrameKind } from '../../src/transport/ws/wsFrame.js';

const limits = { maxMessageBytes: 100, maxDatagramBytes: 20 };

describe('WebSocket framing', () => {
  it('puts the kind byte before the payload, and reads it back', () => {
    const frame = encodeWsFrame(WsFrameKind.Datagram, Uint8Array.of(7, 8));
    expect([...frame]).toEqual([1, 7, 8]);
    const back = decodeWsFrame(frame, limits);
    expect('error' in back ? back : { kind: back.kind, payload: [...back.payload] }).toEqual({
      kind: WsFrameKind.Datagram,
      payload: [7, 8],
    });
  });

  it('refuses an empty frame, an empty payload, an unknown kind and a datagram over the limit', () => {
    for (const bytes of [[], [0], [9, 1], [1, ...new Array<number>(21).fill(0)]])
      expect(decodeWsFrame(Uint8Array.from(bytes), limits)).toHaveProperty('error');
  });

  it('marks a message over the limit as too large (the connection is closed)', () => {
    const r = decodeWsFrame(new Uint8Array(102), limits);
    expect(r).toMatchObject({ tooLarge: true });
  });
});

describe('the web listener with a raw WebSocket client', () => {
  let listener: MessageListener | undefined;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await listener?.close();
    listener = undefined;
  });

  async function setup(): Promise<{
    peer: TransportPeer;
    socket: WebSocket;
    warnings: TransportWarning[];
  }> {
    listener = await listenWeb({ host: '127.0.0.1', port: 0, webrtc: false, ...limits });
    const peerP = firstValueFrom(listener.connections$);
    const socket = new WebSocket(`ws://127.0.0.1:${listener.address.webPort}/`);
    sockets.push(socket);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const peer = await peerP;
    const warnings: TransportWarning[] = [];
    peer.warnings$.subscribe((w) => warnings.push(w));
    return { peer, socket, warnings };
  }

  it('names its ports in the address', async () => {
    const { peer } = await setup();
    expect(listener?.address.webPort).toBeGreaterThan(0);
    expect(listener?.address.tcpPort).toBe(listener?.address.webPort);
    expect(peer.remoteAddress).toBe('127.0.0.1');
  });

  it('delivers Message frames, and warns of text, unknown kinds and early datagrams', async () => {
    const { peer, socket, warnings } = await setup();
    const got = firstValueFrom(peer.messages.messages$.pipe(take(2), toArray()));
    socket.send('hello');
    socket.send(Uint8Array.of(9, 1));
    socket.send(Uint8Array.of(1, 1)); // a datagram before openDatagrams
    socket.send(Uint8Array.of(0, 1, 2));
    socket.send(Uint8Array.of(0, 3));
    expect((await got).map((m) => [...m])).toEqual([[1, 2], [3]]);
    expect(warnings.map((w) => w.code)).toEqual([
      'decode-error',
      'decode-error',
      'unexpected-message',
    ]);
  });

  it('closes the connection on a message over the limit', async () => {
    const { peer, socket } = await setup();
    const ended = firstValueFrom(peer.messages.messages$, { defaultValue: undefined }).then(
      () => 'completed',
      () => 'failed',
    );
    socket.send(new Uint8Array(1 + limits.maxMessageBytes + 1));
    expect(await ended).toBe('failed');
  });

  it('carries datagrams both ways on the WebSocket when there is no WebRTC', async () => {
    const { peer, socket } = await setup();
    const channel = await peer.openDatagrams(() => undefined);
    expect(channel.path).toBe('websocket');
    const inbound = firstValueFrom(channel.datagrams$);
    socket.send(Uint8Array.of(1, 42));
    expect([...(await inbound)]).toEqual([42]);
    const outbound = new Promise<number[]>((resolve) =>
      socket.once('message', (d: Buffer) => resolve([...d])),
    );
    channel.send(Uint8Array.of(5, 6));
    expect(await outbound).toEqual([1, 5, 6]);
    channel.close();
  });
});

describe('the WebSocket fallback through the whole transport', () => {
  it('a client that declines the data channel sends and receives on the WebSocket', async () => {
    const web = nodeWebTransport({ client: { RTCPeerConnection: null } });
    const listener = await web.listen({ host: '127.0.0.1', port: 0, udpPort: 0, ...limits });
    try {
      const serverPeerP = firstValueFrom(listener.connections$);
      const client = await web.connect({
        host: '127.0.0.1',
        port: listener.address.tcpPort,
        timeoutMs: 5000,
        ...limits,
      });
      const server = await serverPeerP;
      // The core relays the signals; here the test does.
      const serverChannel = await server.openDatagrams((s) => client.signal(s));
      const clientChannel = await client.openDatagrams((s) => server.signal(s));
      const got = firstValueFrom(serverChannel.datagrams$);
      clientChannel.send(Uint8Array.of(3));
      expect([...(await got)]).toEqual([3]);
      expect([clientChannel.path, serverChannel.path]).toEqual(['websocket', 'websocket']);
      client.messages.destroy();
    } finally {
      await listener.close();
    }
  });
});
