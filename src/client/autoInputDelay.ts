// `inputDelay: 'auto'`: the input delay the measured round trip and jitter call for, with hysteresis.

/** The input delay `'auto'` starts from, before the round trip is measured. */
export const AUTO_INPUT_DELAY_START = 2;

/** What {@link chooseInputDelay} decides from. */
export interface InputDelayLink {
  /** Smoothed round-trip time in ms, or null before the first measure. */
  readonly rttMs: number | null;
  /** Round-trip variation in ms, or null before the first measure. */
  readonly jitterMs: number | null;
  /** Ticks per second of the match. */
  readonly tickRate: number;
  /** The input delay in ticks now. */
  readonly current: number;
}

/**
 * The input delay for a link: enough ticks that a frame arrives before the game needs it,
 * `ceil((rttMs + 2 * jitterMs) / tickMs + 0.5)` (a round trip, two deviations of jitter, and
 * half a tick for the server's send cadence), within 0..128.
 *
 * <span class="informal">Raised at once (a frame that comes late stalls the game), lowered
 * only when the link calls for 2 ticks less than now, and then by one tick a call (a
 * shorter delay drops inputs: the game loses a tick of control each time), so a link whose
 * measure wavers around a tick boundary does not flap.</span>
 *
 * @example
 * ```ts
 * chooseInputDelay({ rttMs: 40, jitterMs: 5, tickRate: 60, current: 2 }); // 4
 * ```
 * @returns The new delay in ticks (`current` when nothing is measured yet).
 */
export function chooseInputDelay(link: InputDelayLink): number {
  const { rttMs, jitterMs, tickRate, current } = link;
  if (rttMs === null || !Number.isFinite(rttMs)) return current;
  const tickMs = 1000 / tickRate;
  const needMs = rttMs + 2 * Math.max(0, jitterMs ?? 0);
  const ideal = Math.min(128, Math.max(0, Math.ceil(needMs / tickMs + 0.5)));
  if (ideal > current) return ideal;
  if (ideal <= current - 2) return current - 1;
  return current;
}
