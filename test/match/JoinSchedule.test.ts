import { describe, expect, it } from 'vitest';
import { JoinSchedule } from '../../src/match/JoinSchedule.js';
import { JOIN_BYTES_PER_TICK, joinEventBytes } from '../../src/protocol/datagramBudget.js';

/** A name whose join event takes `bytes` bytes. */
const nameOf = (bytes: number, letter = 'a'): string => letter.repeat(bytes - joinEventBytes(''));

describe('JoinSchedule', () => {
  it('gives a join the next tick to confirm', () => {
    const schedule = new JoinSchedule();
    expect(schedule.peek('ann', 7)).toBe(7);
    expect(schedule.reserve('ann', 7)).toBe(7);
    expect(schedule.reserve('bob', 7)).toBe(7);
  });

  it('spreads joins over later ticks once a frame has no room for their events', () => {
    const schedule = new JoinSchedule();
    const third = nameOf(JOIN_BYTES_PER_TICK / 3);
    expect([1, 2, 3, 4].map(() => schedule.reserve(third, 0))).toEqual([0, 0, 0, 1]);
    // A short name still fits in tick 1, never back in tick 0.
    expect(schedule.reserve('x', 0)).toBe(1);
  });

  it('fills a frame exactly up to JOIN_BYTES_PER_TICK', () => {
    const schedule = new JoinSchedule();
    schedule.reserve(nameOf(JOIN_BYTES_PER_TICK - 20), 0);
    expect(schedule.peek(nameOf(20), 0)).toBe(0);
    expect(schedule.peek(nameOf(21), 0)).toBe(1);
  });

  it('peeks without reserving', () => {
    const schedule = new JoinSchedule();
    const half = nameOf(JOIN_BYTES_PER_TICK / 2);
    schedule.reserve(half, 0);
    expect(schedule.peek(half, 0)).toBe(0);
    expect(schedule.peek(half, 0)).toBe(0);
    schedule.reserve(half, 0);
    expect(schedule.peek(half, 0)).toBe(1);
  });

  it('never gives an earlier tick than one already given, even when the head is behind it', () => {
    const schedule = new JoinSchedule();
    const full = nameOf(JOIN_BYTES_PER_TICK);
    expect(schedule.reserve(full, 0)).toBe(0);
    expect(schedule.reserve(full, 0)).toBe(1);
    expect(schedule.reserve(full, 0)).toBe(2);
    schedule.confirmed(0);
    expect(schedule.reserve('x', 1)).toBe(3); // tick 2 is full, and 1 is before it
  });

  it('forgets the ticks confirmed, and follows the head', () => {
    const schedule = new JoinSchedule();
    const full = nameOf(JOIN_BYTES_PER_TICK);
    schedule.reserve(full, 0);
    schedule.reserve(full, 0);
    schedule.confirmed(1);
    expect(schedule.peek(full, 2)).toBe(2);
    expect(schedule.reserve('ann', 10)).toBe(10);
  });
});
