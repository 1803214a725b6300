// The recordReplay operator: confirmed frames (and reports) in, the replay file's bytes out, a chunk at a time.
import { Observable, type OperatorFunction } from 'rxjs';
import type { ConfirmedFrame } from '../types.js';
import { ReplayWriter, type ReplayWriterOptions } from './ReplayWriter.js';
import type { ReplayReport } from './types.js';

/** Options of {@link recordReplay}: the header's fields, and the reports to record. */
export interface RecordReplayOptions extends ReplayWriterOptions {
  /**
   * Checksums, desyncs and snapshots to record beside the frames (on a server, each player's
   * accepted checksum; on a client, its own). Subscribed with the frames, unsubscribed when
   * they end. Default: none.
   */
  readonly reports$?: Observable<ReplayReport>;
}

/**
 * Records a match: emits the bytes of a replay file of the frames, a piece at a time, as its
 * chunks fill; the concatenation of every piece is the whole file.
 *
 * <span class="informal">A sink over any `frames$`, the server's or a client's. It holds at
 * most one chunk of frames (`chunkFrames`, default 1024) and 1024 checksums, so a long match
 * streams to a file or socket in bounded memory. The last pieces (the frames held and the End
 * chunk) come when `frames$` completes.</span>
 *
 * ```
 * frames:  -a-b-c-d-|
 * (chunkFrames: 2, reports$: none)
 * result:  -h-f---f-(fe|)       h = preamble + header, f = a Frames chunk, e = End chunk
 * ```
 *
 * @example
 * ```ts
 * const file = fs.createWriteStream('match.gnreplay');
 * server.frames$
 *   .pipe(recordReplay({ tickRate: 60, inputSize: 2, maxPlayers: 8 }))
 *   .subscribe({ next: (bytes) => file.write(bytes), complete: () => file.end() });
 * ```
 *
 * @param options The header's fields (`tickRate`, `inputSize`, `maxPlayers`, optional
 * `players`, `metadata`, `startTick`), `chunkFrames`, and `reports$`.
 * @returns An operator from frames to the file's bytes. It errors with a RangeError for frames
 * that are not consecutive or do not fit the header.
 * @throws {RangeError} At once, for options out of range.
 */
export function recordReplay(
  options: RecordReplayOptions,
): OperatorFunction<ConfirmedFrame, Uint8Array> {
  // Checks the options now; each subscription has its own writer.
  new ReplayWriter(options);
  return (frames$) =>
    new Observable<Uint8Array>((subscriber) => {
      const writer = new ReplayWriter(options);
      const emit = (pieces: Uint8Array[]): void => {
        for (const piece of pieces) subscriber.next(piece);
      };
      const guarded = (f: () => Uint8Array[]): void => {
        let pieces: Uint8Array[];
        try {
          pieces = f();
        } catch (err) {
          subscriber.error(err);
          return;
        }
        emit(pieces);
      };
      const reports = options.reports$?.subscribe({
        next: (report) => guarded(() => writer.report(report)),
        error: (err: unknown) => subscriber.error(err),
      });
      const frames = frames$.subscribe({
        next: (frame) => guarded(() => writer.frame(frame)),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          reports?.unsubscribe();
          guarded(() => writer.end());
          subscriber.complete();
        },
      });
      return () => {
        frames.unsubscribe();
        reports?.unsubscribe();
      };
    });
}
