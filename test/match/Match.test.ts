import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { DesyncEvent } from '../../src/events.js';
import { Match, type MatchOptions, type MatchWarning } from '../../src/match/Match.js';
import { JOIN_BYTES_PER_TICK, joinEventBytes } from '../../src/protocol/datagramBudget.js';
import type { ConfirmedFrame } from '../../src/types.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function setup(options: Partial<MatchOptions> = {}) {
  const scheduler = newScheduler();
  const match = new Match({
    maxPlayers: 3,
    inputSize: 1,
    disconnectTimeoutMs: 10,
    scheduler,
    ...options,
  });
  const frames: ConfirmedFrame[] = [];
  const warnings: MatchWarning[] = [];
  const desyncs: DesyncEvent[] = [];
  match.frames$.subscribe((f) => frames.push(f));
  match.warnings$.subscribe((w) => warnings.push(w));
  match.desync$.subscribe((d) => desyncs.push(d));
  return { match, scheduler, frames, warnings, desyncs };
}

const byte = (n: number): Uint8Array => Uint8Array.of(n);
const names = (players: readonly { username: string }[]): string[] =>
  players.map((p) => p.username);

/** Joins `username`, expecting it to be taken. */
function joined(match: Match, username: string) {
  const result = match.join(username);
  if (!result.ok) throw new Error(`join of ${username} refused: ${result.reason}`);
  return result;
}

