// Frames from the match's log over a reliable channel, paced by what the connection has queued: a late joiner's catch-up, a spectator's every frame.
import type { FrameLog } from '../match/FrameLog.js';
import { encodeCatchUp, type CodecContext } from '../protocol/index.js';
import type { PeerSession } from './PeerSession.js';

/** A catch-up message is sent while the connection has fewer bytes than this queued. */
export const CATCH_UP_BACKLOG_BYTES = 128 * 1024;
/** Catch-up messages encoded in one turn of the event loop at most (each up to 4096 frames). */
export const CATCH_UP_MESSAGES_PER_TURN = 2;
/** Frames in one CatchUp message at most. */
const FRAMES_PER_MESSAGE = 4096;

/** Where a reliable channel's frames go, as the catch-up needs it. */
export interface CatchUpSink {
  /** Bytes the connection has queued, not sent yet. */
  readonly bufferedBytes: number;
  /** Sends one encoded message. */
  readonly send: (bytes: Uint8Array) => void;
}

/** A session's reliable channel as a catch-up sink. */
export function sinkOf(session: PeerSession): CatchUpSink {
  const { messages } = session.peer;
  return {
    get bufferedBytes() {
      return messages.bufferedBytes;
    },
    send: (bytes) => session.sendBytes(bytes),
  };
}

/** Encoded CatchUp messages shared by every receiver sent the same frames in one round. */
export class CatchUpCache {
  private readonly byFirst = new Map<string, { bytes: Uint8Array; count: number }>();

  /** The message for the frames from `from` up to `to` (exclusive); encoded once per round. */
  get(
    log: FrameLog,
    from: number,
    to: number,
    ctx: CodecContext,
  ): { bytes: Uint8Array; count: number } | undefined {
    const key = `${from}:${to}`;
    const hit = this.byFirst.get(key);
    if (hit) return hit;
    const frames = log.range(from, to, FRAMES_PER_MESSAGE);
    if (frames === undefined) return undefined;
    if (frames.length === 0) return { bytes: new Uint8Array(0), count: 0 };
    const made = encodeCatchUp(frames, ctx);
    this.byFirst.set(key, made);
    return made;
  }

  /** A new round: what was encoded is forgotten. */
  clear(): void {
    this.byFirst.clear();
  }
}

/** What one call of {@link pumpFrames} did. */
export type PumpResult =
  /** Every frame before `to` is sent; `next` is `to`. */
  | { readonly state: 'done'; readonly next: number }
  /** More to send (the connection is full, or this call's share is sent); `next` is the first not sent. */
  | { readonly state: 'more'; readonly next: number }
  /** The frames from `next` are no longer in the log. */
  | { readonly state: 'lost'; readonly next: number };

/**
 * Sends the frames from `next` up to `to` (exclusive) in CatchUp messages while the
 * connection has room: at most a few per call, so one receiver never holds the event loop.
 * With a `cache`, receivers at the same place in the same round share one encoding.
 */
export function pumpFrames(
  sink: CatchUpSink,
  log: FrameLog,
  ctx: CodecContext,
  next: number,
  to: number,
  cache: CatchUpCache = new CatchUpCache(),
): PumpResult {
  for (let sent = 0; sent < CATCH_UP_MESSAGES_PER_TURN; sent++) {
    if (next >= to) return { state: 'done', next };
    if (sink.bufferedBytes >= CATCH_UP_BACKLOG_BYTES) return { state: 'more', next };
    const made = cache.get(log, next, to, ctx);
    if (made === undefined) return { state: 'lost', next };
    if (made.count === 0) return { state: 'done', next };
    sink.send(made.bytes);
    next += made.count;
  }
  return next >= to ? { state: 'done', next } : { state: 'more', next };
}
