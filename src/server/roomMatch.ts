// A room's Match, made from the server's options, on timers that wait for queued input after a stall of the server itself.
import { Match } from '../match/Match.js';
import { lateTimerScheduler } from './lateTimerScheduler.js';
import type { ResolvedServerOptions } from './options.js';

/** A timer this late (ms) means the server itself stalled: timeouts wait for queued input. */
export const LATE_MS = 250;

/**
 * The match of a room: its sizes, timeouts, substitute input, frame log and `lateInputMs`
 * from the server's options. Its timers run on {@link lateTimerScheduler}: after a stall of
 * the server itself (a timer {@link LATE_MS} late), queued inputs are read before any timeout.
 */
export function roomMatch(options: ResolvedServerOptions): Match {
  return new Match({
    maxPlayers: options.maxPlayers,
    inputSize: options.inputSize,
    maxTicksAhead: options.maxTicksAhead,
    disconnectTimeoutMs: options.disconnectTimeoutMs,
    readyTimeoutMs: options.readyTimeoutMs,
    reconnectGraceMs: options.reconnectGraceMs,
    substituteInput: options.substituteInput,
    frameLogBytes: options.frameLogBytes,
    // After a stall of the server itself, queued inputs are read before any timeout.
    scheduler: lateTimerScheduler(LATE_MS),
    lateInputMs: options.lateInputMs,
  });
}
