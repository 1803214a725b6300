// StallShare over a time it did not measure (an idle room not ticked, a stalled server): no one's stall.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { StallShare } from '../../src/server/StallShare.js';

describe('StallShare across a gap in its ticks', () => {
  it('does not count 20 s it did not see as a stall of the player behind', () => {
    const scheduler = new VirtualTimeScheduler();
    let now = 0;
    scheduler.now = () => now;
    const meter = new StallShare(10_000, 0.5, 250, scheduler);
    const samples = [
      { playerId: 0, received: 10 },
      { playerId: 1, received: 9 }, // behind: the head (10) waits for it
    ];
    // Ticked at 60 Hz, the head waiting: player 1 stalls, its share rises but stays low.
    for (let t = 0; t <= 400; t += 16) {
      now = t;
      expect(meter.tick(10, samples)).toEqual([]);
    }
    const before = meter.shareOf(1);
    expect(before).toBeGreaterThan(0);
    // Not ticked for 20 s, then one tick with the same head: a tick after a gap is no
    // evidence of a 20 s stall.
    now = 20_400;
    expect(meter.tick(10, samples)).toEqual([]);
    expect(meter.shareOf(1)).toBeLessThan(before);
    // Measured again from here: a real stall after the gap counts as before.
    for (let t = 20_416; t <= 40_000; t += 16) {
      now = t;
      if (meter.tick(10, samples).includes(1)) return;
    }
    throw new Error('a 20 s stall measured tick by tick was never over the share');
  });
});
