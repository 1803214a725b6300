// readReplay: a replay file's bytes, whole or streamed, checked and read back as its header, frames and reports.
import { Observable, filter, map, share } from 'rxjs';
import type { ConfirmedFrame } from '../types.js';
import { ChunkParser } from './chunks.js';
import { ReplayDecoder } from './ReplayDecoder.js';
import { ReplayError } from './ReplayError.js';
import type { ReplayHeader, ReplayRecord, ReplayReport } from './types.js';

/** A replay being read: its header, and its frames and reports as Observables. */
export interface Replay {
  /** What the replay says about its match. */
  readonly header: ReplayHeader;
  /** Every frame and report, in file order. */
  readonly records$: Observable<ReplayRecord>;
  /** The frames, consecutive from `header.startTick`, with the names of the players leaving. */
  readonly frames$: Observable<ConfirmedFrame>;
  /** The checksums, desyncs and snapshots, in file order. */
  readonly reports$: Observable<ReplayReport>;
}

/** A replay read from bytes held whole: checked through at once, then read as often as wanted. */
export interface ReplayFile extends Replay {
  /** How many frames it holds. */
  readonly frameCount: number;
  /** The tick of the last frame (`startTick - 1` if none). */
  readonly lastTick: number;
  /** Every report, in file order. */
  readonly reports: readonly ReplayReport[];
  /**
   * The frames from `fromTick` on (default: the first), decoded a chunk at a time as the
   * iteration goes (so the decoded match is never held whole).
   */
  frames(fromTick?: number): IterableIterator<ConfirmedFrame>;
}

/**
 * Reads a replay file: checks it through and gives its header, frames and reports.
 *
 * <span class="informal">Given the whole file as bytes, every chunk is checked at once (a
 * corrupted or truncated file throws here, and nothing later does) and the frames are decoded
 * again a chunk at a time when read, so the decoded match is never held whole. Given a stream
 * (a Node `fs.createReadStream`, a `fetch` body, any `AsyncIterable<Uint8Array>`), only the
 * header is read before the promise resolves; the rest is read, once, by the first
 * subscription to `records$`, `frames$` or `reports$` (subscribe to all you need at once), and
 * a fault in it is an error on those streams.</span>
 *
 * @example
 * ```ts
 * const replay = readReplay(new Uint8Array(fs.readFileSync('match.gnreplay')));
 * console.log(replay.header.tickRate, replay.frameCount);
 * replay.frames$.subscribe((frame) => simulation.step(frame));
 * ```
 *
 * @param source The whole file, or a stream of its bytes in pieces of any size.
 * @returns For bytes, the checked replay; for a stream, a promise of it once the header is read.
 * @throws {ReplayError} (or a rejected promise of one) naming what is wrong and its byte offset.
 */
export function readReplay(source: Uint8Array): ReplayFile;
export function readReplay(source: AsyncIterable<Uint8Array>): Promise<Replay>;
export function readReplay(
  source: Uint8Array | AsyncIterable<Uint8Array>,
): ReplayFile | Promise<Replay> {
  return source instanceof Uint8Array ? readBytes(source) : readStream(source);
}

/** Where each Frames chunk is, for reading the frames again. */
interface FramesChunkAt {
  readonly firstTick: number;
  readonly count: number;
}

