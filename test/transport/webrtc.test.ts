// The web transport's WebRTC side: the signals and their checks, the candidates it advertises, and data channels on one shared port.
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { nodeWebTransport, type TransportPeer } from '../../src/node.js';
import {
  advertisedCandidate,
  usableRemoteCandidate,
} from '../../src/transport/webrtc/candidate.js';
import {
  decodeRtcSignal,
  encodeRtcSignal,
  RtcSignalKind,
} from '../../src/transport/webrtc/rtcSignal.js';

const limits = { maxMessageBytes: 65536, maxDatagramBytes: 1200 };
const CANDIDATE = 'candidate:1 1 UDP 2114977791 127.0.0.1 45123 typ host';

describe('WebRTC signals', () => {
  it('round-trip an offer, a candidate and a decline', () => {
    const signals = [
      { kind: RtcSignalKind.Offer, sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n' },
      { kind: RtcSignalKind.Candidate, mid: '0', candidate: CANDIDATE },
      { kind: RtcSignalKind.Decline },
    ] as const;
    for (const s of signals) expect(decodeRtcSignal(encodeRtcSignal(s))).toEqual(s);
  });

  it('refuse what is not a signal: unknown kind, bad UTF-8, an SDP not v=0, a candidate of two lines, bad lengths', () => {
    const bad = [
      [],
      [9],
      [1, 0xff, 0xfe],
      [1, ...new TextEncoder().encode('x=0')],
      [3, 1, 48, ...new TextEncoder().encode(`${CANDIDATE}\r\na=x`)],
      [3, 0, ...new TextEncoder().encode(CANDIDATE)],
      [3, 40, 48],
      [4, 1],
      [1, ...new Array<number>(4001).fill(118)],
    ];
    for (const bytes of bad) expect(typeof decodeRtcSignal(Uint8Array.from(bytes))).toBe('string');
  });

  it('will not encode fields over their bounds', () => {
    expect(() =>
      encodeRtcSignal({ kind: RtcSignalKind.Answer, sdp: `v=0${'x'.repeat(4000)}` }),
    ).toThrow(RangeError);
  });
});

describe('candidates', () => {
  it('advertises the public address in place of the gathered one, and never a TCP candidate', () => {
    expect(advertisedCandidate(`a=${CANDIDATE}`, '203.0.113.9')).toBe(
      'candidate:1 1 UDP 2114977791 203.0.113.9 45123 typ host',
    );
    expect(advertisedCandidate(CANDIDATE)).toBe(CANDIDATE);
    expect(
      advertisedCandidate('candidate:2 1 TCP 1 127.0.0.1 9 typ host tcptype active'),
    ).toBeUndefined();
  });

  it('takes no peer candidate it cannot use: TCP, mDNS names, port 0', () => {
    expect(usableRemoteCandidate(CANDIDATE)).toBe(true);
    expect(usableRemoteCandidate('candidate:1 1 udp 1 1f2e.local 5000 typ host')).toBe(false);
    expect(usableRemoteCandidate('candidate:1 1 tcp 1 127.0.0.1 5000 typ host')).toBe(false);
    expect(usableRemoteCandidate('candidate:1 1 udp 1 127.0.0.1 0 typ host')).toBe(false);
    expect(usableRemoteCandidate('nonsense')).toBe(false);
  });
});

describe('data channels from node-datachannel clients', () => {
  it('open for two peers on the one shared UDP port, carry datagrams both ways, and advertise only that port', async () => {
    const web = nodeWebTransport({ server: { publicAddress: '127.0.0.1' } });
    const listener = await web.listen({ host: '127.0.0.1', port: 0, udpPort: 0, ...limits });
    const rtcPort = listener.address.rtcPort;
    const clients: TransportPeer[] = [];
    try {
      expect(rtcPort).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) {
        const serverP = firstValueFrom(listener.connections$);
        const client = await web.connect({
          host: '127.0.0.1',
          port: listener.address.tcpPort,
          timeoutMs: 5000,
          ...limits,
        });
        clients.push(client);
        const server = await serverP;
        const offered: string[] = [];
        const serverChannel = await server.openDatagrams((s) => {
          const d = decodeRtcSignal(s);
          if (typeof d !== 'string' && d.kind === RtcSignalKind.Candidate)
            offered.push(d.candidate);
          client.signal(s);
        });
        const clientChannel = await client.openDatagrams((s) => server.signal(s));
        await expect
          .poll(() => [clientChannel.path, serverChannel.path], { timeout: 10_000 })
          .toEqual(['webrtc', 'webrtc']);
        const up = firstValueFrom(serverChannel.datagrams$);
        clientChannel.send(Uint8Array.of(1, 2, 3));
        expect([...(await up)]).toEqual([1, 2, 3]);
        const down = firstValueFrom(clientChannel.datagrams$);
        serverChannel.send(Uint8Array.of(4));
        expect([...(await down)]).toEqual([4]);
        expect(offered.length).toBeGreaterThan(0);
        for (const c of offered) expect(c).toContain(` 127.0.0.1 ${rtcPort} typ host`);
      }
    } finally {
      for (const c of clients) c.messages.destroy();
      await listener.close();
    }
  }, 30_000);

  it('falls back to the WebSocket when the client never answers the offer', async () => {
    const web = nodeWebTransport({ server: { dataChannelTimeoutMs: 300 } });
    const listener = await web.listen({ host: '127.0.0.1', port: 0, udpPort: 0, ...limits });
    try {
      const serverP = firstValueFrom(listener.connections$);
      const client = await web.connect({
        host: '127.0.0.1',
        port: listener.address.tcpPort,
        timeoutMs: 5000,
        ...limits,
      });
      const server = await serverP;
      const serverChannel = await server.openDatagrams(() => undefined); // the offer is lost
      await new Promise((r) => setTimeout(r, 400));
      expect(serverChannel.path).toBe('websocket');
      // Still a working channel, on the WebSocket.
      const clientChannel = await client.openDatagrams(() => undefined);
      const up = firstValueFrom(serverChannel.datagrams$);
      clientChannel.send(Uint8Array.of(9));
      expect([...(await up)]).toEqual([9]);
      client.messages.destroy();
    } finally {
      await listener.close();
    }
  });

  it('warns of bad signals from the client and goes on', async () => {
    const web = nodeWebTransport();
    const listener = await web.listen({ host: '127.0.0.1', port: 0, udpPort: 0, ...limits });
    try {
      const serverP = firstValueFrom(listener.connections$);
      const client = await web.connect({
        host: '127.0.0.1',
        port: listener.address.tcpPort,
        timeoutMs: 5000,
        ...limits,
      });
      const server = await serverP;
      const warnings: string[] = [];
      server.warnings$.subscribe((w) => warnings.push(w.message));
      await server.openDatagrams(() => undefined);
      server.signal(Uint8Array.of(77));
      server.signal(
        encodeRtcSignal({ kind: RtcSignalKind.Candidate, mid: '0', candidate: CANDIDATE }),
      );
      server.signal(encodeRtcSignal({ kind: RtcSignalKind.Offer, sdp: 'v=0\r\n' }));
      expect(warnings).toEqual([
        'a bad signal: a signal of unknown kind 77',
        'a candidate before the answer',
        'an offer from a client (the server offers)',
      ]);
      client.messages.destroy();
    } finally {
      await listener.close();
    }
  });
});
