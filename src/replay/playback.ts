// playback: a replay's frames emitted at the match's tick rate, at a speed factor, or as fast as they are taken; with seek.
import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import type { SnapshotEvent } from '../events.js';
import type { ConfirmedFrame } from '../types.js';
import type { ReplayFile } from './readReplay.js';

/** Options of {@link playback}. */
export interface PlaybackOptions {
  /** Ticks per second at speed 1. Default: the replay header's `tickRate` (required for plain frames). */
  readonly tickRate?: number;
  /** A factor of the tick rate (2: twice as fast); `Infinity`: every frame as fast as it is taken. Default `1`. */
  readonly speed?: number;
  /** The first tick emitted; frames before it are skipped (start there from a snapshot, see {@link seekPoint}). Default: the first frame. */
  readonly from?: number;
  /** Frames before this tick are emitted at once, on subscribe; pacing starts at it. Default: `from`. */
  readonly seek?: number;
  /** Where the pacing runs. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Plays frames back in time: each frame when its tick is due at `tickRate * speed` ticks per
 * second, from the first one paced (`seek`).
 *
 * <span class="informal">The frames are pulled one at a time from the replay (or any
 * iterable of frames), so a long replay is never decoded whole. With `speed: Infinity` every
 * frame is emitted synchronously on subscribe, each as soon as the subscriber has taken the one
 * before. `seek` fast-forwards: the frames before it come at once (a simulation steps through
 * them), then the pacing starts.</span>
 *
 * ```
 * frames (tickRate 100, speed 1): ticks 0 1 2 3
 * result:              a 9ms b 9ms c 9ms (d|)
 * with seek: 2:        (abc) 5ms (d|)
 * ```
 *
 * @example
 * ```ts
 * const replay = readReplay(bytes);
 * playback(replay, { speed: 2 }).subscribe((frame) => game.step(frame));
 * ```
 *
 * @param source A replay read from bytes, or frames in tick order.
 * @param options Speed, seek and scheduler.
 * @returns A cold Observable of the frames; it completes after the last.
 * @throws {RangeError} For a speed that is not positive, or no tick rate for plain frames.
 */
export function playback(
  source: ReplayFile | Iterable<ConfirmedFrame>,
  options: PlaybackOptions = {},
): Observable<ConfirmedFrame> {
  const isReplay = 'header' in source;
  const tickRate = options.tickRate ?? (isReplay ? source.header.tickRate : undefined);
  if (tickRate === undefined || !(tickRate > 0))
    throw new RangeError('playback needs a tickRate > 0 (from the replay header or the options)');
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError('playback speed must be > 0');
  const scheduler = options.scheduler ?? asyncScheduler;
  const msPerTick = 1000 / (tickRate * speed);
  const from = options.from;
  return new Observable<ConfirmedFrame>((subscriber) => {
    const iterable = isReplay ? source.frames(from) : source;
    const iterator = iterable[Symbol.iterator]();
    const pull = (): ConfirmedFrame | undefined => {
      for (;;) {
        const next = iterator.next();
        if (next.done === true) return undefined;
        if (from === undefined || next.value.tick >= from) return next.value;
      }
    };
    let frame = pull();
    const seek = options.seek ?? from ?? frame?.tick ?? 0;
    // Fast-forward: the frames before the seek tick, and all of them at infinite speed.
    while (frame !== undefined && (frame.tick < seek || speed === Infinity)) {
      subscriber.next(frame);
      if (subscriber.closed) return;
      frame = pull();
    }
    if (frame === undefined) {
      subscriber.complete();
      return;
    }
    const start = scheduler.now();
    let pending: ConfirmedFrame | undefined = frame;
    const step = (): void => {
      // Every frame due by now, then wait for the next.
      while (pending !== undefined) {
        const due = start + (pending.tick - seek) * msPerTick;
        const wait = due - scheduler.now();
        if (wait > 0) {
          subscriber.add(scheduler.schedule(step, wait));
          return;
        }
        subscriber.next(pending);
        if (subscriber.closed) return;
        pending = pull();
      }
      subscriber.complete();
    };
    step();
  });
}

/**
 * Where to start playing from to reach `tick` soonest: after the newest snapshot taken before
 * `tick` (a snapshot is the state after its frame), or from the first frame if there is none.
 *
 * @example
 * ```ts
 * const point = seekPoint(replay, 6000);
 * if (point.snapshot) game.restore(point.snapshot.data);
 * playback(replay, { from: point.from, seek: 6000 }).subscribe((f) => game.step(f));
 * ```
 *
 * @returns `from`, the first tick to play, and the snapshot to restore first, if any.
 */
export function seekPoint(
  replay: ReplayFile,
  tick: number,
): {
  /** The first tick to play. */
  readonly from: number;
  /** The snapshot to restore before playing from `from`, if there is one. */
  readonly snapshot?: SnapshotEvent;
} {
  let best: SnapshotEvent | undefined;
  for (const report of replay.reports) {
    if (report.type !== 'snapshot' || report.tick >= tick) continue;
    if (report.tick < replay.header.startTick || report.tick > replay.lastTick) continue;
    if (best === undefined || report.tick > best.tick) best = report;
  }
  return best === undefined
    ? { from: replay.header.startTick }
    : { from: best.tick + 1, snapshot: best };
}
