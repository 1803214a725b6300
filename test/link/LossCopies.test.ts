import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { LossCopies, copiesFor, type LossCopiesOptions } from '../../src/link/LossCopies.js';

/**
 * The copies a fresh decision gives for reported losses at virtual times: `[ms, loss]` in
 * time order, the copies of each.
 */
function run(
  steps: readonly (readonly [number, number | null])[],
  options: Partial<LossCopiesOptions> = {},
): number[] {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.maxFrames = Number.POSITIVE_INFINITY; // virtual ms: runs of tens of seconds
  const decision = new LossCopies({ maxCopies: 5, scheduler, ...options });
  const out: number[] = [];
  for (const [ms, loss] of steps) scheduler.schedule(() => out.push(decision.copies(loss)), ms);
  scheduler.flush();
  return out;
}

/** One report every `everyMs` from `fromMs`, `count` of them, all `loss`. */
function reports(
  fromMs: number,
  count: number,
  loss: number | null,
  everyMs = 100,
): [number, number | null][] {
  return Array.from({ length: count }, (_, i) => [fromMs + i * everyMs, loss]);
}

describe('copiesFor', () => {
  it('gives the fewest copies that leave at most 0.1% lost', () => {
    const table: [number, number][] = [
      [0, 1],
      [0.001, 1],
      [0.004, 2], // the smallest reported loss (1/255)
      [0.01, 2],
      [0.03, 2],
      [0.05, 3],
      [0.1, 3], // 0.1^3 is 0.001 exactly: not 4
      [0.15, 4],
      [0.2, 5],
      [0.3, 5], // capped
    ];
    for (const [loss, k] of table) expect([loss, copiesFor(loss, 0.001, 5)]).toEqual([loss, k]);
    for (const [loss] of table) {
      const k = copiesFor(loss, 0.001, 99);
      expect(loss ** k).toBeLessThanOrEqual(0.001 + 1e-12);
      if (k > 1) expect(loss ** (k - 1)).toBeGreaterThan(0.001);
    }
  });

  it('gives maxCopies for a loss of everything, and one for nonsense', () => {
    expect(copiesFor(1, 0.001, 4)).toBe(4);
    expect(copiesFor(7, 0.001, 4)).toBe(4);
    expect(copiesFor(Number.NaN, 0.001, 4)).toBe(1);
    expect(copiesFor(-1, 0.001, 4)).toBe(1);
  });
});

describe('LossCopies', () => {
  it('sends one copy while no loss is reported, before and after the first report', () => {
    expect(run([...reports(0, 5, null), ...reports(500, 100, 0)])).toEqual(
      Array<number>(105).fill(1),
    );
  });

  it('sends more copies at once when loss is reported', () => {
    expect(
      run([
        [0, 0],
        [100, 0.05],
        [200, 0.05],
      ]),
    ).toEqual([1, 3, 3]);
    expect(run([[0, 0.2]])).toEqual([5]);
    expect(run([[0, 0.2]], { maxCopies: 4 })).toEqual([4]);
    // Worse loss: more copies at once, with no wait.
    expect(
      run([
        [0, 0.02],
        [10, 0.05],
        [20, 0.2],
      ]),
    ).toEqual([2, 3, 5]);
  });

  it('gives a peer that claims to lose everything maxCopies, never more', () => {
    expect(run(reports(0, 50, 1), { maxCopies: 3 })).toEqual(Array<number>(50).fill(3));
    expect(run([[0, 1]], { maxCopies: 1 })).toEqual([1]);
  });

  it('goes back to one copy only once the loss has stayed away for holdMs', () => {
    // 5% for a second, then none: three copies until 5 s after the last 5% report.
    const out = run([...reports(0, 10, 0.05), ...reports(1000, 100, 0)]);
    expect(out.slice(0, 10)).toEqual(Array<number>(10).fill(3));
    // The last 5% report is at 900 ms: 3 until 5900 ms (index 10 + 49), then 1.
    expect(out.slice(10, 59)).toEqual(Array<number>(49).fill(3));
    expect(out.slice(59)).toEqual(Array<number>(51).fill(1));
  });

  it('steps down to what the lower loss needs, not straight to one', () => {
    const out = run([...reports(0, 10, 0.2), ...reports(1000, 60, 0.02)]);
    expect(out[0]).toBe(5);
    expect(out[out.length - 1]).toBe(2);
  });

  it('does not flap when the reported loss swings about a boundary', () => {
    // Noisy reports of a 5% loss: 2% and 7% in turn, once a second (the peer's window).
    const steps: [number, number][] = [];
    for (let t = 0; t < 30_000; t += 100) steps.push([t, Math.floor(t / 1000) % 2 ? 0.02 : 0.07]);
    expect(run(steps)).toEqual(Array<number>(steps.length).fill(3));
  });

  it('keeps the higher count for a loss just below its boundary (the margin)', () => {
    // 2.5% needs 2 copies from scratch, but after 5% it keeps 3: 2.5% * 1.5 needs 3.
    expect(run([[0, 0.025]])).toEqual([2]);
    const out = run([[0, 0.05], ...reports(100, 100, 0.025)]);
    expect(out).toEqual(Array<number>(101).fill(3));
  });

  it('refuses options that make no sense', () => {
    expect(() => new LossCopies({ maxCopies: 0 })).toThrow(RangeError);
    expect(() => new LossCopies({ maxCopies: 1.5 })).toThrow(RangeError);
    expect(() => new LossCopies({ maxCopies: 2, residual: 0 })).toThrow(RangeError);
    expect(() => new LossCopies({ maxCopies: 2, holdMs: -1 })).toThrow(RangeError);
    expect(() => new LossCopies({ maxCopies: 2, margin: 0.5 })).toThrow(RangeError);
  });
});
