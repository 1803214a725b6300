import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Match, type MatchEvent, type MatchOptions } from '../../src/match/Match.js';
import type { ConfirmedFrame } from '../../src/types.js';

const TICK_MS = 1000 / 60;

/** A match in virtual time; `frameTimes[i]` is when `frames[i]` was confirmed. */
function setup(options: Partial<MatchOptions> = {}) {
  const vts = new VirtualTimeScheduler(VirtualAction, Infinity);
  const match = new Match({
    maxPlayers: 3,
    inputSize: 1,
    disconnectTimeoutMs: 2000,
    lateInputMs: 100,
    scheduler: vts,
    ...options,
  });
  const frames: ConfirmedFrame[] = [];
  const frameTimes: number[] = [];
  const events: MatchEvent[] = [];
  match.frames$.subscribe((f) => {
    frames.push(f);
    frameTimes.push(vts.now());
  });
  match.events$.subscribe((e) => events.push(e));
  for (const name of ['ann', 'bob', 'cat'].slice(0, options.maxPlayers ?? 3)) {
    const r = match.join(name);
    if (!r.ok) throw new Error(r.reason);
  }
  /** Player `p` sends its input for `tick` at `atMs`. */
  const send = (p: number, tick: number, atMs: number): void => {
    vts.schedule(() => match.input(p, tick, Uint8Array.of(10 * p + (tick % 10))), atMs);
  };
  return { vts, match, frames, frameTimes, events, send };
}

describe('Match lateInputMs', () => {
  it('is off by default: a frame waits for every input', () => {
    const { vts, frames, send } = setup({ lateInputMs: undefined, maxPlayers: 2 });
    send(0, 0, 0);
    send(1, 0, 500);
    vts.flush();
    expect(frames).toHaveLength(1);
    expect(frames[0].substituted).toBeUndefined();
  });

  it('confirms a frame lateInputMs after its first input, the late input substituted and marked', () => {
    const { vts, frames, frameTimes, send } = setup({ maxPlayers: 2 });
    send(0, 0, 0);
    send(1, 0, 0); // frame 0: both on time
    send(0, 1, 10);
    send(1, 1, 300); // late: frame 1 is confirmed at 110 without it
    send(0, 2, 20);
    send(1, 2, 300);
    vts.flush();
    expect(frames.map((f) => f.tick)).toEqual([0, 1, 2]);
    expect(frameTimes[1]).toBe(110);
    expect(frames[1].substituted).toEqual([1]);
    expect(frames[1].inputs).toEqual([Uint8Array.of(1), Uint8Array.of(10)]); // repeated
    expect(frameTimes[2]).toBe(120); // its own deadline, 100 ms after ann's input
    expect(frames[2].substituted).toEqual([1]);
  });

  it('a player with 300 ms lag spikes never freezes the others for much more than 100 ms', () => {
    const { vts, frames, frameTimes, events, send } = setup();
    const ticks = 60 * 20; // 20 s
    for (let t = 0; t < ticks; t++) {
      const at = t * TICK_MS;
      send(0, t, at);
      send(1, t, at + 5);
      // cat: every 2 s, a 300 ms spike (its inputs of those ticks come together at the end)
      const inSecond = at % 2000;
      send(2, t, inSecond >= 1000 && inSecond < 1300 ? at - inSecond + 1300 : at + 2);
    }
    vts.flush();
    expect(frames.map((f) => f.tick)).toEqual(Array.from({ length: ticks }, (_, t) => t));
    let gap = 0;
    for (let i = 1; i < frameTimes.length; i++)
      gap = Math.max(gap, frameTimes[i] - frameTimes[i - 1]);
    expect(gap).toBeLessThanOrEqual(100 + TICK_MS);
    const substituted = frames.filter((f) => f.substituted !== undefined);
    expect(substituted.length).toBeGreaterThan(0);
    for (const f of substituted) expect(f.substituted).toEqual([2]);
    // cat's spikes are shorter than the disconnect timeout: it is never away.
    expect(events.filter((e) => e.type === 'away')).toEqual([]);
  });

  it('a player late for the whole disconnect timeout is away (the continuity marking)', () => {
    const { vts, match, frames, events, send } = setup({ maxPlayers: 2 });
    for (let t = 0; t < 200; t++) send(0, t, t * TICK_MS); // bob sends nothing
    let awayAt3s = false;
    vts.schedule(() => (awayAt3s = match.isAway(1)), 3000);
    vts.flush(); // the grace of 15 s runs out too: bob leaves in the end
    expect(events).toContainEqual({
      type: 'away',
      playerId: 1,
      tick: expect.any(Number) as number,
    });
    expect(awayAt3s).toBe(true);
    expect(frames).toHaveLength(200);
    expect(frames.every((f) => f.substituted?.[0] === 1)).toBe(true);
  });

  it('a frame nobody has sent an input for is not confirmed', () => {
    const { vts, frames, send } = setup({ maxPlayers: 2 });
    send(0, 0, 0);
    send(1, 0, 0);
    vts.flush();
    expect(frames).toHaveLength(1);
  });

  it('refuses a lateInputMs that is not positive', () => {
    expect(() => setup({ lateInputMs: 0 })).toThrow(RangeError);
  });
});
