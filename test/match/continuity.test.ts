// The Match in virtual time: seats held until ready, away players substituted, the grace period, catch-up starts.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Match, type MatchEvent, type MatchOptions } from '../../src/match/Match.js';
import type { ConfirmedFrame } from '../../src/types.js';

function setup(options: Partial<MatchOptions> = {}) {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  const match = new Match({
    maxPlayers: 3,
    inputSize: 1,
    disconnectTimeoutMs: 10,
    reconnectGraceMs: 100,
    readyTimeoutMs: 50,
    scheduler,
    ...options,
  });
  const frames: ConfirmedFrame[] = [];
  const events: MatchEvent[] = [];
  match.frames$.subscribe((f) => frames.push(f));
  match.events$.subscribe((e) => events.push(e));
  const steps: [number, () => void][] = [];
  /** Runs `fn` at virtual time `time` (once `play` runs them all). */
  const at = (time: number, fn: () => void): void => {
    steps.push([time, fn]);
  };
  const play = (): void =>
    scheduler.run(() => {
      for (const [time, fn] of steps) scheduler.schedule(fn, time);
    });
  return { match, scheduler, frames, events, at, play };
}

const byte = (n: number): Uint8Array => Uint8Array.of(n);

describe('Match: ready before playing', () => {
  it('holds a seat that counts as taken, stalls nobody, and joins at the head once ready', () => {
    const { match, frames } = setup({ maxPlayers: 2 });
    expect(match.join('ann')).toMatchObject({ ok: true, playerId: 0, tick: 0 });
    expect(match.hold('bob')).toEqual({ ok: true, playerId: 1 });
    expect(match.freeSlots()).toBe(0);
    expect(match.hold('cat')).toEqual({ ok: false, reason: 'full' });
    expect(match.join('cat')).toEqual({ ok: false, reason: 'full' });
    for (let t = 0; t < 5; t++) match.input(0, t, byte(t));
    expect(frames.map((f) => f.tick)).toEqual([0, 1, 2, 3, 4]); // bob stalls nobody
    expect(frames.every((f) => f.inputs[1] === null)).toBe(true);
    expect(match.isHeld(1)).toBe(true);
    expect(match.ready(1)).toEqual({
      ok: true,
      playerId: 1,
      tick: 5,
      players: [{ playerId: 0, username: 'ann' }],
    });
    expect(match.isHeld(1)).toBe(false);
    match.input(0, 5, byte(5));
    expect(frames).toHaveLength(5); // frame 5 waits for bob now
    match.input(1, 5, byte(9));
    expect(frames[5]).toEqual({
      tick: 5,
      inputs: [byte(5), byte(9)],
      joined: [{ playerId: 1, username: 'bob' }],
    });
  });

  it('releases a seat held readyTimeoutMs without ready, with a ready-timeout event', () => {
    const { match, events, at, play } = setup();
    at(0, () => expect(match.hold('bob')).toEqual({ ok: true, playerId: 0 }));
    at(49, () => expect(match.isHeld(0)).toBe(true));
    play();
    expect(events).toEqual([{ type: 'ready-timeout', playerId: 0 }]);
    expect(match.isHeld(0)).toBe(false);
    expect(match.freeSlots()).toBe(3);
    expect(match.ready(0)).toEqual({ ok: false, reason: 'full' });
  });

  it('releases a held seat at once on leave, and a ready player stops its timer', () => {
    const { match, events, at, play } = setup();
    at(0, () => {
      match.hold('ann');
      match.hold('bob');
      match.leave(0, 'left');
      match.ready(1);
    });
    play();
    expect(events).toEqual([]);
    expect(match.players).toEqual([{ playerId: 1, username: 'bob' }]);
  });
});

