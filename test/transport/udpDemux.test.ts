import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  DatagramSealer,
  Direction,
  randomSessionKey,
} from '../../src/transport/node/datagramSeal.js';
import { tokenPrefix } from '../../src/transport/node/sessionToken.js';
import { UdpDemux, type DemuxRoute } from '../../src/transport/node/udpDemux.js';
import type { TransportWarning } from '../../src/transport/Transport.js';

/** A demultiplexer on a clock the test moves, with what it reports. */
function setUp(options: { retiredMs?: number; maxRetired?: number } = {}) {
  let now = 0;
  const scheduler: SchedulerLike = {
    now: () => now,
    schedule: asyncScheduler.schedule.bind(asyncScheduler),
  };
  const warnings: TransportWarning[] = [];
  const demux = new UdpDemux({
    maxDatagramBytes: 8,
    warn: (w) => warnings.push(w),
    scheduler,
    ...options,
  });
  const open = (address: string) => {
    const route = {
      delivered: [] as Uint8Array[],
      warnings: [] as TransportWarning[],
      ended: [] as (Error | undefined)[],
    };
    const r: DemuxRoute = {
      deliver: (p) => route.delivered.push(p),
      warn: (w) => route.warnings.push(w),
      end: (e) => route.ended.push(e),
    };
    const session = demux.open(address, r);
    sealers.set(
      session.token,
      new DatagramSealer(session.key, Direction.ToServer, tokenPrefix(session.token)),
    );
    return { session, route };
  };
  /** Sealers by token, as the sessions' clients hold them (a token nobody has: a random key). */
  const sealers = new Map<number, DatagramSealer>();
  const sealed = (token: number, ...payload: number[]): Uint8Array => {
    const sealer =
      sealers.get(token) ??
      new DatagramSealer(randomSessionKey(), Direction.ToServer, tokenPrefix(token));
    return Uint8Array.from(sealer.seal(Uint8Array.from(payload)));
  };
  const datagram = (token: number, address: string, port: number, ...payload: number[]) =>
    demux.receive({ data: sealed(token, ...payload), address, port });
  return { demux, warnings, open, sealed, datagram, advance: (ms: number) => (now += ms) };
}

