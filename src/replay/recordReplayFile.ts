// Node only: records frames (and reports) to a replay file on disk, a chunk at a time.
import { createWriteStream } from 'node:fs';
import { Subject, takeUntil, type Observable } from 'rxjs';
import type { ConfirmedFrame } from '../types.js';
import { recordReplay, type RecordReplayOptions } from './recordReplay.js';

/** A recording to a file under way. */
export interface ReplayFileRecording {
  /** Where the file is written. */
  readonly path: string;
  /** Resolves once `frames$` completed and the whole file is on disk; rejects on a write error. */
  readonly closed: Promise<void>;
  /** Stops recording now: the file gets its last chunks and its End chunk. */
  stop(): Promise<void>;
}

/**
 * Records `frames$` to a replay file at `path` (created or replaced), writing each chunk as it
 * fills, so memory stays bounded however long the match. Node only (from `game-network/node`).
 *
 * @example
 * ```ts
 * const rec = recordReplayFile(client.frames$, 'me.gnreplay', { tickRate: 60, inputSize: 2, maxPlayers: 8, startTick: client.startTick, players: client.initialPlayers });
 * await rec.closed; // after the client closes
 * ```
 *
 * @param frames$ The frames to record (the file is finished when it completes).
 * @param path The file to write.
 * @param options As {@link recordReplay}.
 * @returns The recording: its path, a promise of its end, and `stop()`.
 */
export function recordReplayFile(
  frames$: Observable<ConfirmedFrame>,
  path: string,
  options: RecordReplayOptions,
): ReplayFileRecording {
  const operator = recordReplay(options);
  const stop$ = new Subject<void>();
  const file = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('close', () => resolve());
  });
  closed.catch(() => undefined); // a caller may not wait for it
  frames$.pipe(takeUntil(stop$), operator).subscribe({
    next: (bytes) => void file.write(bytes),
    error: (err: unknown) => file.destroy(err instanceof Error ? err : new Error(String(err))),
    complete: () => file.end(),
  });
  return {
    path,
    closed,
    stop: () => {
      stop$.next();
      stop$.complete();
      return closed;
    },
  };
}
