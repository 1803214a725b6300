import { describe, expect, it } from 'vitest';
import { Desync } from '../../src/match/Desync.js';

describe('Desync', () => {
  it('finds nothing while the checksums for each tick agree', () => {
    const desync = new Desync();
    for (let tick = 0; tick < 10; tick += 1) {
      for (const playerId of [0, 1, 2])
        expect(desync.report(playerId, tick, tick * 7)).toBe(undefined);
    }
    expect(desync.desync).toBeUndefined();
  });

  it('reports the first tick where two players differ, with every checksum for it', () => {
    const desync = new Desync();
    desync.report(2, 4, 11);
    desync.report(0, 4, 11);
    const event = desync.report(1, 4, 12);
    expect(event).toEqual({
      type: 'desync',
      tick: 4,
      checksums: [
        { playerId: 0, checksum: 11 },
        { playerId: 1, checksum: 12 },
        { playerId: 2, checksum: 11 },
      ],
      disagreeing: [1],
    });
    expect(desync.desync).toBe(event);
  });

  it('keeps detecting after a desync, rate limited, and names who disagrees', () => {
    const desync = new Desync({ minTicksBetween: 10 });
    desync.report(0, 1, 1);
    expect(desync.report(1, 1, 2)?.disagreeing).toEqual([0, 1]); // no majority: both
    expect(desync.report(0, 2, 5)).toBeUndefined();
    expect(desync.report(1, 2, 6)).toBeUndefined(); // within 10 ticks of the last
    desync.report(0, 11, 5);
    expect(desync.report(1, 11, 6)?.tick).toBe(11);
    expect(desync.desync?.tick).toBe(1);
    expect(desync.latest?.tick).toBe(11);
  });

  it('waits for every reporter expected, so one bogus checksum names only its sender', () => {
    const desync = new Desync({ reporters: () => 4 });
    expect(desync.report(3, 7, 666)).toBeUndefined(); // the liar first
    expect(desync.report(0, 7, 1)).toBeUndefined();
    expect(desync.report(1, 7, 1)).toBeUndefined();
    const event = desync.report(2, 7, 1);
    expect(event?.disagreeing).toEqual([3]);
    // Honest reports go on; a second lie later is found again.
    for (const p of [0, 1, 2]) desync.report(p, 100, 9);
    expect(desync.report(3, 100, 8)?.disagreeing).toEqual([3]);
  });

  it('decides a tick whose reporters never all came, settleTicks later', () => {
    const desync = new Desync({ reporters: () => 3, settleTicks: 5 });
    desync.report(0, 1, 1);
    desync.report(1, 1, 2); // the third never reports tick 1
    expect(desync.report(0, 6, 1)?.tick).toBe(1);
  });

  it('compares reports by tick, whatever their order', () => {
    const desync = new Desync();
    desync.report(0, 9, 1);
    desync.report(1, 8, 2);
    desync.report(0, 8, 2);
    expect(desync.report(1, 9, 3)?.tick).toBe(9);
  });

  it('lets a player replace its own checksum for a tick', () => {
    const desync = new Desync();
    desync.report(0, 3, 1);
    expect(desync.report(0, 3, 2)).toBeUndefined();
    expect(desync.report(1, 3, 2)).toBeUndefined();
  });

  it('keeps the newest 1024 ticks: a report for a tick older than that is not compared', () => {
    const desync = new Desync();
    desync.report(0, 0, 1);
    desync.report(0, 1024, 1); // replaces tick 0
    expect(desync.report(1, 0, 2)).toBeUndefined();
    desync.report(0, 1, 1); // 1023 ticks before 1024: kept
    expect(desync.report(1, 1, 2)?.tick).toBe(1);
  });

  it('ignores ticks that are not safe integers, and handles negative ones', () => {
    const desync = new Desync();
    expect(desync.report(0, Number.NaN, 1)).toBeUndefined();
    expect(desync.report(1, Number.NaN, 2)).toBeUndefined();
    desync.report(0, -3, 1);
    expect(desync.report(1, -3, 2)?.tick).toBe(-3);
  });
});
