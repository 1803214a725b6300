// Frames out to every seat: each frame pushed to its players' links, one send per player per turn, resends on the tick.
import { FramesBodyCache } from '../protocol/index.js';
import type { ConfirmedFrame } from '../types.js';
import type { Seat } from './Seat.js';

/** What the fan-out needs from its server. */
export interface FanoutHost {
  /** The seats of the players in the match now. */
  readonly seats: () => Iterable<Seat>;
  /** A seat that acknowledged nothing for its whole window: the server drops it. */
  readonly onWindowFull: (seat: Seat) => void;
  /** A seat nothing was heard from for `disconnectTimeoutMs`: the server drops it. */
  readonly onSilent: (seat: Seat) => void;
  readonly disconnectTimeoutMs: number;
}

/**
 * Sends the confirmed frames to every player, redundantly, until acknowledged. A frame is
 * pushed to every seat at once; the sends wait for the end of the event-loop turn, so all the
 * frames that one burst of datagrams confirmed go in one datagram per player, and the
 * datagrams of one round that carry the same frames share one encoded body. On each tick,
 * a player not sent to for a tick and a half is sent its unacknowledged frames again (with
 * the acknowledgements: a keepalive when there is none).
 */
export class FrameFanout {
  private flushScheduled = false;
  private stopped = false;
  /** Frames packet bodies shared by every player sent the same frames in one round. */
  private readonly bodies = new FramesBodyCache();

  constructor(private readonly host: FanoutHost) {}

  /** A confirmed frame: held for every seat, sent at the end of this turn. */
  push(frame: ConfirmedFrame): void {
    for (const seat of this.host.seats()) if (!seat.pushFrame(frame)) this.host.onWindowFull(seat);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    // After every datagram of this event-loop turn: one send per player for all of them.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.stopped) return;
      this.bodies.clear();
      for (const seat of this.host.seats()) if (seat.dirty) seat.sendFrames(this.bodies);
    });
  }

  /** The tick: drops the silent players, resends to those not sent to for a tick and a half. */
  tick(): void {
    this.bodies.clear();
    for (const seat of [...this.host.seats()]) {
      if (seat.link.silentForMs > this.host.disconnectTimeoutMs) this.host.onSilent(seat);
      else if (seat.link.resendDue) seat.sendFrames(this.bodies);
    }
  }

  /** Sends nothing more. */
  stop(): void {
    this.stopped = true;
  }
}
