// The client's frame delivery: in order, each once, held until started, a catch-up before the live frames after it.
import { describe, expect, it } from 'vitest';
import { FrameDelivery, type FrameDeliveryOptions } from '../../src/client/FrameDelivery.js';
import type { ConfirmedFrame } from '../../src/types.js';

function frame(tick: number): ConfirmedFrame {
  return { tick, inputs: [Uint8Array.of(tick & 0xff)] };
}

function run(first: number, count: number): ConfirmedFrame[] {
  return Array.from({ length: count }, (_, i) => frame(first + i));
}

/** A delivery from tick 0, its watermark a plain counter, and what it delivered. */
function deliveryOf(overrides: Partial<FrameDeliveryOptions> = {}) {
  let watermark = -1;
  let ended = false;
  const delivered: number[] = [];
  const caughtUp: number[] = [];
  const delivery = new FrameDelivery({
    firstTick: 0,
    players: [],
    tickRate: 60,
    playoutDelayMs: undefined,
    // As Link.receive: the new ones of the run that extend what is held without a gap.
    receive: (first, n) => {
      const from = watermark + 1 - first;
      if (from < 0 || from >= n) return [0, 0];
      watermark = first + n - 1;
      return [from, n];
    },
    delivered: (tick) => delivered.push(tick),
    caughtUp: (tick) => caughtUp.push(tick),
    overflow: () => {
      throw new Error('overflow');
    },
    ended: () => ended,
    ...overrides,
  });
  return { delivery, delivered, caughtUp, end: () => (ended = true) };
}

describe('FrameDelivery', () => {
  it('delivers live frames in order, each once, from runs that repeat the ones held', () => {
    const { delivery, delivered } = deliveryOf();
    const seen: number[] = [];
    delivery.frames$.subscribe((f) => seen.push(f.tick));
    delivery.receive(run(0, 2), false);
    delivery.receive(run(0, 4), false);
    delivery.receive(run(2, 3), false);
    delivery.receive(run(6, 1), false); // a gap: not taken
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(delivered).toEqual([0, 1, 2, 3, 4]);
    expect(delivery.lastDelivered).toBe(4);
    expect(delivery.framesBehind()).toBe(2); // frame 6 was seen
  });

  it('holds frames until the first subscriber, then delivers them all in order', () => {
    const { delivery } = deliveryOf();
    delivery.receive(run(0, 3), false);
    delivery.receive(run(3, 2), false);
    const seen: number[] = [];
    delivery.frames$.subscribe((f) => seen.push(f.tick));
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    delivery.receive(run(5, 1), false);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps the order when frames arrive while one is being delivered', () => {
    const { delivery } = deliveryOf();
    const seen: number[] = [];
    delivery.frames$.subscribe((f) => {
      seen.push(f.tick);
      // A transport that delivers synchronously: the next packet comes in during this frame.
      if (f.tick === 1) delivery.receive(run(2, 3), false);
    });
    delivery.receive(run(0, 2), false);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('delivers a catch-up, then its end, then the live frames after it', () => {
    const { delivery, caughtUp } = deliveryOf();
    const seen: string[] = [];
    delivery.frames$.subscribe((f) => seen.push(`${f.tick}${delivery.catchingUp ? 'c' : ''}`));
    delivery.receive(run(0, 3), true);
    delivery.caughtUpAt(3);
    delivery.receive(run(3, 2), false);
    expect(seen).toEqual(['0c', '1c', '2c', '3', '4']);
    expect(caughtUp).toEqual([3]);
  });

  it('delivers nothing once the session has ended', () => {
    const { delivery, end } = deliveryOf();
    const seen: number[] = [];
    delivery.frames$.subscribe((f) => {
      seen.push(f.tick);
      if (f.tick === 1) end();
    });
    delivery.receive(run(0, 4), false);
    delivery.receive(run(4, 1), false);
    expect(seen).toEqual([0, 1]);
  });

  it('names the players who leave from the roster', () => {
    const { delivery } = deliveryOf({ players: [{ playerId: 0, username: 'ann' }] });
    const seen: ConfirmedFrame[] = [];
    delivery.frames$.subscribe((f) => seen.push(f));
    delivery.receive(
      [{ tick: 0, inputs: [null], left: [{ playerId: 0, username: '', reason: 'left' }] }],
      false,
    );
    expect(seen[0].left).toEqual([{ playerId: 0, username: 'ann', reason: 'left' }]);
  });
});