describe('UdpDemux', () => {
  it('delivers the message between counter and tag, as a view with no copy', () => {
    const { demux, open, sealed } = setUp();
    const { session, route } = open('10.0.0.1');
    const data = sealed(session.token, 5, 6);
    demux.receive({ data, address: '10.0.0.1', port: 4000 });
    expect(route.delivered).toEqual([Uint8Array.of(5, 6)]);
    expect(route.delivered[0].buffer).toBe(data.buffer);
    expect(route.delivered[0].byteOffset).toBe(12);
    expect(session.port).toBe(4000);
  });

  it("takes the port of the first authentic datagram from the session's IP, then of the newest", () => {
    const { demux, open, sealed, datagram } = setUp();
    const { session, route } = open('10.0.0.1');
    datagram(session.token, '10.0.0.9', 1000, 1); // another IP: refused, port still free
    expect(session.port).toBeUndefined();
    datagram(session.token, '10.0.0.1', 2000, 2);
    const late = sealed(session.token, 3);
    datagram(session.token, '10.0.0.1', 3000, 4); // the newest, from another port: a rebinding
    expect(session.port).toBe(3000);
    demux.receive({ data: late, address: '10.0.0.1', port: 2000 }); // late: delivered, port kept
    expect(session.port).toBe(3000);
    expect(route.delivered).toEqual([Uint8Array.of(2), Uint8Array.of(4), Uint8Array.of(3)]);
    expect(route.warnings.map((w) => [w.code, w.address, w.port])).toEqual([
      ['bad-token', '10.0.0.9', 1000],
    ]);
  });

  it('refuses a datagram that does not prove the key: bad-datagram, and the port stays', () => {
    const { demux, open, sealed } = setUp();
    const { session, route } = open('10.0.0.1');
    const forger = open('10.0.0.1').session; // another session's key, this session's token
    const forged = sealed(forger.token, 7);
    forged.set(tokenPrefix(session.token), 0);
    demux.receive({ data: forged, address: '10.0.0.1', port: 6666 });
    expect(session.port).toBeUndefined();
    demux.receive({ data: sealed(session.token, 1), address: '10.0.0.1', port: 2000 });
    const corrupt = sealed(session.token, 2);
    corrupt[12] ^= 0x80; // one bit of the message
    demux.receive({ data: corrupt, address: '10.0.0.1', port: 6666 });
    expect(session.port).toBe(2000);
    expect(route.delivered).toEqual([Uint8Array.of(1)]);
    expect(route.warnings.map((w) => [w.code, w.port])).toEqual([
      ['bad-datagram', 6666],
      ['bad-datagram', 6666],
    ]);
  });

  it('drops a replayed datagram quietly, from its own port or another, and it moves nothing', () => {
    const { demux, open, sealed, warnings } = setUp();
    const { session, route } = open('10.0.0.1');
    const first = sealed(session.token, 1);
    demux.receive({ data: first, address: '10.0.0.1', port: 2000 });
    demux.receive({ data: first, address: '10.0.0.1', port: 2000 });
    demux.receive({ data: first, address: '10.0.0.1', port: 6666 });
    expect(session.port).toBe(2000);
    expect(route.delivered).toEqual([Uint8Array.of(1)]);
    expect(route.warnings).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('tells a stranger from a known peer with a token not its own', () => {
    const { warnings, open, datagram } = setUp();
    const { session } = open('10.0.0.1');
    datagram(session.token, '10.0.0.1', 2000);
    const wrong = (session.token ^ 1) >>> 0;
    datagram(wrong, '10.0.0.1', 2000);
    datagram(wrong, '10.0.0.1', 2001);
    expect(warnings.map((w) => [w.code, w.port])).toEqual([
      ['bad-token', 2000],
      ['unknown-sender', 2001],
    ]);
  });

  it('refuses datagrams shorter than token, counter and tag, or longer than the limit', () => {
    const { demux, warnings, open, datagram } = setUp();
    const { session, route } = open('10.0.0.1');
    demux.receive({ data: new Uint8Array(19), address: '10.0.0.1', port: 1 });
    datagram(session.token, '10.0.0.1', 1, ...new Array<number>(9).fill(0));
    datagram(session.token, '10.0.0.1', 1, ...new Array<number>(8).fill(0));
    expect(warnings.map((w) => w.code)).toEqual(['decode-error', 'decode-error']);
    expect(route.delivered).toHaveLength(1);
  });

  it("drops a retired token's datagrams from where it was quietly, for retiredMs", () => {
    const { demux, warnings, open, datagram, advance } = setUp({ retiredMs: 2000 });
    const { session, route } = open('10.0.0.1');
    datagram(session.token, '10.0.0.1', 2000, 1);
    demux.retire(session);
    demux.retire(session); // twice is fine
    expect(demux.size).toBe(0);
    datagram(session.token, '10.0.0.1', 2000, 2);
    expect(warnings).toEqual([]);
    datagram(session.token, '10.0.0.1', 2001, 3); // not from where it was
    expect(warnings.map((w) => w.code)).toEqual(['unknown-sender']);
    advance(2000);
    datagram(session.token, '10.0.0.1', 2000, 4);
    expect(warnings.map((w) => w.code)).toEqual(['unknown-sender', 'unknown-sender']);
    expect(route.delivered).toHaveLength(1);
  });

  it('keeps at most maxRetired retired tokens, the oldest going first', () => {
    const { demux, open, datagram, warnings } = setUp({ maxRetired: 3 });
    const sessions = [1, 2, 3, 4, 5].map((i) => open(`10.0.0.${i}`).session);
    for (const s of sessions) demux.retire(s);
    expect(demux.retiredCount).toBe(3);
    datagram(sessions[0].token, '10.0.0.1', 1); // forgotten: a stranger now
    datagram(sessions[4].token, '10.0.0.5', 1); // remembered: quiet
    expect(warnings.map((w) => w.code)).toEqual(['unknown-sender']);
  });

  it('gives each session its own token', () => {
    const { open } = setUp();
    const tokens = new Set(Array.from({ length: 100 }, () => open('10.0.0.1').session.token));
    expect(tokens.size).toBe(100);
  });

  it('ends every route on close, and ignores what comes after', () => {
    const { demux, open, datagram, warnings } = setUp();
    const a = open('10.0.0.1');
    const b = open('10.0.0.2');
    const failure = new Error('socket failed');
    demux.close(failure);
    expect(a.route.ended).toEqual([failure]);
    expect(b.route.ended).toEqual([failure]);
    datagram(a.session.token, '10.0.0.1', 1);
    expect(warnings).toEqual([]);
    expect(() => open('10.0.0.3')).toThrow();
  });
});
