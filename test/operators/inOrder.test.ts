import fc from 'fast-check';
import { Observable, Subject, from, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { inOrder, type InOrderWarning } from '../../src/operators/inOrder.js';
import { permutedWithDuplicates } from './arbitraries.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Marble items are their own key: '0' .. '9'. */
const key = (item: string): number => Number(item);

describe('inOrder', () => {
  it('emits each key once, in order, holding early ones until the gap fills', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' --1--0-----0--3--2-----4--|');
      const expected = '    -----(01)--------(23)--4--|';
      const subs = '       ^-------------------------!';
      expectObservable(source.pipe(inOrder({ key }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('drops duplicates and already delivered keys silently', () => {
    const warnings: InOrderWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 0-0-1-0-2-2-1-|');
      const expected = '    0---1---2-----|';
      expectObservable(source.pipe(inOrder({ key, onWarning: (w) => warnings.push(w) }))).toBe(
        expected,
      );
    });
    expect(warnings).toEqual([]);
  });

  it('starts at `start`, dropping the keys before it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 3-6-4-5---7-|');
      const expected = '    ----4-(56)7-|';
      expectObservable(source.pipe(inOrder({ key, start: 4 }))).toBe(expected);
    });
  });

  it('drops keys `capacity` or more ahead with a beyond-window warning, and holds the rest', () => {
    const warnings: InOrderWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 3-2-1-0-----4-(3|)');
      // capacity 3 while 0 is expected: 1 and 2 may be held, 3 may not.
      const expected = '    ------(012)---(34|)';
      expectObservable(
        source.pipe(inOrder({ key, capacity: 3, onWarning: (w) => warnings.push(w) })),
      ).toBe(expected);
    });
    expect(warnings).toEqual([
      {
        code: 'beyond-window',
        key: 3,
        expected: 0,
        message: expect.stringContaining('beyond the window') as string,
      },
    ]);
  });

  it('drops keys that are not safe integers with a bad-key warning', () => {
    const warnings: InOrderWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 0-x-1-|', { 0: '0', 1: '1', x: 'NaN' });
      const expected = '    0---1-|';
      expectObservable(source.pipe(inOrder({ key, onWarning: (w) => warnings.push(w) }))).toBe(
        expected,
      );
    });
    expect(warnings.map((w) => [w.code, w.expected])).toEqual([['bad-key', 1]]);
  });

  it('passes errors through, dropping what it holds', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' 0-2-#');
      const expected = '    0---#';
      const subs = '       ^---!';
      expectObservable(source.pipe(inOrder({ key }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('passes completion through, discarding what it holds', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 0-2-|');
      const expected = '    0---|';
      expectObservable(source.pipe(inOrder({ key }))).toBe(expected);
    });
  });

  it('sends an error thrown by `key` downstream', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' 0-1-|');
      const expected = '    0-#';
      const failing = (item: string): number => {
        if (item === '1') throw new Error('bad item');
        return 0;
      };
      expectObservable(source.pipe(inOrder({ key: failing }))).toBe(
        expected,
        undefined,
        new Error('bad item'),
      );
    });
  });

  it('unsubscribes from the source when unsubscribed early', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot(' --1--0--3--2--|');
      const unsub = '      ---------!';
      const expected = '   -----(01)';
      const subs = '       ^--------!';
      expectObservable(source.pipe(inOrder({ key })), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('stops a synchronous source when a downstream take is satisfied', () => {
    const sideEffects: number[] = [];
    const synchronous = new Observable<number>((subscriber) => {
      for (const k of [1, 0, 3, 2, 5, 4, 6]) {
        if (subscriber.closed) return;
        sideEffects.push(k);
        subscriber.next(k);
      }
      subscriber.complete();
    });
    const results: number[] = [];
    synchronous.pipe(inOrder({ key: (k: number) => k }), take(3)).subscribe((k) => results.push(k));
    expect(results).toEqual([0, 1, 2]);
    expect(sideEffects).toEqual([1, 0, 3, 2]);
  });

  it('takes from a synchronous source', () => {
    newScheduler().run(({ expectObservable }) => {
      const result = from(['1', '0', '2', '3']).pipe(inOrder({ key }), take(2));
      expectObservable(result).toBe('(01|)');
    });
  });

  it('delivers items fed back while emitting in order, without nesting emissions', () => {
    const source = new Subject<number>();
    const seen: number[] = [];
    let depth = 0;
    let maxDepth = 0;
    source.pipe(inOrder({ key: (k: number) => k })).subscribe((k) => {
      depth += 1;
      maxDepth = Math.max(maxDepth, depth);
      seen.push(k);
      if (k === 0) {
        source.next(2); // held
        source.next(1); // expected next, but 0 is still being emitted
        source.next(1); // duplicate
      }
      if (k === 2) source.next(3);
      depth -= 1;
    });
    source.next(0);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(maxDepth).toBe(1);
  });

  it('can be used on many sources at once: all state is per subscription', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const operator = inOrder({ key });
      expectObservable(cold('1-(0|)').pipe(operator)).toBe('--(01|)');
      expectObservable(cold('0-2-(1|)').pipe(operator)).toBe('0---(12|)');
    });
  });

  it('validates its options at call time', () => {
    expect(() => inOrder({ key, capacity: 0 })).toThrow(RangeError);
    expect(() => inOrder({ key, capacity: 1.5 })).toThrow(RangeError);
    expect(() => inOrder({ key, start: 0.5 })).toThrow(RangeError);
    expect(() => inOrder({ key, start: Number.NaN })).toThrow(RangeError);
  });

  describe('properties', () => {
    const scenario = fc
      .record({ start: fc.integer({ min: -1000, max: 1000 }), n: fc.integer({ min: 0, max: 40 }) })
      .chain(({ start, n }) => {
        const keys = Array.from({ length: n + 1 }, (_, i) => start + i);
        return permutedWithDuplicates(keys).map((arrivals) => ({ start, keys, arrivals }));
      });

    it('turns any permutation and duplication of start..start+n into start..start+n', () => {
      fc.assert(
        fc.property(scenario, ({ start, keys, arrivals }) => {
          const output: number[] = [];
          const warnings: InOrderWarning[] = [];
          from(arrivals)
            .pipe(inOrder({ key: (k: number) => k, start, onWarning: (w) => warnings.push(w) }))
            .subscribe((k) => output.push(k));
          expect(output).toEqual(keys);
          expect(warnings).toEqual([]);
        }),
      );
    });

    it('with a small window, still emits a gap-free prefix from start', () => {
      fc.assert(
        fc.property(
          scenario,
          fc.integer({ min: 1, max: 8 }),
          ({ start, keys, arrivals }, capacity) => {
            const output: number[] = [];
            from(arrivals)
              .pipe(inOrder({ key: (k: number) => k, start, capacity }))
              .subscribe((k) => output.push(k));
            expect(output).toEqual(keys.slice(0, output.length));
          },
        ),
      );
    });
  });
});
