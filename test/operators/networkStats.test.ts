import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { networkStats } from '../../src/operators/networkStats.js';
import type { LinkSample } from '../../src/stats.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const sample = (at: number, bytesIn: number, bytesOut: number): LinkSample => ({
  at,
  packetsIn: bytesIn / 10,
  packetsOut: bytesOut / 10,
  bytesIn,
  bytesOut,
  rttMs: 5,
  jitterMs: 1,
  lossIn: 0.25,
  lossOut: null,
  unacked: 3,
  framesBehind: 2,
});

describe('networkStats', () => {
  it('turns samples into rates from the difference with the sample before', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-c-|', {
        a: sample(0, 0, 0),
        b: sample(1000, 500, 100),
        c: sample(3000, 1500, 100),
      });
      const expected = '    A-B-C-|';
      const { at: _a, ...rest } = sample(0, 0, 0);
      void _a;
      expectObservable(source.pipe(networkStats())).toBe(expected, {
        A: { ...rest, bytesInPerSec: 0, bytesOutPerSec: 0 },
        B: {
          ...rest,
          packetsIn: 50,
          packetsOut: 10,
          bytesIn: 500,
          bytesOut: 100,
          bytesInPerSec: 500,
          bytesOutPerSec: 100,
        },
        C: {
          ...rest,
          packetsIn: 150,
          packetsOut: 10,
          bytesIn: 1500,
          bytesOut: 100,
          bytesInPerSec: 500,
          bytesOutPerSec: 0,
        },
      });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('passes errors through and unsubscribes early', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-#', { a: sample(0, 0, 0) });
      expectObservable(source.pipe(networkStats())).toBe('x-#', {
        x: { ...sample(0, 0, 0), at: undefined, bytesInPerSec: 0, bytesOutPerSec: 0 },
      });
      const early = cold(' a---a', { a: sample(0, 0, 0) });
      expectObservable(early.pipe(networkStats()), '--!').toBe('x--', {
        x: { ...sample(0, 0, 0), at: undefined, bytesInPerSec: 0, bytesOutPerSec: 0 },
      });
      expectSubscriptions(early.subscriptions).toBe('^-!');
    });
  });
});
