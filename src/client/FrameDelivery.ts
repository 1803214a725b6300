// The client's frame delivery: frames held until the game reads them, in order, each once,
// live ones through the playout buffer, a catch-up straight through, and the caught-up point.
import { Observable, Subject, Subscription } from 'rxjs';
import { Roster } from '../match/Roster.js';
import { playout } from '../operators/playout.js';
import type { ConfirmedFrame, PlayerInfo } from '../types.js';

/** A frame waiting to be delivered, or the point where the catch-up ends. */
type Held =
  { readonly frame: ConfirmedFrame; readonly catchUp: boolean } | { readonly caughtUp: number };

/**
 * Frames held for a game that does not read `frames$`, at most (more than the default frame
 * log holds of any match): past it the session ends, rather than memory growing.
 */
export const MAX_HELD_FRAMES = 1 << 20;

/** What a frame delivery works with. @internal */
export interface FrameDeliveryOptions {
  /** The tick of the first frame it delivers. */
  readonly firstTick: number;
  /** The players in the match just before `firstTick`. */
  readonly players: readonly PlayerInfo[];
  /** Ticks per second the match runs at. */
  readonly tickRate: number;
  /** The playout buffer's delay, if there is one. */
  readonly playoutDelayMs: number | undefined;
  /** The watermark: of `count` frames from tick `first`, the range of the new ones. */
  readonly receive: (first: number, count: number) => [number, number];
  /** Frame `tick` went out on `frames$`. */
  readonly delivered: (tick: number) => void;
  /** The catch-up ended at `tick` (the `caught-up` event). */
  readonly caughtUp: (tick: number) => void;
  /** Too many frames held (`held` of them, not read): the session ends. */
  readonly overflow: (held: number) => void;
  /** The session has ended: deliver no more. */
  readonly ended: () => boolean;
}

/** Confirmed frames on their way to the game. @internal */
export class FrameDelivery {
  /** Frames from `firstTick` on; the first subscriber starts the delivery. */
  readonly frames$: Observable<ConfirmedFrame>;
  /** Every frame delivered, as it goes out. */
  readonly framesSubject = new Subject<ConfirmedFrame>();
  /** Resolves with the first live tick once the first catch-up has been delivered. */
  readonly caughtUp: Promise<number>;
  /** The playout subscription (empty without a playout buffer): ends with the session. */
  readonly playing: Subscription;
  /** Live frames in order, each once, into the playout buffer (if there is one). */
  private readonly ordered = new Subject<ConfirmedFrame>();
  /** There is a playout buffer: live frames go through `ordered`, not straight out. */
  private readonly buffered: boolean;
  /** Who is in each slot, as of the last frame received in order. */
  private readonly roster: Roster;
  private readonly held: Held[] = [];
  private heldStart = 0;
  private started = false;
  private flushing = false;
  private deliveringCatchUp = false;
  /** The last tick pushed into the playout buffer (equal to lastDelivered when it is empty). */
  private lastOrdered: number;
  private delivered: number;
  private newestFrameSeen: number;
  private everCaughtUp = false;
  private resolveCaughtUp!: (tick: number) => void;

  constructor(private readonly options: FrameDeliveryOptions) {
    this.newestFrameSeen = options.firstTick - 1;
    this.delivered = options.firstTick - 1;
    this.lastOrdered = options.firstTick - 1;
    this.roster = new Roster(options.players);
    this.caughtUp = new Promise((resolve) => (this.resolveCaughtUp = resolve));
    // Frames wait for the game: the first subscriber starts the delivery.
    this.frames$ = new Observable<ConfirmedFrame>((subscriber) => {
      const sub = this.framesSubject.subscribe(subscriber);
      this.start();
      return sub;
    });
    // Live frames in order, delivered through the playout buffer if there is one (without
    // one, straight out: no Subject between).
    this.buffered = options.playoutDelayMs !== undefined;
    this.playing = this.buffered
      ? this.ordered
          .pipe(playout({ delayMs: options.playoutDelayMs!, intervalMs: 1000 / options.tickRate }))
          .subscribe((frame) => this.played(frame))
      : new Subscription();
  }

  /** True while `frames$` delivers a frame of a catch-up. */
  get catchingUp(): boolean {
    return this.deliveringCatchUp;
  }

  /** The tick of the last frame delivered. */
  get lastDelivered(): number {
    return this.delivered;
  }

