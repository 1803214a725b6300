import fc from 'fast-check';
import {
  Observable,
  Subject,
  VirtualTimeScheduler,
  from,
  take,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  lockstep,
  type LockstepEvent,
  type LockstepOptions,
  type LockstepWarning,
} from '../../src/operators/lockstep.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo, PlayerLeft } from '../../src/types.js';
import { permutedWithDuplicates } from './arbitraries.js';

const newScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const names = ['ann', 'bob', 'cat', 'dan'];
const nameOf = (playerId: number): string => names[playerId] ?? `player${playerId}`;
const info = (playerId: number): PlayerInfo => ({ playerId, username: nameOf(playerId) });

/** Player p's input for tick t, unless given: the bytes [p, t]. */
const bytes = (p: number, t: number): Uint8Array => Uint8Array.of(p, t);
const input = (p: number, t: number, data = bytes(p, t)): LockstepEvent => ({
  type: 'input',
  playerId: p,
  tick: t,
  input: data,
});
const join = (p: number, tick: number): LockstepEvent => ({
  type: 'join',
  playerId: p,
  username: nameOf(p),
  tick,
});
const leave = (p: number, reason: LeaveReason = 'left'): LockstepEvent => ({
  type: 'leave',
  playerId: p,
  reason,
});

/**
 * The frame for `tick`; `slots` has one character per slot: 'x' for that player's input
 * `bytes(p, tick)`, '.' for null.
 */
function frame(
  tick: number,
  slots: string,
  extra: { joined?: number[]; left?: [number, LeaveReason][] } = {},
): ConfirmedFrame {
  const result: {
    tick: number;
    inputs: (Uint8Array | null)[];
    joined?: PlayerInfo[];
    left?: PlayerLeft[];
  } = {
    tick,
    inputs: [...slots].map((slot, p) => (slot === 'x' ? bytes(p, tick) : null)),
  };
  if (extra.joined) result.joined = extra.joined.map(info);
  if (extra.left) result.left = extra.left.map(([p, reason]) => ({ ...info(p), reason }));
  return result;
}

/** A scheduler that records every timer it starts, to check teardown cancels them. */
function tracking(scheduler: SchedulerLike): { scheduler: SchedulerLike; timers: Subscription[] } {
  const timers: Subscription[] = [];
  return {
    timers,
    scheduler: {
      now: () => scheduler.now(),
      schedule<T>(
        work: (this: SchedulerAction<T>, state?: T) => void,
        delay?: number,
        state?: T,
      ): Subscription {
        const timer = scheduler.schedule(work, delay, state);
        timers.push(timer);
        return timer;
      },
    },
  };
}

/** Collects warnings as [code, playerId, tick]. */
function warningLog(): { onWarning: (w: LockstepWarning) => void; log: unknown[][] } {
  const log: unknown[][] = [];
  return { log, onWarning: (w) => log.push([w.code, w.playerId, w.tick]) };
}

