// A room's frame fan-out, and what befalls a seat that acknowledges no frame or falls silent: it goes away.
import type { Warn } from '../link/serviceDatagrams.js';
import { FrameFanout } from './FrameFanout.js';
import type { ResolvedServerOptions } from './options.js';
import { SeatState } from './Seat.js';
import type { Seats } from './Seats.js';

/**
 * The fan-out of a room's frames to its connected seats. A playing seat that acknowledged
 * no frame for its whole window, or that nothing was heard from for `disconnectTimeoutMs`,
 * goes away (a warning says so for the window); an away seat is paused instead, to be caught
 * up once it is heard again.
 */
export function roomFanout(seats: Seats, options: ResolvedServerOptions, warn: Warn): FrameFanout {
  return new FrameFanout({
    seats: () => seats.connected(),
    disconnectTimeoutMs: options.disconnectTimeoutMs,
    onWindowFull: (seat) => {
      if (seat.state === SeatState.Away) return seat.pause(); // a catch-up when heard again
      if (seat.state !== SeatState.Playing) return;
      warn(
        'buffer-full',
        `player ${seat.playerId} acknowledged no frame for ${options.maxUnackedFrames} frames`,
        { playerId: seat.playerId },
      );
      seats.goAway(seat, 'frames not acknowledged');
    },
    onSilent: (seat) => {
      if (seat.state === SeatState.Playing)
        seats.goAway(seat, `nothing heard for ${options.disconnectTimeoutMs} ms`);
      else if (seat.state === SeatState.Away && !seat.isPaused) seat.pause();
    },
  });
}
