import fc from 'fast-check';
import { Observable, Subject, from, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  sendWindow,
  type SendBatch,
  type SendWindowCommand,
  type SendWindowWarning,
} from '../../src/operators/sendWindow.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

type Command = SendWindowCommand<number>;
const push = (item: number): Command => ({ type: 'push', item });
const ack = (key: number): Command => ({ type: 'ack', key });
const send: Command = { type: 'send' };
const batch = (items: number[], unacked = items.length): SendBatch<number> => ({
  items,
  unacked,
});
/** Items are their own key. */
const key = (item: number): number => item;

/** Push 1..4 as a..d, ack k as 0..9 by digit, s = send. */
const commands: Record<string, Command> = {
  a: push(1),
  b: push(2),
  c: push(3),
  d: push(4),
  e: push(5),
  s: send,
  ...Object.fromEntries(Array.from({ length: 10 }, (_, k) => [String(k), ack(k)])),
};

describe('sendWindow', () => {
  it('emits every unacknowledged item on each push, oldest first', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-b-c-|', commands);
      const expected = '    A-B-C-|';
      const subs = '        ^-----!';
      expectObservable(source.pipe(sendWindow({ key }))).toBe(expected, {
        A: batch([1]),
        B: batch([1, 2]),
        C: batch([1, 2, 3]),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('does what its documentation diagram shows: acks drop what they cover and emit nothing', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' -a--b--c--2--s--d--9--s--|', commands);
      const expected = '    -A--B--C-----D--E-----F--|';
      expectObservable(source.pipe(sendWindow({ key }))).toBe(expected, {
        A: batch([1]),
        B: batch([1, 2]),
        C: batch([1, 2, 3]),
        D: batch([3]),
        E: batch([3, 4]),
        F: batch([]),
      });
    });
  });

  it('ignores stale acks', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-c-2-1-0-s-|', commands);
      const expected = '    A-B-C-------D-|';
      expectObservable(source.pipe(sendWindow({ key }))).toBe(expected, {
        A: batch([1]),
        B: batch([1, 2]),
        C: batch([1, 2, 3]),
        D: batch([3]),
      });
    });
  });

  it('emits an empty batch on send when nothing is held', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' s-s-|', commands);
      const expected = '    E-E-|';
      expectObservable(source.pipe(sendWindow({ key }))).toBe(expected, { E: batch([]) });
    });
  });

  it('does not emit on push when sendOnPush is false', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-s-1-s-|', commands);
      const expected = '    ----A---B-|';
      expectObservable(source.pipe(sendWindow({ key, sendOnPush: false }))).toBe(expected, {
        A: batch([1, 2]),
        B: batch([2]),
      });
    });
  });

  it('puts in a batch only the oldest items that fit in budgetBytes, counting all in unacked', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-c-d-1-s-|', commands);
      const expected = '    A-B-C-D---E-|';
      // Item k weighs 300 + 100 * k bytes: 400, 500, 600, 700.
      const sizeOf = (item: number): number => 300 + 100 * item;
      expectObservable(source.pipe(sendWindow({ key, sizeOf, budgetBytes: 1000 }))).toBe(expected, {
        A: batch([1], 1),
        B: batch([1, 2], 2),
        C: batch([1, 2], 3),
        D: batch([1, 2], 4),
        E: batch([2], 3),
      });
    });
  });

  it('refuses an item larger than the budget with an item-too-large warning', () => {
    const warnings: SendWindowWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-c-|', commands);
      const expected = '    A-B-C-|';
      const sizeOf = (item: number): number => (item === 2 ? 1201 : 1);
      expectObservable(
        source.pipe(sendWindow({ key, sizeOf, onWarning: (w) => warnings.push(w) })),
      ).toBe(expected, {
        A: batch([1]),
        B: batch([1]),
        C: batch([1]), // 3 does not follow 1: refused as well
      });
    });
    expect(warnings.map((w) => [w.code, w.key])).toEqual([
      ['item-too-large', 2],
      ['not-consecutive', 3],
    ]);
  });

  it('accepts any key first, then only the last pushed key + 1', () => {
    const warnings: SendWindowWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' c-e-b-c-d-|', commands);
      const expected = '    A-B-C-D-E-|';
      expectObservable(source.pipe(sendWindow({ key, onWarning: (w) => warnings.push(w) }))).toBe(
        expected,
        {
          A: batch([3]),
          B: batch([3]),
          C: batch([3]),
          D: batch([3]),
          E: batch([3, 4]),
        },
      );
    });
    expect(warnings).toEqual([
      {
        code: 'not-consecutive',
        key: 5,
        message: 'sendWindow: key 5 does not follow the last pushed key 3',
      },
      {
        code: 'not-consecutive',
        key: 2,
        message: 'sendWindow: key 2 does not follow the last pushed key 3',
      },
      {
        code: 'not-consecutive',
        key: 3,
        message: 'sendWindow: key 3 does not follow the last pushed key 3',
      },
    ]);
  });

  it('refuses a push when full, still emitting a batch; the same push can be retried once acks make room', () => {
    const warnings: SendWindowWarning[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-c-d-1-d-c-|', commands);
      const expected = '    A-B-B-B---D-C-|';
      expectObservable(
        source.pipe(sendWindow({ key, capacity: 2, onWarning: (w) => warnings.push(w) })),
      ).toBe(expected, {
        A: batch([1]),
        B: batch([1, 2]),
        D: batch([2]),
        C: batch([2, 3]),
      });
    });
    expect(warnings.map((w) => [w.code, w.key])).toEqual([
      ['window-full', 3],
      ['not-consecutive', 4], // 3 was refused: 4 would leave a gap
      ['not-consecutive', 4], // still: 3 has to come first
    ]);
  });

  it('refuses a first key that is not a safe integer', () => {
    const warnings: SendWindowWarning[] = [];
    from([push(0.5), push(Number.NaN), push(7)])
      .pipe(sendWindow({ key, onWarning: (w) => warnings.push(w) }))
      .subscribe();
    expect(warnings.map((w) => w.code)).toEqual(['not-consecutive', 'not-consecutive']);
  });

  it('emits a fresh items array every time', () => {
    const batches: SendBatch<number>[] = [];
    from([push(1), send, send])
      .pipe(sendWindow({ key }))
      .subscribe((b) => batches.push(b));
    expect(batches).toHaveLength(3);
    expect(batches[1]?.items).not.toBe(batches[0]?.items);
    expect(batches[2]?.items).not.toBe(batches[1]?.items);
    (batches[0]?.items as number[]).push(99); // the owner may keep and change its copy
    expect(batches[2]?.items).toEqual([1]);
  });

  it('passes errors through', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-#', commands);
      const expected = '    A-#';
      const subs = '        ^-!';
      expectObservable(source.pipe(sendWindow({ key }))).toBe(expected, { A: batch([1]) });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('sends an error thrown by sizeOf downstream', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-|', commands);
      const expected = '    A-#';
      const sizeOf = (item: number): number => {
        if (item === 2) throw new Error('cannot measure');
        return 1;
      };
      expectObservable(source.pipe(sendWindow({ key, sizeOf }))).toBe(
        expected,
        { A: batch([1]) },
        new Error('cannot measure'),
      );
    });
  });

  it('unsubscribes from the source when unsubscribed early', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot(' a-b-c-d-|', commands);
      const unsub = '      ---!';
      const expected = '   A-B';
      const subs = '       ^--!';
      expectObservable(source.pipe(sendWindow({ key })), unsub).toBe(expected, {
        A: batch([1]),
        B: batch([1, 2]),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('stops a synchronous source when a downstream take is satisfied', () => {
    const sideEffects: number[] = [];
    const synchronous = new Observable<Command>((subscriber) => {
      for (let k = 0; k < 10 && !subscriber.closed; k += 1) {
        sideEffects.push(k);
        subscriber.next(push(k));
      }
      subscriber.complete();
    });
    const unacked: number[] = [];
    synchronous.pipe(sendWindow({ key }), take(2)).subscribe((b) => unacked.push(b.unacked));
    expect(unacked).toEqual([1, 2]);
    expect(sideEffects).toEqual([0, 1]);
  });

  it('takes from a synchronous source', () => {
    newScheduler().run(({ expectObservable }) => {
      const result = from([push(1), push(2), push(3)]).pipe(sendWindow({ key }), take(2));
      expectObservable(result).toBe('(AB|)', { A: batch([1]), B: batch([1, 2]) });
    });
  });

  it('handles commands fed back while a batch is emitted', () => {
    const source = new Subject<Command>();
    const seen: SendBatch<number>[] = [];
    source.pipe(sendWindow({ key })).subscribe((b) => {
      seen.push(b);
      if (b.unacked === 2) {
        // An ack and a send arriving while the batch is emitted: the window is already
        // up to date, so the nested batch reflects the ack.
        source.next(ack(1));
        source.next(send);
      }
    });
    source.next(push(1));
    source.next(push(2));
    source.next(send);
    expect(seen).toEqual([batch([1]), batch([1, 2]), batch([2]), batch([2])]);
  });

  it('validates its options at call time', () => {
    expect(() => sendWindow({ key, capacity: 0 })).toThrow(RangeError);
    expect(() => sendWindow({ key, capacity: 2.5 })).toThrow(RangeError);
    expect(() => sendWindow({ key, budgetBytes: 0 })).toThrow(RangeError);
    expect(() => sendWindow({ key, budgetBytes: Number.NaN })).toThrow(RangeError);
  });

  describe('properties', () => {
    interface Item {
      readonly key: number;
      readonly size: number;
    }
    type Step = { type: 'push'; size: number } | { type: 'ack'; offset: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ type: fc.constant('push' as const), size: fc.integer({ min: 1, max: 500 }) }),
      fc.record({ type: fc.constant('ack' as const), offset: fc.integer({ min: -3, max: 8 }) }),
    );

    it('holds exactly the pushed items with key > the highest ack since, capped, and batches the prefix that fits', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: -100, max: 100 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(step, { maxLength: 60 }),
          (firstKey, capacity, steps) => {
            const budgetBytes = 1200;
            // The model: every accepted push, with the highest ack received after it was
            // pushed (an ack concerns only the items held when it arrives).
            const accepted: { item: Item; maxAck: number }[] = [];
            const modelWindow = (): Item[] =>
              accepted.filter(({ item, maxAck }) => item.key > maxAck).map(({ item }) => item);

            const source = new Subject<SendWindowCommand<Item>>();
            const batches: SendBatch<Item>[] = [];
            const warnings: SendWindowWarning[] = [];
            source
              .pipe(
                sendWindow<Item>({
                  key: (item) => item.key,
                  sizeOf: (item) => item.size,
                  capacity,
                  budgetBytes,
                  sendOnPush: false,
                  onWarning: (w) => warnings.push(w),
                }),
              )
              .subscribe((b) => batches.push(b));

            for (const s of steps) {
              const last = accepted.at(-1)?.item;
              if (s.type === 'push') {
                const item = { key: last === undefined ? firstKey : last.key + 1, size: s.size };
                if (modelWindow().length < capacity) accepted.push({ item, maxAck: -Infinity });
                source.next({ type: 'push', item });
              } else {
                const k = (last === undefined ? firstKey : last.key) + s.offset - 4;
                for (const entry of accepted) entry.maxAck = Math.max(entry.maxAck, k);
                source.next({ type: 'ack', key: k });
              }
              source.next({ type: 'send' });

              const window = modelWindow();
              let fits = 0;
              let bytes = 0;
              while (fits < window.length && bytes + (window[fits]?.size ?? 0) <= budgetBytes) {
                bytes += window[fits]?.size ?? 0;
                fits += 1;
              }
              expect(batches.at(-1)).toEqual({
                items: window.slice(0, fits),
                unacked: window.length,
              });
            }
            expect(warnings.every((w) => w.code === 'window-full')).toBe(true);
          },
        ),
      );
    });
  });
});