describe('Match: away players, substituted inputs', () => {
  it('makes a player who stalls the others away, repeats its last input, and marks it', () => {
    const { match, frames, events, at, play } = setup();
    at(0, () => {
      match.join('ann');
      match.join('bob');
      match.input(0, 0, byte(1));
      match.input(1, 0, byte(7));
      match.input(0, 1, byte(2)); // bob has none for tick 1
      match.input(0, 2, byte(3));
      expect(frames).toHaveLength(1);
    });
    at(11, () => {
      // The disconnect timeout passed at 10.
      expect(events).toEqual([{ type: 'away', playerId: 1, tick: 1 }]);
      expect(match.isAway(1)).toBe(true);
      expect(frames.slice(1)).toEqual([
        { tick: 1, inputs: [byte(2), byte(7), null], substituted: [1] },
        { tick: 2, inputs: [byte(3), byte(7), null], substituted: [1] },
      ]);
      // A real input that comes in time is taken, unmarked.
      match.input(1, 3, byte(8));
      match.input(0, 3, byte(4));
    });
    play();
    expect(frames[3]).toEqual({ tick: 3, inputs: [byte(4), byte(8), null] });
  });

  it('puts zero bytes in with substituteInput empty', () => {
    const { match, frames } = setup({ substituteInput: 'empty' });
    match.join('ann');
    match.join('bob');
    match.input(0, 0, byte(1));
    match.input(1, 0, byte(7));
    match.away(1);
    match.input(0, 1, byte(2));
    expect(frames[1]).toEqual({ tick: 1, inputs: [byte(2), byte(0), null], substituted: [1] });
  });

  it('confirms no frame where every input would be substituted (nobody drives)', () => {
    const { match, frames } = setup();
    match.join('ann');
    match.join('bob');
    match.input(0, 0, byte(1));
    match.input(1, 0, byte(2));
    match.away(0);
    match.away(1);
    expect(frames).toHaveLength(1);
    match.input(0, 1, byte(3));
    expect(frames[1]).toEqual({ tick: 1, inputs: [byte(3), byte(2), null], substituted: [1] });
  });

  it('waits for a player who is back from the tick it is back at', () => {
    const { match, frames, events } = setup();
    match.join('ann');
    match.join('bob');
    match.input(0, 0, byte(1));
    match.input(1, 0, byte(2));
    match.away(1);
    match.input(0, 1, byte(3));
    expect(match.back(1, 3)).toBe(3);
    expect(events.at(-1)).toEqual({ type: 'back', playerId: 1, tick: 3 });
    match.input(0, 2, byte(4));
    match.input(0, 3, byte(5));
    expect(frames.map((f) => f.substituted)).toEqual([undefined, [1], [1]]);
    match.input(1, 3, byte(6));
    expect(frames[3]).toEqual({ tick: 3, inputs: [byte(5), byte(6), null] });
    expect(match.back(1)).toBeUndefined(); // not away any more
  });

  it('makes an away player leave with reason timeout at the end of the grace period', () => {
    const { match, frames, at, play } = setup();
    at(0, () => {
      match.join('ann');
      match.join('bob');
      match.input(0, 0, byte(1));
      match.input(1, 0, byte(2));
      match.away(1);
    });
    at(99, () => {
      match.input(0, 1, byte(3));
      expect(frames[1].substituted).toEqual([1]);
    });
    at(101, () => match.input(0, 2, byte(4))); // the grace ended at 100
    play();
    expect(frames[2]).toEqual({
      tick: 2,
      inputs: [byte(4), null, null],
      left: [{ playerId: 1, username: 'bob', reason: 'timeout' }],
    });
    expect(match.isAway(1)).toBe(false);
  });

  it('a player coming back before the grace ends keeps its slot for good', () => {
    const { match, frames, at, play } = setup();
    at(0, () => {
      match.join('ann');
      match.join('bob');
      match.away(1);
    });
    at(50, () => match.back(1));
    at(500, () => {
      match.input(0, 0, byte(1));
      match.input(1, 0, byte(2));
    });
    play();
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
  });
});

describe('Match: where catch-up starts', () => {
  it('is tick 0 with nobody before while the log has every frame', () => {
    const { match } = setup();
    match.join('ann');
    for (let t = 0; t < 10; t++) match.input(0, t, byte(t));
    expect(match.catchUpStart()).toEqual({ tick: 0, players: [], complete: true });
    expect(match.membersBefore(5)).toEqual([{ playerId: 0, username: 'ann' }]);
    expect(match.membersBefore(11)).toBeUndefined();
  });

  it('is the newest snapshot in the log once the log dropped frames, with who was there', () => {
    const { match } = setup({ frameLogBytes: 2000 });
    match.join('ann');
    for (let t = 0; t < 10; t++) match.input(0, t, byte(t));
    match.join('bob');
    for (let t = 10; t < 40; t++) {
      match.input(0, t, byte(t));
      match.input(1, t, byte(t));
    }
    expect(match.log.firstTick).toBeGreaterThan(10);
    const first = match.log.firstTick;
    expect(match.catchUpStart()).toEqual({
      tick: first,
      players: [
        { playerId: 0, username: 'ann' },
        { playerId: 1, username: 'bob' },
      ],
      complete: false,
    });
    expect(match.offerSnapshot(first - 1, byte(1))).toBe(false); // not in the log
    expect(match.offerSnapshot(35, byte(35))).toBe(true);
    expect(match.offerSnapshot(34, byte(34))).toBe(false); // older than the one kept
    expect(match.catchUpStart()).toMatchObject({
      tick: 35,
      snapshot: { tick: 35, data: byte(35) },
      complete: true,
    });
  });
});
