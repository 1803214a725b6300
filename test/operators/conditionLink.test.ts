import { Observable, Subject, interval, range, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { conditionLink, type LinkConditionerOptions } from '../../src/operators/conditionLink.js';
import { createRandom } from '../../src/operators/random.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs `source` (a cold marble) through the conditioner on virtual time: `value@time` each. */
function deliveries(marbles: string, options: LinkConditionerOptions): string[] {
  const scheduler = new TestScheduler(() => undefined);
  const log: string[] = [];
  scheduler.run(({ cold }) => {
    cold(marbles)
      .pipe(conditionLink({ ...options, scheduler }))
      .subscribe({
        next: (value) => log.push(`${value}@${scheduler.now()}`),
        complete: () => log.push(`|@${scheduler.now()}`),
      });
  });
  return log;
}

describe('conditionLink', () => {
  it('is the identity with the defaults, synchronously', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-(cd)-|');
      const expected = '    a-b-(cd)-|';
      const subs = '        ^--------!';
      expectObservable(source.pipe(conditionLink())).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
    const values: number[] = [];
    range(0, 3)
      .pipe(conditionLink())
      .subscribe((v) => values.push(v));
    expect(values).toEqual([0, 1, 2]); // delivered before subscribe returned
  });

  it('delays every value by delayMs, completing after the last delivery', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-c|');
      const expected = '    ---a-b-(c|)';
      const subs = '        ^----!';
      expectObservable(source.pipe(conditionLink({ delayMs: 3 }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('drops values with a known, seeded pattern', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' abcdefghij|');
      const expected = '    ab-def--ij|';
      expectObservable(source.pipe(conditionLink({ loss: 0.3, seed: 1 }))).toBe(expected);
    });
  });

  it('does what its documentation diagram shows', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-c-d-e-|');
      const expected = '    --a-b-c---(e|)';
      expectObservable(source.pipe(conditionLink({ loss: 0.3, delayMs: 2, seed: 3 }))).toBe(
        expected,
      );
    });
  });

  it('gives the same output for the same seed, and another for another seed', () => {
    const marbles = 'abcdefghijklmnopqrst|';
    const options: LinkConditionerOptions = {
      loss: 0.2,
      duplicate: 0.2,
      delayMs: 3,
      jitterMs: 4,
      reorder: 0.2,
    };
    const first = deliveries(marbles, { ...options, seed: 1234 });
    const again = deliveries(marbles, { ...options, seed: 1234 });
    const other = deliveries(marbles, { ...options, seed: 4321 });
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('keeps the loss pattern of a seed whatever the other options', () => {
    const values = (log: string[]): string[] =>
      [...new Set(log.map((entry) => entry.split('@')[0]))].sort();
    const marbles = 'abcdefghijklmnopqrst|';
    const plain = deliveries(marbles, { loss: 0.3, seed: 9 });
    const busy = deliveries(marbles, {
      loss: 0.3,
      seed: 9,
      jitterMs: 5,
      reorder: 0.5,
      duplicate: 0.5,
    });
    expect(values(busy)).toEqual(values(plain));
  });

  it('delivers a value twice with probability `duplicate`', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-----(b|)');
      const expected = '    (aa)--(bb|)';
      expectObservable(source.pipe(conditionLink({ duplicate: 1 }))).toBe(expected);
    });
  });

  it('holds values back by reorderDelayMs so that later ones overtake them', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-----b-----c-----d-----e-----f-----|');
      // With seed 3, a and f are held back by 8 ms: b overtakes a.
      const expected = '    ------b-a---c-----d-----e-------------(f|)';
      expectObservable(
        source.pipe(conditionLink({ reorder: 0.3, reorderDelayMs: 8, seed: 3 })),
      ).toBe(expected);
    });
  });

  it('adds a whole-ms jitter in [0, jitterMs] to each delivery', () => {
    const log = deliveries('a-b-c-d-e-f-g-h-i-j|', { delayMs: 5, jitterMs: 3, seed: 5 });
    const arrivals = new Map(
      log
        .filter((entry) => !entry.startsWith('|'))
        .map((entry) => entry.split('@') as [string, string]),
    );
    expect(arrivals.size).toBe(10);
    // Value number i is sent at 2 * i: its jitter is what it took beyond the 5 ms delay.
    const jitters = [...'abcdefghij'].map((value, i) => Number(arrivals.get(value)) - 2 * i - 5);
    expect(jitters.every((j) => Number.isInteger(j) && j >= 0 && j <= 3)).toBe(true);
    expect(new Set(jitters).size).toBeGreaterThan(1); // it does vary
  });

  it('passes errors through at once, dropping pending deliveries', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-#');
      const expected = '    ---a#';
      const subs = '        ^---!';
      expectObservable(source.pipe(conditionLink({ delayMs: 3 }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('cancels pending deliveries when unsubscribed early', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot(' a-b-c-|');
      const unsub = '      ----!';
      const expected = '   ---a';
      const subs = '       ^---!';
      expectObservable(source.pipe(conditionLink({ delayMs: 3 })), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
    // And nothing is left scheduled afterwards.
    const scheduler = new TestScheduler(() => undefined);
    const seen: number[] = [];
    const subscription = interval(1, scheduler)
      .pipe(conditionLink({ delayMs: 10, scheduler }))
      .subscribe((v) => seen.push(v));
    scheduler.schedule(() => subscription.unsubscribe(), 5);
    scheduler.flush();
    expect(seen).toEqual([]);
    expect(scheduler.actions).toHaveLength(0);
  });

  it('stops a synchronous source when a downstream take is satisfied', () => {
    const sideEffects: number[] = [];
    const synchronous = new Observable<number>((subscriber) => {
      for (let i = 0; i < 10 && !subscriber.closed; i += 1) {
        sideEffects.push(i);
        subscriber.next(i);
      }
      subscriber.complete();
    });
    const values: number[] = [];
    synchronous
      .pipe(conditionLink({ loss: 0.3, seed: 1 }), take(3))
      .subscribe((v) => values.push(v));
    expect(values).toEqual([0, 1, 3]); // 2 is lost with seed 1
    expect(sideEffects).toEqual([0, 1, 2, 3]);
  });

  it('takes from a synchronous source', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(abc|)').pipe(conditionLink({ duplicate: 1 }), take(3))).toBe(
        '(aab|)',
      );
    });
  });

  it('handles values and completion fed back from a delivery', () => {
    const scheduler = new TestScheduler(() => undefined);
    const source = new Subject<string>();
    const log: string[] = [];
    source.pipe(conditionLink({ delayMs: 2, scheduler })).subscribe({
      next: (value) => {
        log.push(`${value}@${scheduler.now()}`);
        if (value === 'a') {
          source.next('b');
          source.complete(); // must still wait for b
        }
      },
      complete: () => log.push(`|@${scheduler.now()}`),
    });
    source.next('a');
    scheduler.flush();
    expect(log).toEqual(['a@2', 'b@4', '|@4']);
  });

  it('drops about `loss` of 10,000 values', () => {
    let delivered = 0;
    range(0, 10_000)
      .pipe(conditionLink({ loss: 0.25, seed: 2024 }))
      .subscribe(() => (delivered += 1));
    const dropped = 1 - delivered / 10_000;
    expect(dropped).toBeGreaterThanOrEqual(0.22);
    expect(dropped).toBeLessThanOrEqual(0.28);
  });

  it('duplicates about `duplicate` of 10,000 values', () => {
    let delivered = 0;
    range(0, 10_000)
      .pipe(conditionLink({ duplicate: 0.1, seed: 2024 }))
      .subscribe(() => (delivered += 1));
    expect(delivered / 10_000 - 1).toBeGreaterThanOrEqual(0.08);
    expect(delivered / 10_000 - 1).toBeLessThanOrEqual(0.12);
  });

  it('validates its options at call time', () => {
    for (const name of ['loss', 'duplicate', 'reorder'] as const) {
      expect(() => conditionLink({ [name]: -0.1 })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: 1.1 })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: Number.NaN })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: 1 })).not.toThrow();
    }
    for (const name of ['delayMs', 'jitterMs', 'reorderDelayMs'] as const) {
      expect(() => conditionLink({ [name]: -1 })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: Infinity })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: Number.NaN })).toThrow(RangeError);
      expect(() => conditionLink({ [name]: 0 })).not.toThrow();
    }
    expect(() => conditionLink({ seed: Number.NaN })).toThrow(RangeError);
    expect(() => conditionLink({ seed: Infinity })).toThrow(RangeError);
  });
});

describe('createRandom', () => {
  it('gives the same sequence for the same seed, in [0, 1)', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const c = createRandom(8);
    const fromA = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(fromA);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(fromA);
    expect(fromA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('is roughly uniform', () => {
    const random = createRandom(99);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i += 1) {
      const index = Math.floor(random() * 10);
      buckets[index] = (buckets[index] ?? 0) + 1;
    }
    expect(buckets.every((count) => count > 9_500 && count < 10_500)).toBe(true);
  });
});
