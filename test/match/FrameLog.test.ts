import { describe, expect, it } from 'vitest';
import { FrameLog, frameLogBytes } from '../../src/match/FrameLog.js';
import type { ConfirmedFrame } from '../../src/types.js';

/** A frame of two slots with a 2-byte input in slot 0: it counts 64 + 16 + 2 * 8 + 96 + 2 = 194 bytes. */
const frame = (tick: number): ConfirmedFrame => ({ tick, inputs: [Uint8Array.of(1, 2), null] });

describe('FrameLog', () => {
  it('counts the memory of a frame: the object, its slots, each input view, each join and leave', () => {
    expect(frameLogBytes(frame(0))).toBe(194);
    expect(
      frameLogBytes({
        tick: 0,
        inputs: [Uint8Array.of(1, 2, 3), null, Uint8Array.of(4)],
        joined: [{ playerId: 0, username: 'ann' }],
        left: [{ playerId: 1, username: 'bobby', reason: 'left' }],
      }),
    ).toBe(64 + 16 + 3 * 8 + (96 + 3) + (96 + 1) + (48 + 2 * 3) + (48 + 2 * 5));
  });

  it('starts empty at its start tick', () => {
    const log = new FrameLog({ startTick: 5 });
    expect([log.firstTick, log.lastTick, log.size, log.bytes]).toEqual([5, 4, 0, 0]);
    expect(log.since(5)).toEqual([]);
    expect(log.since(4)).toBeUndefined();
  });

  it('keeps consecutive frames and gives those from a tick on', () => {
    const log = new FrameLog();
    const frames = [0, 1, 2, 3].map(frame);
    for (const f of frames) log.append(f);
    expect([log.firstTick, log.lastTick, log.size, log.bytes]).toEqual([0, 3, 4, 4 * 194]);
    expect(log.since(0)).toEqual(frames);
    expect(log.since(2)).toEqual(frames.slice(2));
    expect(log.since(2)?.[0]).toBe(frames[2]);
    expect(log.since(4)).toEqual([]);
    expect(log.since(99)).toEqual([]);
    expect(log.since(-1)).toBeUndefined();
    expect(log.since(Number.NaN)).toBeUndefined();
  });

  it('refuses a frame that is not the next tick', () => {
    const log = new FrameLog();
    log.append(frame(0));
    expect(() => log.append(frame(2))).toThrow(RangeError);
    expect(() => log.append(frame(0))).toThrow(RangeError);
    expect(log.lastTick).toBe(0);
  });

  it('drops the oldest frames to stay within maxBytes', () => {
    const log = new FrameLog({ maxBytes: 3.5 * 194 });
    for (let tick = 0; tick < 10; tick += 1) {
      log.append(frame(tick));
      expect(log.bytes).toBeLessThanOrEqual(3.5 * 194);
    }
    expect([log.firstTick, log.lastTick, log.size, log.bytes]).toEqual([7, 9, 3, 3 * 194]);
    expect(log.since(6)).toBeUndefined();
    expect(log.since(7)?.map((f) => f.tick)).toEqual([7, 8, 9]);
  });

  it('keeps nothing when a frame alone is over maxBytes, and goes on from the next tick', () => {
    const log = new FrameLog({ maxBytes: 100 });
    log.append(frame(0));
    expect([log.firstTick, log.lastTick, log.size, log.bytes]).toEqual([1, 0, 0, 0]);
    expect(log.since(1)).toEqual([]);
    log.append(frame(1));
    expect(log.firstTick).toBe(2);
  });

  it('stays right over many frames (it compacts its storage)', () => {
    const log = new FrameLog({ maxBytes: 194 * 100 });
    for (let tick = 0; tick < 5000; tick += 1) log.append(frame(tick));
    expect([log.firstTick, log.lastTick, log.size, log.bytes]).toEqual([
      4900,
      4999,
      100,
      194 * 100,
    ]);
    expect(log.since(4950)?.map((f) => f.tick)).toEqual(
      Array.from({ length: 50 }, (_, i) => 4950 + i),
    );
  });

  it('defaults to 16 MiB', () => {
    const log = new FrameLog();
    for (let tick = 0; tick < 1000; tick += 1) log.append(frame(tick));
    expect(log.size).toBe(1000);
  });

  it('validates its options', () => {
    expect(() => new FrameLog({ maxBytes: -1 })).toThrow(RangeError);
    expect(() => new FrameLog({ maxBytes: Number.NaN })).toThrow(RangeError);
    expect(() => new FrameLog({ startTick: 0.5 })).toThrow(RangeError);
  });
});
