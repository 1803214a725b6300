// A bounded log of confirmed frames, by approximate bytes: what catch-up, spectators and replays read.
import type { ConfirmedFrame } from '../types.js';

/** Options of {@link FrameLog}. */
export interface FrameLogOptions {
  /**
   * The approximate memory kept, in bytes (estimated per frame); the oldest frames are
   * dropped to stay within it. Default `64 MiB` (about 20 minutes of an 8-player match at 60
   * ticks per second).
   */
  readonly maxBytes?: number;
  /** The tick of the first frame appended. Default `0`. */
  readonly startTick?: number;
  /** Called with each frame dropped to stay within `maxBytes`, oldest first. Default: none. */
  readonly onDrop?: (frame: ConfirmedFrame) => void;
}

/** The default bound of a {@link FrameLog}: 64 MiB. */
export const DEFAULT_FRAME_LOG_BYTES = 64 * 1024 * 1024;

/** Heap bytes of a frame object, of an array header, of a slot, of a Uint8Array view, of a player entry (estimates for V8). */
const FRAME_BYTES = 64;
const ARRAY_BYTES = 16;
const SLOT_BYTES = 8;
const VIEW_BYTES = 96;
const PLAYER_BYTES = 48;

/**
 * What a frame counts for in a {@link FrameLog}: an estimate of the memory it holds (the
 * frame object, its inputs array, each input's bytes and view, each join and leave), so the
 * bound is one of memory, not of encoded size.
 */
export function frameLogBytes(frame: ConfirmedFrame): number {
  let bytes = FRAME_BYTES + ARRAY_BYTES + SLOT_BYTES * frame.inputs.length;
  for (const input of frame.inputs) if (input !== null) bytes += VIEW_BYTES + input.length;
  if (frame.joined !== undefined)
    for (const p of frame.joined) bytes += PLAYER_BYTES + 2 * p.username.length;
  if (frame.left !== undefined)
    for (const p of frame.left) bytes += PLAYER_BYTES + 2 * p.username.length;
  if (frame.substituted !== undefined) bytes += ARRAY_BYTES + SLOT_BYTES * frame.substituted.length;
  return bytes;
}

/**
 * The newest confirmed frames, consecutive, bounded by an approximate byte count: appending
 * past `maxBytes` drops the oldest frames.
 *
 * <span class="informal">The match's memory of its frames: a late joiner, a spectator or a
 * reconnecting player is sent `since(tick)`, and a replay records from it.</span>
 *
 * @example
 * ```ts
 * const log = new FrameLog({ maxBytes: 1 << 20 });
 * frames$.subscribe((frame) => log.append(frame));
 * const missed = log.since(lastTickSeen + 1); // undefined: too old, start from a snapshot
 * ```
 */
export class FrameLog {
  private readonly maxBytes: number;
  /** The frames kept are `frames[start..]`; the places before `start` are dropped ones. */
  private frames: (ConfirmedFrame | undefined)[] = [];
  private start = 0;
  private first: number;
  private total = 0;
  private readonly onDrop: ((frame: ConfirmedFrame) => void) | undefined;

  /**
   * @throws {RangeError} If `maxBytes` is not a non-negative number, or `startTick` not a
   * safe integer.
   */
  constructor(options: FrameLogOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_FRAME_LOG_BYTES;
    const startTick = options.startTick ?? 0;
    if (!(maxBytes >= 0)) {
      throw new RangeError(`FrameLog: maxBytes must be >= 0, got ${maxBytes}`);
    }
    if (!Number.isSafeInteger(startTick)) {
      throw new RangeError(`FrameLog: startTick must be a safe integer, got ${startTick}`);
    }
    this.maxBytes = maxBytes;
    this.first = startTick;
    this.onDrop = options.onDrop;
  }

  /** The tick of the oldest frame kept (`lastTick + 1` when none is). */
  get firstTick(): number {
    return this.first;
  }

  /** The tick of the newest frame appended (`firstTick - 1` before the first). */
  get lastTick(): number {
    return this.first + this.size - 1;
  }

  /** How many frames are kept. */
  get size(): number {
    return this.frames.length - this.start;
  }

  /** The approximate bytes of the frames kept. */
  get bytes(): number {
    return this.total;
  }

  /**
   * Appends the next frame, then drops the oldest frames while the log is over `maxBytes`.
   *
   * @throws {RangeError} If `frame.tick` is not `lastTick + 1`.
   */
  append(frame: ConfirmedFrame): void {
    if (frame.tick !== this.lastTick + 1) {
      throw new RangeError(`FrameLog: frame ${frame.tick} appended after ${this.lastTick}`);
    }
    this.frames.push(frame);
    this.total += frameLogBytes(frame);
    while (this.total > this.maxBytes && this.size > 0) {
      const oldest = this.frames[this.start];
      this.frames[this.start] = undefined;
      this.start += 1;
      this.first += 1;
      if (oldest !== undefined) {
        this.total -= frameLogBytes(oldest);
        this.onDrop?.(oldest);
      }
    }
    // Compact now and then: amortised O(1) per frame.
    if (this.start >= 1024 && this.start * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.start);
      this.start = 0;
    }
  }

  /**
   * The frames from `from` up to `to` (excluded), oldest first, at most `max` of them: a
   * window of {@link FrameLog.since} without copying the rest.
   *
   * @returns Undefined if `from` is before `firstTick` or not a safe integer.
   */
  range(from: number, to: number, max = Infinity): readonly ConfirmedFrame[] | undefined {
    if (!(from >= this.first) || !Number.isSafeInteger(from)) return undefined;
    const begin = this.start + Math.min(from - this.first, this.size);
    const end =
      this.start + Math.min(Math.max(from, to) - this.first, this.size, from - this.first + max);
    return this.frames.slice(begin, end) as ConfirmedFrame[];
  }

  /**
   * The frames from `tick` on, oldest first (empty if `tick > lastTick`).
   *
   * @returns Undefined if `tick` is before `firstTick` (those frames are not kept) or is not
   * a safe integer.
   */
  since(tick: number): readonly ConfirmedFrame[] | undefined {
    if (!(tick >= this.first) || !Number.isSafeInteger(tick)) return undefined;
    const from = this.start + Math.min(tick - this.first, this.size);
    return this.frames.slice(from) as ConfirmedFrame[];
  }
}
