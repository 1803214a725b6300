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
    });
    expect(desync.desync).toBe(event);
  });

  it('reports once, then ignores every report', () => {
    const desync = new Desync();
    desync.report(0, 1, 1);
    expect(desync.report(1, 1, 2)).toBeDefined();
    expect(desync.report(1, 2, 5)).toBeUndefined();
    expect(desync.report(0, 2, 6)).toBeUndefined();
    expect(desync.desync?.tick).toBe(1);
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
