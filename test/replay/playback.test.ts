// playback on virtual time: frames at the tick rate, at a speed, as fast as taken, with seek and from a snapshot.
import { Subject, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { playback, seekPoint } from '../../src/replay/playback.js';
import { readReplay } from '../../src/replay/readReplay.js';
import { recordReplay } from '../../src/replay/recordReplay.js';
import { confirmedFrame, type ConfirmedFrame } from '../../src/types.js';
import { concat, makeFrames } from './frames.js';
import type { ReplayReport } from '../../src/replay/types.js';

const frame = (tick: number): ConfirmedFrame => confirmedFrame(tick, [Uint8Array.of(tick)]);
const frames = [frame(0), frame(1), frame(2), frame(3)];
const values = { a: frames[0], b: frames[1], c: frames[2], d: frames[3] };

function scheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('playback', () => {
  it('emits a frame per tick at the tick rate (100 Hz: every 10 ms)', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, scheduler: ts })).toBe(
        'a 9ms b 9ms c 9ms (d|)',
        values,
      );
    });
  });

  it('at speed 2, twice as fast', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, speed: 2, scheduler: ts })).toBe(
        'a 4ms b 4ms c 4ms (d|)',
        values,
      );
    });
  });

  it('at speed Infinity, every frame at once', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, speed: Infinity, scheduler: ts })).toBe(
        '(abcd|)',
        values,
      );
    });
  });

  it('seek fast-forwards the frames before the tick, then paces', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, seek: 2, scheduler: ts })).toBe(
        '(abc) 5ms (d|)',
        values,
      );
    });
  });

  it('from skips the frames before it', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, from: 2, scheduler: ts })).toBe(
        'c 9ms (d|)',
        values,
      );
    });
  });

  it('stops on unsubscribe, and with take', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback(frames, { tickRate: 100, scheduler: ts }), '^ 12ms !').toBe(
        'a 9ms b',
        values,
      );
      expectObservable(playback(frames, { tickRate: 100, scheduler: ts }).pipe(take(2))).toBe(
        'a 9ms (b|)',
        values,
      );
      expectObservable(
        playback(frames, { tickRate: 100, speed: Infinity, scheduler: ts }).pipe(take(2)),
      ).toBe('(ab|)', values);
    });
  });

  it('empty frames complete at once; a bad speed or missing tick rate throws', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(playback([], { tickRate: 100, scheduler: ts })).toBe('|');
    });
    expect(() => playback(frames, { tickRate: 100, speed: 0 })).toThrow(RangeError);
    expect(() => playback(frames)).toThrow(RangeError);
  });

  it('plays a replay at its header tick rate, and seeks from a snapshot', () => {
    const recorded = makeFrames({ ticks: 40, maxPlayers: 2, inputSize: 1 });
    const reports$ = new Subject<ReplayReport>();
    const frames$ = new Subject<ConfirmedFrame>();
    const pieces: Uint8Array[] = [];
    frames$
      .pipe(recordReplay({ tickRate: 50, maxPlayers: 2, inputSize: 1, reports$, chunkFrames: 8 }))
      .subscribe((p) => pieces.push(p));
    for (const f of recorded) frames$.next(f);
    reports$.next({ type: 'snapshot', playerId: 0, tick: 19, data: Uint8Array.of(19) });
    reports$.next({ type: 'snapshot', playerId: 0, tick: 29, data: Uint8Array.of(29) });
    frames$.complete();
    const replay = readReplay(concat(pieces));

    const point = seekPoint(replay, 25);
    expect(point).toEqual({
      from: 20,
      snapshot: { type: 'snapshot', playerId: 0, tick: 19, data: Uint8Array.of(19) },
    });
    expect(seekPoint(replay, 10)).toEqual({ from: 0 });

    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      // 50 Hz: 20 ms a tick; ticks 20..24 at once, then 25, 26, ... every 20 ms.
      const played = playback(replay, { from: point.from, seek: 25, scheduler: ts }).pipe(take(7));
      const v = Object.fromEntries(recorded.slice(20, 27).map((f, k) => ['abcdefg'[k], f]));
      expectObservable(played).toBe('(abcdef) 12ms (g|)', v);
    });
  });
});