describe('Match', () => {
  describe('joining', () => {
    it('gives the lowest free slot, from the head tick, and who was there before', () => {
      const { match, frames } = setup();
      expect(match.join('ann')).toEqual({ ok: true, playerId: 0, tick: 0, players: [] });
      expect(match.join('bob')).toEqual({ ok: true, playerId: 1, tick: 0, players: [] });
      match.input(0, 0, byte(1));
      match.input(1, 0, byte(2));
      expect(frames).toEqual([
        {
          tick: 0,
          inputs: [byte(1), byte(2), null],
          joined: [
            { playerId: 0, username: 'ann' },
            { playerId: 1, username: 'bob' },
          ],
        },
      ]);
      expect(match.join('cat')).toEqual({
        ok: true,
        playerId: 2,
        tick: 1,
        players: [
          { playerId: 0, username: 'ann' },
          { playerId: 1, username: 'bob' },
        ],
      });
      expect(names(match.players)).toEqual(['ann', 'bob', 'cat']);
      expect(match.freeSlots()).toBe(0);
      expect(match.join('dan')).toEqual({ ok: false, reason: 'full' });
    });

    it('does not give a slot whose leave is not confirmed yet', () => {
      const { match, frames } = setup({ maxPlayers: 2 });
      joined(match, 'ann');
      joined(match, 'bob');
      match.leave(0, 'left'); // at tick 0, which waits for bob
      expect(match.freeSlots()).toBe(0);
      expect(match.join('cat')).toEqual({ ok: false, reason: 'full' });
      expect(names(match.players)).toEqual(['bob']);
      match.input(1, 0, byte(1));
      expect(frames[0].left).toEqual([{ playerId: 0, username: 'ann', reason: 'left' }]);
      expect(match.freeSlots()).toBe(1);
      expect(joined(match, 'cat')).toMatchObject({ playerId: 0, tick: 1 });
    });

    it('tells a player joining at the head about the players leaving at it', () => {
      const { match } = setup();
      joined(match, 'ann');
      joined(match, 'bob');
      match.input(0, 0, byte(1));
      match.input(1, 0, byte(1));
      match.leave(1, 'left'); // frame 1 names it
      const cat = joined(match, 'cat');
      expect(cat.tick).toBe(1);
      expect(cat.playerId).toBe(2);
      expect(names(cat.players)).toEqual(['ann', 'bob']);
    });

    it('spreads a burst of joins over ticks, tells each about those before it, and is busy past the limit', () => {
      const { match, frames } = setup({ maxPlayers: 8, maxTicksAhead: 2 });
      // Two of these fill a frame's joins.
      const long = (letter: string): string =>
        letter.repeat(JOIN_BYTES_PER_TICK / 2 - joinEventBytes(''));
      const results = ['a', 'b', 'c', 'd', 'e'].map((l) => match.join(long(l)));
      expect(results.map((r) => (r.ok ? r.tick : r.reason))).toEqual([0, 0, 1, 1, 'busy']);
      const third = results[2];
      expect(third.ok && names(third.players)).toEqual([long('a'), long('b')]);
      for (const p of [0, 1]) match.input(p, 0, byte(p));
      expect(frames.map((f) => f.tick)).toEqual([0]);
      expect(match.join(long('e'))).toMatchObject({ ok: true, playerId: 4, tick: 2 });
    });

    it('cancels a join still ahead at once, and no frame names it', () => {
      const { match, frames } = setup({ maxPlayers: 4 });
      const half = (letter: string): string =>
        letter.repeat(JOIN_BYTES_PER_TICK / 2 - joinEventBytes(''));
      joined(match, half('a'));
      joined(match, half('b'));
      const c = joined(match, half('c'));
      expect([c.playerId, c.tick]).toEqual([2, 1]);
      expect(match.freeSlots()).toBe(1);
      match.leave(c.playerId, 'left');
      expect(match.freeSlots()).toBe(2);
      expect(names(match.players)).toEqual([half('a'), half('b')]);
      for (const t of [0, 1]) for (const p of [0, 1]) match.input(p, t, byte(t));
      expect(frames.map((f) => f.tick)).toEqual([0, 1]);
      expect(frames[1]).toEqual({ tick: 1, inputs: [byte(1), byte(1), null, null] });
    });
  });

  it('keeps the roster and the log in step with the frames it emits, and only one head', () => {
    const { match, frames } = setup();
    const seen: [number, number, number][] = [];
    match.frames$.subscribe((f) => seen.push([f.tick, match.head, match.log.lastTick]));
    joined(match, 'ann');
    joined(match, 'bob');
    for (const t of [0, 1, 2]) match.input(0, t, byte(t));
    for (const t of [0, 1]) match.input(1, t, byte(t));
    match.leave(1, 'kicked');
    expect(seen).toEqual([
      [0, 1, 0],
      [1, 2, 1],
      [2, 3, 2],
    ]);
    expect(names(match.roster.members())).toEqual(['ann']);
    expect(match.log.since(0)).toEqual(frames);
    expect(frames[2].left).toEqual([{ playerId: 1, username: 'bob', reason: 'kicked' }]);
  });

  it('takes joins and inputs from inside a frames$ subscriber, and emits frames in order', () => {
    const { match, frames } = setup();
    let depth = 0;
    let maxDepth = 0;
    match.frames$.subscribe((f) => {
      depth += 1;
      maxDepth = Math.max(maxDepth, depth);
      if (f.tick === 0) {
        const cat = joined(match, 'cat');
        expect([cat.playerId, cat.tick, names(cat.players)]).toEqual([1, 1, ['ann']]);
        match.input(cat.playerId, 1, byte(9));
      }
      match.input(0, f.tick + 1, byte(f.tick + 1)); // completes frame 1, not 2
      depth -= 1;
    });
    joined(match, 'ann');
    match.input(0, 0, byte(0));
    expect(maxDepth).toBe(1);
    expect(frames).toEqual([
      { tick: 0, inputs: [byte(0), null, null], joined: [{ playerId: 0, username: 'ann' }] },
      { tick: 1, inputs: [byte(1), byte(9), null], joined: [{ playerId: 1, username: 'cat' }] },
    ]);
    expect(match.head).toBe(2);
  });

  it('refuses inputs at or after inputLimit, with a warning', () => {
    const { match, frames, warnings } = setup({ maxTicksAhead: 4 });
    joined(match, 'ann');
    expect(match.inputLimit).toBe(4);
    match.input(0, 4, byte(1));
    expect(warnings.map((w) => [w.code, w.playerId, w.tick])).toEqual([['too-far-ahead', 0, 4]]);
    match.input(0, 0, byte(1));
    expect(match.inputLimit).toBe(5);
    expect(frames).toHaveLength(1);
  });

  it('drops a silent player with the timeout, as a left in a frame, with no grace', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, cold }) => {
      const match = new Match({
        maxPlayers: 2,
        inputSize: 1,
        disconnectTimeoutMs: 5,
        reconnectGraceMs: 0,
        scheduler,
      });
      const frame0: ConfirmedFrame = {
        tick: 0,
        inputs: [byte(1), null],
        joined: [
          { playerId: 0, username: 'ann' },
          { playerId: 1, username: 'bob' },
        ],
        left: [{ playerId: 1, username: 'bob', reason: 'timeout' }],
      };
      cold('a').subscribe(() => {
        joined(match, 'ann');
        joined(match, 'bob');
        match.input(0, 0, byte(1));
      });
      cold('-------|').subscribe({ complete: () => match.close() });
      expectObservable(match.frames$).toBe('-----0-|', { 0: frame0 });
    });
  });

  describe('checksums', () => {
    /** Ann and bob at tick 0, cat from tick 2; frames 0..3 confirmed. */
    function played() {
      const s = setup();
      joined(s.match, 'ann');
      joined(s.match, 'bob');
      for (const t of [0, 1]) for (const p of [0, 1]) s.match.input(p, t, byte(t));
      joined(s.match, 'cat');
      for (const t of [2, 3]) for (const p of [0, 1, 2]) s.match.input(p, t, byte(t));
      return s;
    }

    it('does not take a checksum for a tick not confirmed yet', () => {
      const { match, warnings } = played();
      expect(match.head).toBe(4);
      expect(match.checksum(0, 4, 1)).toBe(false);
      expect(match.checksum(0, 3, 1)).toBe(true);
      expect(warnings).toEqual([]);
    });

    it('warns about a checksum from before the player joined, or from nobody, and takes it', () => {
      const { match, warnings, desyncs } = played();
      expect(match.checksum(2, 1, 5)).toBe(true);
      expect(match.checksum(0, 1, 6)).toBe(true);
      expect(match.checksum(2, Number.NaN, 5)).toBe(true);
      match.leave(2, 'left');
      expect(match.checksum(2, 3, 5)).toBe(true); // still leaving at the head: compared
      expect(match.checksum(0, 3, 5)).toBe(true);
      for (const p of [0, 1]) match.input(p, 4, byte(4));
      expect(match.checksum(2, 3, 5)).toBe(true); // gone
      expect(warnings.map((w) => [w.code, w.playerId, w.tick])).toEqual([
        ['checksum', 2, 1],
        ['checksum', 2, Number.NaN],
        ['checksum', 2, 3],
      ]);
      expect(desyncs).toEqual([]);
    });

    it('reports the first differing tick once, on desync$ and as desync', () => {
      const { match, desyncs } = played();
      match.checksum(0, 2, 7);
      match.checksum(1, 2, 7);
      expect(match.desync).toBeUndefined();
      match.checksum(2, 2, 8);
      const event: DesyncEvent = {
        type: 'desync',
        tick: 2,
        checksums: [
          { playerId: 0, checksum: 7 },
          { playerId: 1, checksum: 7 },
          { playerId: 2, checksum: 8 },
        ],
        disagreeing: [2],
      };
      expect(desyncs).toEqual([event]);
      expect(match.desync).toEqual(event);
      match.checksum(0, 3, 1);
      match.checksum(1, 3, 2);
      expect(desyncs).toHaveLength(1);
    });
  });

  it('keeps frameLogBytes of frames', () => {
    // One slot with a 1-byte input: 64 + 16 + 8 + 96 + 1 = 185 bytes a frame.
    const { match } = setup({ maxPlayers: 1, frameLogBytes: 185 * 10 });
    joined(match, 'ann');
    for (let t = 0; t < 50; t += 1) match.input(0, t, byte(t));
    expect(match.log.size).toBe(10);
    expect(match.log.lastTick).toBe(49);
  });

  it('closes: completes its streams, cancels the timer and takes nothing more', () => {
    const { match, scheduler, frames } = setup();
    const completed: string[] = [];
    match.frames$.subscribe({ complete: () => completed.push('frames') });
    match.desync$.subscribe({ complete: () => completed.push('desync') });
    match.warnings$.subscribe({ complete: () => completed.push('warnings') });
    joined(match, 'ann');
    joined(match, 'bob');
    match.input(0, 0, byte(1)); // bob is missing: the timer runs
    match.close();
    scheduler.flush();
    expect(completed).toEqual(['frames', 'desync', 'warnings']);
    expect(frames).toEqual([]);
    expect(match.join('cat')).toEqual({ ok: false, reason: 'full' });
    expect(match.freeSlots()).toBe(0);
    expect(match.checksum(0, 0, 1)).toBe(true);
    match.close();
  });

  it('validates its options', () => {
    expect(() => new Match({ maxPlayers: 0, inputSize: 1 })).toThrow(RangeError);
    expect(() => new Match({ maxPlayers: 2, inputSize: -1 })).toThrow(RangeError);
    expect(() => new Match({ maxPlayers: 2, inputSize: 1, frameLogBytes: -1 })).toThrow(RangeError);
  });
});
