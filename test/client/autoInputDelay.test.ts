import { describe, expect, it } from 'vitest';
import { chooseInputDelay } from '../../src/client/autoInputDelay.js';

const at60 = (rttMs: number | null, jitterMs: number | null, current: number): number =>
  chooseInputDelay({ rttMs, jitterMs, tickRate: 60, current });

describe('chooseInputDelay', () => {
  it('keeps the delay until the round trip is measured', () => {
    expect(at60(null, null, 2)).toBe(2);
  });

  it('covers a round trip, two jitters and half a tick', () => {
    expect(at60(0, 0, 0)).toBe(1); // half a tick of send cadence
    expect(at60(40, 5, 0)).toBe(4); // 50 ms = 3 ticks, + half a tick
    expect(at60(100, 20, 0)).toBe(9); // 140 ms = 8.4 ticks, + 0.5
    expect(chooseInputDelay({ rttMs: 40, jitterMs: 5, tickRate: 20, current: 0 })).toBe(2);
  });

  it('raises at once, lowers one tick at a time and only 2 ticks below', () => {
    expect(at60(200, 0, 1)).toBe(13);
    expect(at60(40, 5, 5)).toBe(5); // ideal 4: within the hysteresis
    expect(at60(40, 5, 6)).toBe(5); // ideal 4: one tick down
    expect(at60(0, 0, 13)).toBe(12);
  });

  it('does not flap on a link wavering around a tick boundary', () => {
    let delay = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      delay = at60(i % 2 === 0 ? 55 : 62, 0, delay); // 4 and 5 ticks in turn
      if (i > 0) seen.add(delay);
    }
    expect([...seen]).toEqual([5]);
  });

  it('stays within 1..128 once measured', () => {
    expect(at60(10_000, 1000, 0)).toBe(128);
    expect(at60(-5, -5, 0)).toBe(1);
    expect(chooseInputDelay({ rttMs: 0, jitterMs: 0, tickRate: 1, current: 0 })).toBe(1);
  });
});
