import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkMeter } from '../../src/link/LinkMeter.js';

/** The loss count of the meter, written as a set of the distinct unwrapped numbers. */
class LossModel {
  private highest = -1;
  private last = 0;
  private first = -1;
  private readonly seen = new Set<number>();
  received(seq: number): void {
    if (this.highest < 0) {
      this.highest = this.last = this.first = seq;
      this.seen.add(seq);
      return;
    }
    let delta = (seq - this.last) & 0x7f;
    if (delta > 63) delta -= 128;
    const unwrapped = this.highest + delta;
    if (delta > 0) {
      this.highest = unwrapped;
      this.last = seq;
    }
    if (unwrapped >= this.first) this.seen.add(unwrapped);
  }
  take(): number {
    if (this.first < 0) return 0;
    const expected = this.highest - this.first + 1;
    if (expected <= 0) return 1;
    const loss = Math.max(0, 1 - this.seen.size / expected);
    this.first = this.highest + 1;
    this.seen.clear();
    return loss;
  }
}

describe('LinkMeter', () => {
  it('counts loss as the set of distinct sequence numbers of each window does (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.constant(-1)), { maxLength: 400 }),
        (events) => {
          const m = new LinkMeter(() => 0);
          const model = new LossModel();
          let seq = 0;
          for (const e of events) {
            if (e === -1) {
              expect(m.takeReceiveLoss()).toBe(model.take());
              continue;
            }
            // Mostly in order, with jumps, repeats and late ones.
            seq = e % 5 === 0 ? e : (seq + 1 + (e % 3)) & 0x7f;
            m.onReceived(1, seq);
            model.received(seq);
          }
          expect(m.takeReceiveLoss()).toBe(model.take());
        },
      ),
    );
  });

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

  it('takes one sample from the copies of a packet (the same echo again), not one per copy', () => {
    let now = 1000;
    const a = new LinkMeter(() => now);
    const first = a.clock16();
    now += 20;
    a.onEcho(first, 0);
    now += 40;
    const second = a.clock16() - 40; // a round trip of 40 ms, its copies arriving together
    for (let copy = 0; copy < 5; copy++) a.onEcho(second, 0);
    // One sample of 40 after one of 20: srtt 20 + (40 - 20) / 8, rttvar 0.75 * 10 + 0.25 * 20.
    expect(a.srttMs).toBe(22.5);
    expect(a.rttVarMs).toBe(12.5);
  });
});
