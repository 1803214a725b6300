import { from, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { playout } from '../../src/operators/playout.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('playout', () => {
  it('does what its documentation diagram shows: a burst is released on the cadence', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-------(bcd)-------e----|');
      const expected = '    --a-----b-c-d-------e----|';
      const subs = '       ^------------------------!';
      expectObservable(source.pipe(playout({ delayMs: 2, intervalMs: 2 }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('holds the first value delayMs, then spaces values intervalMs apart', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (abcd)');
      const expected = '    ---a--b--c--d';
      expectObservable(source.pipe(playout({ delayMs: 3, intervalMs: 3, catchUpAfter: 10 }))).toBe(
        expected,
      );
    });
  });

  it('releases a late value at once and restarts the cadence from it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a---------(bc)');
      const expected = '    -a--------b-c';
      expectObservable(source.pipe(playout({ delayMs: 1, intervalMs: 2 }))).toBe(expected);
    });
  });

  it('catches up at twice the cadence when the backlog is beyond the buffer', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // depth = 1; backlog beyond 1 + 1 held values goes at every 2 instead of 4.
      const source = cold(' (abcdef)');
      const expected = '    ----a-b-c-d---e---f';
      expectObservable(source.pipe(playout({ delayMs: 4, intervalMs: 4, catchUpAfter: 1 }))).toBe(
        expected,
      );
    });
  });

  it('completes only once every held value is released', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (ab|)');
      const expected = '    --a-(b|)';
      expectObservable(source.pipe(playout({ delayMs: 2, intervalMs: 2, catchUpAfter: 5 }))).toBe(
        expected,
      );
    });
  });

  it('passes an error through at once, dropping what is held', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (ab)-#');
      const expected = '    -----#';
      expectObservable(source.pipe(playout({ delayMs: 9, intervalMs: 2 }))).toBe(expected);
    });
  });

  it('stops its timers when unsubscribed early', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' (abc)');
      const unsub = '       ----!';
      const expected = '    --a--';
      const subs = '       ^---!';
      expectObservable(source.pipe(playout({ delayMs: 2, intervalMs: 4 })), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('works with a synchronous source and take', () => {
    newScheduler().run(({ expectObservable }) => {
      const expected = '--a-(b|)';
      expectObservable(
        from(['a', 'b', 'c', 'd']).pipe(
          playout({ delayMs: 2, intervalMs: 2, catchUpAfter: 10 }),
          take(2),
        ),
      ).toBe(expected);
    });
  });

  it('releases the oldest at once beyond maxHeld, so memory stays bounded', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (abcd)');
      const expected = '    (ab)--c-----d';
      expectObservable(
        source.pipe(playout({ delayMs: 6, intervalMs: 6, catchUpAfter: 10, maxHeld: 2 })),
      ).toBe(expected);
    });
  });

  it('refuses negative or infinite durations at call time', () => {
    expect(() => playout({ delayMs: -1, intervalMs: 1 })).toThrow(RangeError);
    expect(() => playout({ delayMs: 1, intervalMs: Infinity })).toThrow(RangeError);
  });
});
