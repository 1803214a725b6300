// The replay decoder as a state machine: checked chunks in, in the order the format allows; the header, frames and reports out.
import { Roster } from '../match/Roster.js';
import { ByteReader } from './bytes.js';
import type { RawChunk } from './chunks.js';
import { ChunkKind, FIRST_OPTIONAL_KIND } from './format.js';
import { decodeFramesChunk } from './framesChunk.js';
import { decodeHeader } from './headerChunk.js';
import { decodeChecksums, decodeDesync, decodeSnapshot } from './reportChunks.js';
import { ReplayError } from './ReplayError.js';
import type { ReplayHeader, ReplayRecord } from './types.js';

const DecoderState = { Header: 'header', Body: 'body', Ended: 'ended' } as const;
type DecoderState = (typeof DecoderState)[keyof typeof DecoderState];

/**
 * Reads the chunks of one replay file in order and checks that they make a replay: the Header
 * first, Frames chunks of consecutive ticks from the start tick, reports anywhere after the
 * Header, the End chunk last with the right frame count. Leaves get their names from a
 * {@link Roster} started from the header's players. Throws ReplayError; after that, do not use it.
 */
export class ReplayDecoder {
  private state: DecoderState = DecoderState.Header;
  private head: ReplayHeader | undefined;
  private roster = new Roster();
  private nextTick = 0;
  private count = 0;

  /** The header, once the first chunk is read. */
  get header(): ReplayHeader | undefined {
    return this.head;
  }

  /** True once the End chunk is read. */
  get ended(): boolean {
    return this.state === DecoderState.Ended;
  }

  /** Frames read so far. */
  get frameCount(): number {
    return this.count;
  }

  /** The records of one chunk (none for the Header, End and skipped chunks). */
  chunk(c: RawChunk): ReplayRecord[] {
    const r = new ByteReader(c.payload, c.payloadOffset);
    if (this.state === DecoderState.Ended)
      throw new ReplayError('bad-chunk', 'bytes after the End chunk', c.offset);
    if (this.state === DecoderState.Header) {
      if (c.kind !== ChunkKind.Header)
        throw new ReplayError('bad-chunk', `first chunk is kind ${c.kind}, not Header`, c.offset);
      const header = decodeHeader(r);
      this.head = header;
      this.roster = new Roster(header.players);
      this.nextTick = header.startTick;
      this.state = DecoderState.Body;
      return [];
    }
    const header = this.head;
    if (header === undefined) throw new ReplayError('bad-chunk', 'no Header chunk', c.offset);
    switch (c.kind) {
      case ChunkKind.Header:
        throw new ReplayError('bad-chunk', 'a second Header chunk', c.offset);
      case ChunkKind.Frames: {
        if (
          r.remaining >= 4 &&
          new ByteReader(c.payload, c.payloadOffset).u32('firstTick') !== this.nextTick
        )
          throw new ReplayError(
            'bad-chunk',
            `Frames chunk does not start at tick ${this.nextTick}`,
            c.payloadOffset,
          );
        const frames = decodeFramesChunk(r, header);
        this.nextTick += frames.length;
        this.count += frames.length;
        return frames.map((f) => ({ type: 'frame', frame: this.roster.apply(f) }));
      }
      case ChunkKind.Checksums:
        return decodeChecksums(r, header.maxPlayers);
      case ChunkKind.Desync: {
        const event = decodeDesync(r, header.maxPlayers);
        r.expectEnd('the Desync chunk');
        return [event];
      }
      case ChunkKind.Snapshot:
        return [decodeSnapshot(r, header.maxPlayers)];
      case ChunkKind.End: {
        const frames = r.u32('frame count');
        r.expectEnd('the End chunk');
        if (frames !== this.count)
          throw new ReplayError(
            'bad-field',
            `End chunk counts ${frames} frames, the file has ${this.count}`,
            c.payloadOffset,
          );
        this.state = DecoderState.Ended;
        return [];
      }
      default:
        if (c.kind >= FIRST_OPTIONAL_KIND) return []; // optional: a later version's, skipped
        throw new ReplayError('bad-chunk', `unknown chunk kind ${c.kind}`, c.offset);
    }
  }

  /** Checks that the file ended where it should: after the End chunk. */
  finish(offset: number): void {
    if (this.state !== DecoderState.Ended)
      throw new ReplayError('truncated', 'the file ends before its End chunk', offset);
  }
}
