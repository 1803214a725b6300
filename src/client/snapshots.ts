// The game's state snapshots the client sends: taken from the game's function, bounded in size.
import type { Warn } from '../link/serviceDatagrams.js';
import { Limits } from '../protocol/index.js';

/** How a failure to take a snapshot is reported. @internal */
export interface SnapshotWarnings {
  /** The code when the function throws. */
  readonly threwCode: Parameters<Warn>[0];
  /** What threw, for the message (`the snapshot function`). */
  readonly what: string;
  /** The code when the snapshot is over `Limits.maxSnapshotBytes`. */
  readonly tooBigCode: Parameters<Warn>[0];
}

/**
 * The game's snapshot for `tick`, from `give` (if the game gives one): undefined, with a
 * warning, when it throws or is too big to send. @internal
 */
export function takeSnapshot(
  give: ((tick: number) => Uint8Array | undefined) | undefined,
  tick: number,
  warn: Warn,
  warnings: SnapshotWarnings,
): Uint8Array | undefined {
  let data: Uint8Array | undefined;
  try {
    data = give?.(tick);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    warn(warnings.threwCode, `${warnings.what} threw: ${error.message}`, { error });
    return undefined;
  }
  if (data && data.length <= Limits.maxSnapshotBytes) return data;
  if (data) warn(warnings.tooBigCode, `snapshot over ${Limits.maxSnapshotBytes} bytes not sent`);
  return undefined;
}