function readBytes(bytes: Uint8Array): ReplayFile {
  const parser = new ChunkParser();
  const decoder = new ReplayDecoder();
  const chunks = parser.push(bytes);
  const reports: ReplayReport[] = [];
  const frameChunks: FramesChunkAt[] = [];
  for (const c of chunks) {
    const before = decoder.frameCount;
    for (const record of decoder.chunk(c)) if (record.type !== 'frame') reports.push(record);
    if (decoder.frameCount > before)
      frameChunks.push({
        firstTick: headerOf(decoder).startTick + before,
        count: decoder.frameCount - before,
      });
  }
  finish(parser, decoder);
  const header = headerOf(decoder);

  /** The frames from `fromTick` on, re-decoded chunk by chunk (the file was checked above). */
  function* frames(fromTick = header.startTick): IterableIterator<ConfirmedFrame> {
    const again = new ReplayDecoder();
    for (const c of new ChunkParser().push(bytes)) {
      // The chunks before fromTick's are decoded too: the names of leaves come from the roster.
      for (const record of again.chunk(c)) {
        if (record.type === 'frame' && record.frame.tick >= fromTick) yield record.frame;
      }
    }
  }
  const records$ = new Observable<ReplayRecord>((subscriber) => {
    const again = new ReplayDecoder();
    for (const c of new ChunkParser().push(bytes)) {
      for (const record of again.chunk(c)) {
        if (subscriber.closed) return;
        subscriber.next(record);
      }
    }
    subscriber.complete();
  });
  const lastFrames = frameChunks[frameChunks.length - 1];
  return {
    header,
    frameCount: decoder.frameCount,
    lastTick: lastFrames ? lastFrames.firstTick + lastFrames.count - 1 : header.startTick - 1,
    reports,
    frames,
    records$,
    frames$: new Observable<ConfirmedFrame>((subscriber) => {
      for (const frame of frames()) {
        if (subscriber.closed) return;
        subscriber.next(frame);
      }
      subscriber.complete();
    }),
    reports$: new Observable<ReplayReport>((subscriber) => {
      for (const report of reports) {
        if (subscriber.closed) return;
        subscriber.next(report);
      }
      subscriber.complete();
    }),
  };
}

async function readStream(stream: AsyncIterable<Uint8Array>): Promise<Replay> {
  const parser = new ChunkParser();
  const decoder = new ReplayDecoder();
  const iterator = stream[Symbol.asyncIterator]();
  /** Records of chunks read with the header, not yet handed out. */
  let early: ReplayRecord[] = [];
  while (decoder.header === undefined) {
    const next = await iterator.next();
    if (next.done === true)
      finish(parser, decoder); // throws: no header yet
    else for (const c of parser.push(next.value)) early = early.concat(decoder.chunk(c));
  }
  const header = headerOf(decoder);
  let started = false;
  const records$ = new Observable<ReplayRecord>((subscriber) => {
    if (started) {
      subscriber.error(new ReplayError('consumed', 'a replay stream is read once', parser.offset));
      return;
    }
    started = true;
    let stopped = false;
    const run = async (): Promise<void> => {
      for (const record of early) {
        if (stopped) return;
        subscriber.next(record);
      }
      early = [];
      while (!stopped) {
        const next = await iterator.next();
        if (next.done === true) break;
        for (const c of parser.push(next.value)) {
          for (const record of decoder.chunk(c)) {
            if (stopped) return;
            subscriber.next(record);
          }
        }
      }
      if (stopped) return;
      finish(parser, decoder);
      subscriber.complete();
    };
    run().catch((err: unknown) => subscriber.error(err));
    return () => {
      stopped = true;
      void iterator.return?.();
    };
  }).pipe(share());
  return {
    header,
    records$,
    frames$: records$.pipe(
      filter((r): r is Extract<ReplayRecord, { type: 'frame' }> => r.type === 'frame'),
      map((r) => r.frame),
    ),
    reports$: records$.pipe(filter((r): r is ReplayReport => r.type !== 'frame')),
  };
}

/** At the end of the bytes: the End chunk read, and nothing after it. */
function finish(parser: ChunkParser, decoder: ReplayDecoder): void {
  if (!parser.idle) {
    if (decoder.ended)
      throw new ReplayError('bad-chunk', 'bytes after the End chunk', parser.offset);
    throw new ReplayError('truncated', 'the file ends inside a chunk', parser.offset);
  }
  decoder.finish(parser.offset);
}

function headerOf(decoder: ReplayDecoder): ReplayHeader {
  const header = decoder.header;
  if (header === undefined) throw new ReplayError('truncated', 'no Header chunk', 0);
  return header;
}
