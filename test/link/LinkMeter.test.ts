import { describe, expect, it } from 'vitest';
import { LinkMeter } from '../../src/link/LinkMeter.js';

describe('LinkMeter', () => {
  it('counts loss from gaps in sequence numbers, ignoring duplicates and stale packets', () => {
    const m = new LinkMeter(() => 0);
    // 0..9 with 3 and 7 lost, 5 duplicated twice.
    for (const seq of [0, 1, 2, 4, 5, 5, 5, 6, 8, 9]) m.onReceived(10, seq);
    expect(m.sample(0, 0).lossIn).toBeCloseTo(0.2);
    // Next window: 10..19 all received, plus a stale 2 and a late 7 from the window before.
    for (let seq = 10; seq < 20; seq++) m.onReceived(10, seq);
    m.onReceived(10, 2);
    m.onReceived(10, 7);
    expect(m.sample(0, 0).lossIn).toBe(0);
    expect(m.packetsReceived).toBe(22);
  });

  it('reports a window with nothing from a peer heard before as all lost', () => {
    const m = new LinkMeter(() => 0);
    expect(m.sample(0, 0).lossIn).toBe(0); // never heard: nothing expected
    m.onReceived(1, 0);
    expect(m.sample(0, 0).lossIn).toBe(0);
    expect(m.sample(0, 0).lossIn).toBe(1);
    m.onReceived(1, 1);
    expect(m.sample(0, 0).lossIn).toBe(0);
  });

  it('unwraps sequence numbers across 2^7', () => {
    const m = new LinkMeter(() => 0);
    for (const seq of [125, 126, 127, 0, 2, 3]) m.onReceived(1, seq);
    // 125..3 is 7 packets, 1 lost.
    expect(m.sample(0, 0).lossIn).toBeCloseTo(1 / 7);
  });

  it('measures the round trip from an echoed timestamp, minus the time the peer held it', () => {
    let now = 1000;
    const a = new LinkMeter(() => now);
    const b = new LinkMeter(() => now);
    const sentAt = a.clock16();
    now += 10; // one way
    b.onReceived(20, 0, sentAt);
    now += 5; // b holds it
    const { echoSentAt, echoDelayMs } = b.echo();
    expect(echoDelayMs).toBe(5);
    now += 10; // way back
    a.onEcho(echoSentAt, echoDelayMs);
    expect(a.srttMs).toBe(20);
    expect(a.rttVarMs).toBe(10);
  });

  it('has nothing to echo before it heard the peer, and ignores such an echo', () => {
    const m = new LinkMeter(() => 0);
    expect(m.echo()).toEqual({ echoSentAt: 0, echoDelayMs: 0xffff });
    m.onEcho(0, 0xffff);
    expect(m.srttMs).toBeNull();
  });
});