describe('lockstep', () => {
  it('does what its documentation diagram shows', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' -J-K-b-a-c-d-e-L-|', {
        J: join(0, 0),
        K: join(1, 0),
        b: input(1, 0),
        a: input(0, 0),
        c: input(0, 1),
        d: input(1, 2),
        e: input(1, 1),
        L: leave(0),
      });
      const expected = '    -------0-----1-2-|';
      const subs = '        ^----------------!';
      expectObservable(source.pipe(lockstep({ maxPlayers: 2 }))).toBe(expected, {
        0: frame(0, 'xx', { joined: [0, 1] }),
        1: frame(1, 'xx'),
        2: frame(2, '.x', { left: [[0, 'left']] }),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('emits each tick once, in order, when every input is in, whatever the arrival order', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (JK)-a-b-c-d-e-f-g-h-|', {
        J: join(0, 0),
        K: join(1, 0),
        a: input(0, 2),
        b: input(0, 1),
        c: input(1, 1), // tick 1 is complete, but tick 0 is not
        d: input(1, 0),
        e: input(0, 1), // duplicate
        f: input(0, 0),
        g: input(1, 0), // duplicate of a confirmed tick
        h: input(1, 2),
      });
      const expected = '    ---------------(01)2-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'xx', { joined: [0, 1] }),
        1: frame(1, 'xx'),
        2: frame(2, 'xx'),
      });
    });
    expect(warnings.log).toEqual([]);
  });

  it('makes a joining player part of the frames from its join tick, named in that frame', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-a-K-c-b-d-e-|', {
        J: join(0, 0),
        a: input(0, 0),
        K: join(1, 2),
        c: input(1, 1), // before its join tick: refused
        b: input(0, 1),
        d: input(0, 2),
        e: input(1, 2),
      });
      const expected = '    --0-----1---2-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'x.', { joined: [0] }),
        1: frame(1, 'x.'),
        2: frame(2, 'xx', { joined: [1] }),
      });
    });
    expect(warnings.log).toEqual([['unknown-player', 1, 1]]);
  });

  it('refuses late, too far ahead, taken, bad-slot and bad-tick joins with warnings', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-a-b-c-d-e-f-g-h-i-|', {
        J: join(0, 0),
        a: input(0, 0),
        b: join(1, 0), // late: tick 0 is confirmed
        c: join(1, 5), // too far ahead: head 1 + maxTicksAhead 4 = 5
        d: join(0, 3), // slot 0 is active
        e: join(2, 4), // ok: pending at tick 4
        f: join(2, 2), // slot 2 is pending
        g: join(4, 2), // bad slot
        h: join(-1, 2), // bad slot
        i: join(3, 1.5), // bad tick
      });
      const expected = '    --0-----------------|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 4, maxTicksAhead: 4, onWarning: warnings.onWarning })),
      ).toBe(expected, { 0: frame(0, 'x...', { joined: [0] }) });
    });
    expect(warnings.log).toEqual([
      ['late-join', 1, 0],
      ['too-far-ahead', 1, 5],
      ['slot-taken', 0, 3],
      ['slot-taken', 2, 2],
      ['bad-slot', 4, 2],
      ['bad-slot', -1, 2],
      ['bad-tick', 3, 1.5],
    ]);
  });

  it('emits nothing while nobody is in the match', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' a-b-|', { a: input(0, 0), b: input(1, 3) });
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe('    ----|');
    });
    expect(warnings.log).toEqual([
      ['unknown-player', 0, 0],
      ['unknown-player', 1, 3],
    ]);
  });

  it('emits empty frames up to a pending join tick when nobody else is active', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J---a-|', { J: join(1, 2), a: input(1, 2) });
      const expected = '    (01)2-|';
      expectObservable(source.pipe(lockstep({ maxPlayers: 2 }))).toBe(expected, {
        0: frame(0, '..'),
        1: frame(1, '..'),
        2: frame(2, '.x', { joined: [1] }),
      });
    });
  });

  it('starts at startTick', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-a-b-c-|', {
        J: join(0, 100),
        a: input(0, 99), // below head: ignored silently
        b: input(0, 100),
        c: input(0, 101),
      });
      expectObservable(source.pipe(lockstep({ maxPlayers: 1, startTick: 100 }))).toBe(
        '    ----0-1-|',
        { 0: frame(100, 'x', { joined: [0] }), 1: frame(101, 'x') },
      );
    });
  });

  it('applies a leave at the head tick, dropping the buffered inputs, and emits the frame it completes', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (JK)-a-b-c-d-L-e-|', {
        J: join(0, 0),
        K: join(1, 0),
        a: input(0, 0),
        b: input(1, 0),
        c: input(1, 1), // buffered, then dropped by the leave
        d: input(1, 2), // likewise
        L: leave(1, 'kicked'), // at tick 1
        e: input(0, 1),
      });
      const expected = '    -------0-------1-|';
      expectObservable(source.pipe(lockstep({ maxPlayers: 2 }))).toBe(expected, {
        0: frame(0, 'xx', { joined: [0, 1] }),
        1: frame(1, 'x.', { left: [[1, 'kicked']] }),
      });
    });
  });

  it('emits a frame completed by a leave of the only missing player', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (JK)-a-L-|', {
        J: join(0, 0),
        K: join(1, 0),
        a: input(0, 0),
        L: leave(1),
      });
      const expected = '    -------0-|';
      expectObservable(source.pipe(lockstep({ maxPlayers: 2 }))).toBe(expected, {
        0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'left']] }),
      });
    });
  });

  it('names the last player leaving in a frame of nulls, then waits for a join', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-a-L-b-K-----c-|', {
        J: join(0, 0),
        a: input(0, 0),
        L: leave(0), // at tick 1
        b: input(1, 4), // nobody in slot 1 yet: refused
        K: join(1, 4), // ticks 2 and 3 have nobody: they come out at once
        c: input(1, 4),
      });
      const expected = '    --0-1---(23)--4-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'x.', { joined: [0] }),
        1: frame(1, '..', { left: [[0, 'left']] }),
        2: frame(2, '..'),
        3: frame(3, '..'),
        4: frame(4, '.x', { joined: [1] }),
      });
    });
    expect(warnings.log).toEqual([['unknown-player', 1, 4]]);
  });

  it('lets a leave cancel a join still in the future, silently', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-K-a-b-L-c-d-|', {
        J: join(0, 0),
        K: join(1, 2),
        a: input(1, 2),
        b: input(0, 0),
        L: leave(1),
        c: input(0, 1),
        d: input(0, 2),
      });
      const expected = '    ------0---1-2-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'x.', { joined: [0] }),
        1: frame(1, 'x.'),
        2: frame(2, 'x.'),
      });
    });
    expect(warnings.log).toEqual([]);
  });

  it('names a player that joins and leaves at the same tick in both lists, with a null input', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-K-b-L-a-|', {
        J: join(0, 0),
        K: join(1, 0),
        b: input(1, 0),
        L: leave(1),
        a: input(0, 0),
      });
      const expected = '    --------0-|';
      expectObservable(source.pipe(lockstep({ maxPlayers: 2 }))).toBe(expected, {
        0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'left']] }),
      });
    });
  });

  it('refuses a leave of a player not in the match', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' L-J-M-|', { L: leave(0), J: join(0, 0), M: leave(3) });
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe('    ------|');
    });
    expect(warnings.log).toEqual([
      ['unknown-player', 0, undefined],
      ['unknown-player', 3, undefined],
    ]);
  });

  it('lets the slot of a player that left be taken from the next tick on', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (JK)-a-L-M-N-c-d-|', {
        J: join(0, 0),
        K: join(1, 0),
        a: input(0, 0),
        L: leave(1), // at tick 0
        M: join(1, 0), // not in the frame that names the leave: refused
        N: join(1, 1), // fine
        c: input(0, 1),
        d: input(1, 1),
      });
      const expected = '    -------0-------1-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 2, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'left']] }),
        1: frame(1, 'xx', { joined: [1] }),
      });
    });
    // M was refused: late (tick 0 was confirmed by the time it arrived).
    expect(warnings.log).toEqual([['late-join', 1, 0]]);
  });

  it('refuses a same-tick join to a slot left at the head tick while that frame is pending', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' (JKx)-L-M-N-a-b-|', {
        J: join(0, 0),
        K: join(1, 0),
        x: join(2, 0),
        L: leave(1), // at tick 0, which waits for players 0 and 2
        M: join(1, 0), // refused: slot 1 is named in tick 0's `left`
        N: join(1, 1),
        a: input(0, 0),
        b: input(2, 0),
      });
      const expected = '    --------------0-|';
      expectObservable(
        source.pipe(lockstep({ maxPlayers: 3, onWarning: warnings.onWarning })),
      ).toBe(expected, {
        0: frame(0, 'x.x', { joined: [0, 1, 2], left: [[1, 'left']] }),
      });
    });
    expect(warnings.log).toEqual([['slot-taken', 1, 0]]);
  });

  it('refuses bad inputs with warnings: too far ahead, unknown, wrong size, conflicting, bad tick', () => {
    const warnings = warningLog();
    newScheduler().run(({ cold, expectObservable }) => {
      const source = cold(' J-a-b-c-d-e-f-g-h-i-|', {
        J: join(0, 0),
        a: input(0, 4), // head 0 + maxTicksAhead 4
        b: input(1, 0), // nobody in slot 1
        c: input(0, 0, Uint8Array.of(1)), // 1 byte, not 2
        d: input(0, 2, Uint8Array.of(1, 1)),
        e: input(0, 2, Uint8Array.of(1, 1)), // equal bytes: ignored
        f: input(0, 2, Uint8Array.of(9, 9)), // different: refused, the first is kept
        g: input(0, Number.NaN),
        h: input(7, 0), // outside the slots
        i: input(0, 0),
      });
      const expected = '    ------------------0-|';
      const options = { maxPlayers: 2, inputSize: 2, maxTicksAhead: 4 };
      expectObservable(source.pipe(lockstep({ ...options, onWarning: warnings.onWarning }))).toBe(
        expected,
        { 0: frame(0, 'x.', { joined: [0] }) },
      );
    });
    expect(warnings.log).toEqual([
      ['too-far-ahead', 0, 4],
      ['unknown-player', 1, 0],
      ['bad-input-size', 0, 0],
      ['conflicting-input', 0, 2],
      ['bad-tick', 0, Number.NaN],
      ['unknown-player', 7, 0],
    ]);
  });

  it('keeps inputs by reference: the first of two conflicting inputs is the one in the frame', () => {
    const first = Uint8Array.of(1, 1);
    const frames: ConfirmedFrame[] = [];
    from([join(0, 0), input(0, 0, first), input(0, 0, Uint8Array.of(2, 2))])
      .pipe(lockstep({ maxPlayers: 1 }))
      .subscribe((f) => frames.push(f));
    expect(frames[0]?.inputs[0]).toBe(first);
  });

  describe('timeout', () => {
    it('drops the players still missing disconnectTimeoutMs after someone started waiting', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKa 10ms |', { J: join(0, 0), K: join(1, 0), a: input(0, 0) });
        const expected = '    7ms 0 5ms |';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'timeout']] }),
        });
      });
    });

    it('drops every missing player at once, and names them in playerId order', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' (JKM)b 10ms |', {
          J: join(0, 0),
          K: join(1, 0),
          M: join(2, 0),
          b: input(1, 0),
        });
        const expected = '    10ms 0 5ms |';
        const options = { maxPlayers: 3, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, '.x.', {
            joined: [0, 1, 2],
            left: [
              [0, 'timeout'],
              [2, 'timeout'],
            ],
          }),
        });
      });
    });

    it('drops nobody while nobody has sent anything', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JK 20ms a-b-|', {
          J: join(0, 0),
          K: join(1, 0),
          a: input(0, 0),
          b: input(1, 0),
        });
        const expected = '    24ms 0-|';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'xx', { joined: [0, 1] }),
        });
      });
    });

    it('starts the timer when someone starts waiting for the head tick, not when the head advances', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKab--c 10ms |', {
          J: join(0, 0),
          K: join(1, 0),
          a: input(0, 0),
          b: input(1, 0),
          c: input(0, 1),
        });
        const expected = '    ---0 7ms 1 5ms |';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'xx', { joined: [0, 1] }),
          1: frame(1, 'x.', { left: [[1, 'timeout']] }),
        });
      });
    });

    it('cancels the timer when the head advances, and starts another for the next head', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKa-bc 10ms |', {
          J: join(0, 0),
          K: join(1, 0),
          a: input(0, 0), // timer for tick 0 from 2, due at 7
          b: input(1, 0), // tick 0 complete at 4: cancelled
          c: input(0, 1), // timer for tick 1 from 5, due at 10
        });
        const expected = '    ----0 5ms 1 5ms |';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'xx', { joined: [0, 1] }),
          1: frame(1, 'x.', { left: [[1, 'timeout']] }),
        });
      });
    });

    it('runs the next head at once after a timeout: buffered frames come out together', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKabc 10ms |', {
          J: join(0, 0),
          K: join(1, 0),
          a: input(0, 0),
          b: input(0, 1),
          c: input(0, 2),
        });
        const expected = '    7ms (012) 3ms |';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'timeout']] }),
          1: frame(1, 'x.'),
          2: frame(2, 'x.'),
        });
      });
    });

    it('stops the timer when nobody is waiting any more', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKb-L-----a|', {
          J: join(0, 0),
          K: join(1, 0),
          b: input(1, 1), // 1 waits (for tick 0): timer due at 7
          L: leave(1), // nobody waits any more: no timer
          a: input(0, 0),
        });
        const expected = '    ----------0|';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe(expected, {
          0: frame(0, 'x.', { joined: [0, 1], left: [[1, 'left']] }),
        });
      });
    });

    it('never times out with disconnectTimeoutMs Infinity', () => {
      const testScheduler = newScheduler();
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKa 10ms |', { J: join(0, 0), K: join(1, 0), a: input(0, 0) });
        const options = { maxPlayers: 2, disconnectTimeoutMs: Infinity, scheduler: testScheduler };
        expectObservable(source.pipe(lockstep(options))).toBe('    13ms |');
      });
    });

    it('uses asyncScheduler by default', async () => {
      const frames: ConfirmedFrame[] = [];
      const source = new Subject<LockstepEvent>();
      const done = new Promise<void>((resolve) => {
        source.pipe(lockstep({ maxPlayers: 2, disconnectTimeoutMs: 5 })).subscribe((f) => {
          frames.push(f);
          resolve();
        });
      });
      source.next(join(0, 0));
      source.next(join(1, 0));
      source.next(input(0, 0));
      await done;
      source.complete();
      expect(frames).toEqual([frame(0, 'x.', { joined: [0, 1], left: [[1, 'timeout']] })]);
    });
  });

  describe('teardown', () => {
    const events = { J: join(0, 0), K: join(1, 0), a: input(0, 0) };

    it('passes errors through, after cancelling the timer', () => {
      const testScheduler = newScheduler();
      const { scheduler, timers } = tracking(testScheduler);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold(' JKa-#', events);
        const subs = '        ^---!';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler };
        expectObservable(source.pipe(lockstep(options))).toBe('    ----#');
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(timers).toHaveLength(1);
      expect(timers.every((timer) => timer.closed)).toBe(true);
    });

    it('passes completion through, discarding incomplete frames and cancelling the timer', () => {
      const testScheduler = newScheduler();
      const { scheduler, timers } = tracking(testScheduler);
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold(' JKa-|', events);
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler };
        expectObservable(source.pipe(lockstep(options))).toBe('    ----|');
      });
      expect(timers).toHaveLength(1);
      expect(timers.every((timer) => timer.closed)).toBe(true);
    });

    it('unsubscribes from the source and cancels the timer when unsubscribed early', () => {
      const testScheduler = newScheduler();
      const { scheduler, timers } = tracking(testScheduler);
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot(' JKa 10ms |', events);
        const unsub = '      ----!';
        const subs = '       ^---!';
        const options = { maxPlayers: 2, disconnectTimeoutMs: 5, scheduler };
        expectObservable(source.pipe(lockstep(options)), unsub).toBe('-');
        expectSubscriptions(source.subscriptions).toBe(subs);
      });
      expect(timers).toHaveLength(1);
      expect(timers.every((timer) => timer.closed)).toBe(true);
    });

    it('sends an error thrown by onWarning downstream', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const source = cold(' J-a-|', { J: join(0, 0), a: input(5, 0) });
        const onWarning = (): void => {
          throw new Error('logger down');
        };
        expectObservable(source.pipe(lockstep({ maxPlayers: 2, onWarning }))).toBe(
          '    --#',
          undefined,
          new Error('logger down'),
        );
      });
    });
  });

  it('stops a synchronous source when a downstream take is satisfied', () => {
    const sideEffects: LockstepEvent[] = [];
    const synchronous = new Observable<LockstepEvent>((subscriber) => {
      const events = [join(0, 0), ...Array.from({ length: 10 }, (_, t) => input(0, t))];
      for (const event of events) {
        if (subscriber.closed) return;
        sideEffects.push(event);
        subscriber.next(event);
      }
      subscriber.complete();
    });
    const ticks: number[] = [];
    synchronous.pipe(lockstep({ maxPlayers: 1 }), take(2)).subscribe((f) => ticks.push(f.tick));
    expect(ticks).toEqual([0, 1]);
    expect(sideEffects).toHaveLength(3);
  });

  it('takes from a synchronous source', () => {
    newScheduler().run(({ expectObservable }) => {
      const result = from([join(0, 0), input(0, 1), input(0, 0), input(0, 2)]).pipe(
        lockstep({ maxPlayers: 1 }),
        take(2),
      );
      expectObservable(result).toBe('(01|)', {
        0: frame(0, 'x', { joined: [0] }),
        1: frame(1, 'x'),
      });
    });
  });

  describe('re-entrancy', () => {
    it('emits frames completed by events fed back from a frame in order, without nesting', () => {
      const source = new Subject<LockstepEvent>();
      const ticks: number[] = [];
      let depth = 0;
      let maxDepth = 0;
      source.pipe(lockstep({ maxPlayers: 2 })).subscribe((f) => {
        depth += 1;
        maxDepth = Math.max(maxDepth, depth);
        ticks.push(f.tick);
        if (f.tick < 5) {
          // The players answer every frame with their inputs for the next tick, one twice.
          source.next(input(1, f.tick + 1));
          source.next(input(0, f.tick + 1));
          source.next(input(0, f.tick + 1));
        }
        depth -= 1;
      });
      source.next(join(0, 0));
      source.next(join(1, 0));
      source.next(input(0, 0));
      source.next(input(1, 0));
      expect(ticks).toEqual([0, 1, 2, 3, 4, 5]);
      expect(maxDepth).toBe(1);
    });

    it('applies a leave and a join fed back from a frame at the right ticks', () => {
      const source = new Subject<LockstepEvent>();
      const frames: ConfirmedFrame[] = [];
      source.pipe(lockstep({ maxPlayers: 2 })).subscribe((f) => {
        frames.push(f);
        if (f.tick === 0) {
          source.next(leave(1)); // at head 1
          source.next(join(1, 3));
        }
      });
      for (const event of [join(0, 0), join(1, 0), input(0, 0), input(1, 0), input(1, 1)]) {
        source.next(event);
      }
      for (const t of [1, 2, 3]) source.next(input(0, t));
      source.next(input(1, 3));
      expect(frames).toEqual([
        frame(0, 'xx', { joined: [0, 1] }),
        frame(1, 'x.', { left: [[1, 'left']] }),
        frame(2, 'x.'),
        frame(3, 'xx', { joined: [1] }),
      ]);
    });
  });

  it('keeps all state per subscription', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const operator = lockstep({ maxPlayers: 1 });
      const events = { J: join(0, 0), a: input(0, 0), b: input(0, 1) };
      expectObservable(cold('J-a-b-|', events).pipe(operator)).toBe('--0-1-|', {
        0: frame(0, 'x', { joined: [0] }),
        1: frame(1, 'x'),
      });
      expectObservable(cold('J-b-(a|)', events).pipe(operator)).toBe('----(01|)', {
        0: frame(0, 'x', { joined: [0] }),
        1: frame(1, 'x'),
      });
    });
  });

  it('validates its options at call time', () => {
    const bad: LockstepOptions[] = [
      { maxPlayers: 0 },
      { maxPlayers: 1.5 },
      { maxPlayers: 2, inputSize: -1 },
      { maxPlayers: 2, startTick: 0.5 },
      { maxPlayers: 2, maxTicksAhead: 0 },
      { maxPlayers: 2, disconnectTimeoutMs: -1 },
      { maxPlayers: 2, disconnectTimeoutMs: Number.NaN },
    ];
    for (const options of bad) expect(() => lockstep(options)).toThrow(RangeError);
    expect(() => lockstep({ maxPlayers: 2, disconnectTimeoutMs: Infinity })).not.toThrow();
  });

  describe('properties', () => {
    /** Anything a hostile or broken network could deliver, and now and then time passing. */
    const anyEvent: fc.Arbitrary<LockstepEvent | 'time passes'> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          type: fc.constant('input' as const),
          playerId: fc.oneof(
            { weight: 9, arbitrary: fc.integer({ min: 0, max: 2 }) },
            fc.constantFrom(-1, 3, 0.5),
          ),
          tick: fc.oneof(
            { weight: 9, arbitrary: fc.integer({ min: 0, max: 8 }) },
            fc.constantFrom(-1, 12, Number.NaN),
          ),
          input: fc.oneof(
            { weight: 9, arbitrary: fc.uint8Array({ minLength: 2, maxLength: 2 }) },
            fc.uint8Array({ maxLength: 3 }),
          ),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant('join' as const),
          playerId: fc.integer({ min: -1, max: 3 }),
          username: fc.constantFrom(...names),
          tick: fc.integer({ min: -1, max: 10 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          type: fc.constant('leave' as const),
          playerId: fc.integer({ min: -1, max: 3 }),
          reason: fc.constantFrom<LeaveReason>('left', 'kicked', 'error'),
        }),
      },
      { weight: 1, arbitrary: fc.constant('time passes' as const) },
    );

    it('keeps its invariants whatever arrives: consecutive ticks, members exactly those with inputs', () => {
      /** Players that join and send their inputs in order (some stop early: timeouts), ... */
      const honest = fc
        .array(
          fc.record({ joinTick: fc.integer({ min: 0, max: 3 }), count: fc.nat({ max: 12 }) }),
          { maxLength: 3 },
        )
        .map((plans) =>
          plans.flatMap(({ joinTick, count }, slot) => [
            join(slot, joinTick),
            ...Array.from({ length: count }, (_, i) => input(slot, joinTick + i)),
          ]),
        );
      /** ... mixed with noise, keeping the order of each. */
      const scenario = fc
        .tuple(
          honest,
          fc.array(anyEvent, { maxLength: 60 }),
          fc.array(fc.boolean(), { maxLength: 120 }),
        )
        .map(([good, noise, picks]) => {
          const events: (LockstepEvent | 'time passes')[] = [];
          let g = 0;
          let n = 0;
          for (const pickGood of picks) {
            if (pickGood && g < good.length) events.push(good[g++]);
            else if (n < noise.length) events.push(noise[n++]);
          }
          return [...events, ...good.slice(g), ...noise.slice(n)];
        });
      fc.assert(
        fc.property(scenario, (events) => {
          const maxPlayers = 3;
          const inputSize = 2;
          const scheduler = new VirtualTimeScheduler();
          const source = new Subject<LockstepEvent>();
          const frames: ConfirmedFrame[] = [];
          source
            .pipe(
              lockstep({ maxPlayers, inputSize, maxTicksAhead: 8, scheduler, onWarning: () => {} }),
            )
            .subscribe({
              next: (f) => frames.push(f),
              error: (err) => {
                throw err;
              },
            });
          for (const event of events) {
            if (event === 'time passes') scheduler.flush();
            else source.next(event);
          }
          const members = new Set<number>();
          frames.forEach((f, i) => {
            expect(f.tick).toBe(i);
            expect(f.inputs).toHaveLength(maxPlayers);
            if (f.joined) expect(f.joined.length).toBeGreaterThan(0);
            if (f.left) expect(f.left.length).toBeGreaterThan(0);
            for (const p of f.joined ?? []) {
              expect(members.has(p.playerId)).toBe(false);
              members.add(p.playerId);
            }
            for (const p of f.left ?? []) {
              expect(members.has(p.playerId)).toBe(true);
              members.delete(p.playerId);
            }
            f.inputs.forEach((data, slot) => {
              expect(data !== null).toBe(members.has(slot));
              if (data !== null) expect(data).toHaveLength(inputSize);
            });
          });
        }),
        { numRuns: 300 },
      );
    });

    interface PlayerPlan {
      readonly joinTick: number;
      /** Its inputs, for ticks joinTick, joinTick + 1, ... */
      readonly inputs: readonly number[];
    }

    /** Up to 4 players in distinct slots, one of them joining at startTick. */
    const scenario = fc
      .record({
        startTick: fc.integer({ min: -5, max: 5 }),
        plans: fc.array(
          fc.option(
            fc.record({
              joinTick: fc.integer({ min: 0, max: 6 }),
              inputs: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }),
            }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        first: fc.nat(),
      })
      .map(({ startTick, plans, first }) => {
        const slots = plans.map((plan) =>
          plan === null ? null : { ...plan, joinTick: startTick + plan.joinTick },
        );
        // Someone joins at startTick, so that no join is ever late.
        const present = slots.flatMap((plan, slot) => (plan === null ? [] : [slot]));
        const firstSlot = present.length > 0 ? present[first % present.length] : 0;
        const firstPlan = slots[firstSlot] ?? { joinTick: startTick, inputs: [] };
        slots[firstSlot] = { ...firstPlan, joinTick: startTick };
        return { startTick, slots, firstSlot };
      });

    /** The reference: tick by tick, while every player in the match has its input. */
    function model(startTick: number, slots: readonly (PlayerPlan | null)[]): ConfirmedFrame[] {
      const frames: ConfirmedFrame[] = [];
      for (let tick = startTick; ; tick += 1) {
        const inputs: (Uint8Array | null)[] = [];
        const joined: PlayerInfo[] = [];
        let complete = true;
        slots.forEach((plan, slot) => {
          if (plan === null || plan.joinTick > tick) {
            inputs.push(null);
            return;
          }
          const value = plan.inputs[tick - plan.joinTick];
          if (value === undefined) complete = false;
          inputs.push(value === undefined ? null : Uint8Array.of(value));
          if (plan.joinTick === tick) joined.push(info(slot));
        });
        if (!complete) return frames;
        frames.push(joined.length > 0 ? { tick, inputs, joined } : { tick, inputs });
      }
    }

    it('turns any permutation and duplication of the inputs into the frames of the model', () => {
      fc.assert(
        fc.property(
          scenario.chain(({ startTick, slots, firstSlot }) => {
            const joins = slots.flatMap((plan, slot) =>
              plan === null || slot === firstSlot ? [] : [join(slot, plan.joinTick)],
            );
            const inputs = slots.flatMap((plan, slot) =>
              plan === null
                ? []
                : plan.inputs.map((value, i) =>
                    input(slot, plan.joinTick + i, Uint8Array.of(value)),
                  ),
            );
            return fc
              .tuple(permutedWithDuplicates(joins), permutedWithDuplicates(inputs))
              .map(([laterJoins, arrivals]) => ({
                startTick,
                slots,
                // The first joiner comes first; the other joins, in any order (some twice),
                // before the inputs, in any order (some twice).
                events: [join(firstSlot, startTick), ...laterJoins, ...arrivals] as LockstepEvent[],
              }));
          }),
          ({ startTick, slots, events }) => {
            const frames: ConfirmedFrame[] = [];
            const warnings: LockstepWarning[] = [];
            from(events)
              .pipe(
                lockstep({
                  maxPlayers: slots.length,
                  startTick,
                  inputSize: 1,
                  maxTicksAhead: 1000,
                  scheduler: new VirtualTimeScheduler(),
                  onWarning: (w) => warnings.push(w),
                }),
              )
              .subscribe((f) => frames.push(f));
            expect(frames).toEqual(model(startTick, slots));
            // Only the duplicated joins are refused.
            expect(warnings.every((w) => w.code === 'slot-taken')).toBe(true);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