  /** Frames received and not delivered yet. */
  framesBehind(): number {
    return Math.max(0, this.newestFrameSeen - this.delivered);
  }

  /** Frames from the server (datagrams or a catch-up): the new ones, in order, each once. */
  receive(frames: readonly ConfirmedFrame[], catchUp: boolean): void {
    if (frames.length === 0) return;
    this.newestFrameSeen = Math.max(this.newestFrameSeen, frames[frames.length - 1].tick);
    // Taken in order, each once: the watermark moves before each frame goes out.
    if (this.heldCount + frames.length > MAX_HELD_FRAMES) {
      this.options.overflow(this.heldCount);
      return;
    }
    const [from, to] = this.options.receive(frames[0].tick, frames.length);
    if (!catchUp && this.started && !this.flushing && this.heldCount === 0) {
      // The common case: live frames with nothing held before them go on at once, as a flush
      // would take them, without being held.
      // The roster is applied to every new frame first, in tick order: a delivery that makes
      // another receive (a synchronous transport) then finds the roster past these frames.
      const named: ConfirmedFrame[] = [];
      for (let i = from; i < to; i++) named.push(this.roster.apply(frames[i]));
      this.flushing = true;
      try {
        for (const frame of named) {
          if (this.options.ended()) break;
          this.order(frame);
        }
      } finally {
        this.flushing = false;
      }
      if (this.heldCount > 0) this.flush(); // what came in meanwhile
      return;
    }
    for (let i = from; i < to; i++)
      this.held.push({ frame: this.roster.apply(frames[i]), catchUp });
    this.flush();
  }

  /** The catch-up ends at `tick`: once the frames before it are delivered. */
  caughtUpAt(tick: number): void {
    this.held.push({ caughtUp: tick });
    this.flush();
  }

  /** Frames may flow to the game from now on. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.flush();
  }

  /** The session ended: `frames$` completes. */
  complete(): void {
    this.framesSubject.complete();
    this.ordered.complete();
  }

  /**
   * Delivers what is held, in order: live frames into the playout buffer (if any), frames of
   * a catch-up straight to `frames$` once that buffer is empty.
   */
  private flush(): void {
    if (this.flushing || !this.started) return;
    this.flushing = true;
    try {
      while (this.heldCount > 0 && !this.options.ended()) {
        const next = this.held[this.heldStart];
        if ('caughtUp' in next) {
          if (this.lastOrdered !== this.delivered) break; // the buffer is not empty
          this.takeHeld();
          this.onCaughtUp(next.caughtUp);
        } else if (next.catchUp) {
          if (this.lastOrdered !== this.delivered) break;
          this.takeHeld();
          this.lastOrdered = next.frame.tick;
          this.deliver(next.frame, true);
        } else {
          this.takeHeld();
          this.order(next.frame);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** A live frame, the next in order: into the playout buffer, or out. */
  private order(frame: ConfirmedFrame): void {
    this.lastOrdered = frame.tick;
    if (this.buffered) this.ordered.next(frame);
    else this.played(frame);
  }

  /** A live frame out of the playout buffer (or past where it would be). */
  private played(frame: ConfirmedFrame): void {
    this.deliver(frame, false);
    if (this.heldCount > 0) this.flush(); // a catch-up waits for the buffer to empty
  }

  /** Entries held, not delivered yet. */
  private get heldCount(): number {
    return this.held.length - this.heldStart;
  }

  /** Drops the oldest held entry (a queue over an array: compacted when empty). */
  private takeHeld(): void {
    this.heldStart += 1;
    if (this.heldStart === this.held.length) {
      this.held.length = 0;
      this.heldStart = 0;
    } else if (this.heldStart >= 4096 && this.heldStart * 2 >= this.held.length) {
      this.held.splice(0, this.heldStart);
      this.heldStart = 0;
    }
  }

  private deliver(frame: ConfirmedFrame, catchUp: boolean): void {
    this.delivered = frame.tick;
    this.deliveringCatchUp = catchUp;
    try {
      this.framesSubject.next(frame);
    } finally {
      this.deliveringCatchUp = false;
    }
    this.options.delivered(frame.tick);
  }

  private onCaughtUp(tick: number): void {
    this.options.caughtUp(tick);
    if (!this.everCaughtUp) {
      this.everCaughtUp = true;
      this.resolveCaughtUp(tick);
    }
  }
}
