// The replay encoder as a state machine: frames and reports in, the file's chunks out as they fill.
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { ConfirmedFrame, PlayerInfo } from '../types.js';
import { ByteWriter } from './bytes.js';
import { encodeChunk, encodePreamble } from './chunks.js';
import { ChunkKind, ReplayLimits } from './format.js';
import { encodeFramesChunk } from './framesChunk.js';
import { encodeHeader } from './headerChunk.js';
import { encodeChecksums, encodeDesync, encodeSnapshot } from './reportChunks.js';
import type { ChecksumEvent, ReplayReport } from './types.js';

/** What a replay's header says, given by the recorder. */
export interface ReplayWriterOptions {
  /** Ticks per second of the match. */
  readonly tickRate: number;
  /** Bytes in one player's input. */
  readonly inputSize: number;
  /** Player slots. */
  readonly maxPlayers: number;
  /** The players in the match before the first frame (a client's `initialPlayers`). Default `[]`. */
  readonly players?: readonly PlayerInfo[];
  /** Application bytes stored in the header, at most 64 KiB. Default: none. */
  readonly metadata?: Uint8Array;
  /**
   * The tick of the first frame. Default: the first frame's tick (0 if the header must be
   * written before any frame).
   */
  readonly startTick?: number;
  /**
   * Frames per Frames chunk, 1..4096. Chunk k holds ticks `startTick + k * chunkFrames` on, so
   * two recordings of the same match have the same Frames chunks. Default `1024`.
   */
  readonly chunkFrames?: number;
}

const WriterState = { Waiting: 'waiting', Open: 'open', Ended: 'ended' } as const;
type WriterState = (typeof WriterState)[keyof typeof WriterState];

/**
 * Turns frames and reports into the chunks of a replay file, a chunk at a time: holds at most
 * `chunkFrames` frames and 1024 checksums, so memory is bounded however long the match.
 *
 * Every method returns the bytes to append to the file now (often none). The first bytes (the
 * preamble and the Header chunk) come with the first frame, report flush or `end()`.
 *
 * @example
 * ```ts
 * const writer = new ReplayWriter({ tickRate: 60, inputSize: 2, maxPlayers: 8 });
 * frames$.subscribe({ next: (f) => writer.frame(f).forEach(write), complete: () => writer.end().forEach(write) });
 * ```
 */
export class ReplayWriter {
  private state: WriterState = WriterState.Waiting;
  private readonly chunkFrames: number;
  private frames: ConfirmedFrame[] = [];
  private checksums: ChecksumEvent[] = [];
  private nextTick = 0;
  private frameCount = 0;

  /** @throws {RangeError} If an option is out of range (checked again when the header is written). */
  constructor(private readonly options: ReplayWriterOptions) {
    const n = options.chunkFrames ?? ReplayLimits.defaultChunkFrames;
    if (!Number.isInteger(n) || n < 1 || n > ReplayLimits.maxChunkFrames)
      throw new RangeError(`chunkFrames must be an integer in 1..${ReplayLimits.maxChunkFrames}`);
    this.chunkFrames = n;
    // Fail now, not at the first frame, for a header the format cannot hold.
    encodeHeader(this.headerFields(options.startTick ?? 0));
  }

  /** Frames taken so far. */
  get framesWritten(): number {
    return this.frameCount;
  }

  /**
   * The next frame (consecutive ticks, from the start tick).
   * @throws {RangeError} For a frame out of order or that does not fit the header.
   */
  frame(frame: ConfirmedFrame): Uint8Array[] {
    const out = this.open(frame.tick);
    if (frame.tick !== this.nextTick)
      throw new RangeError(`replay: frame ${frame.tick} where ${this.nextTick} was due`);
    this.frames.push(frame);
    this.nextTick++;
    this.frameCount++;
    if (this.frames.length === this.chunkFrames) this.flushFrames(out);
    return out;
  }

  /** A checksum, desync or snapshot report (recorded in its own chunk). */
  report(report: ReplayReport): Uint8Array[] {
    if (this.state === WriterState.Ended) throw new RangeError('replay: report after end');
    const out: Uint8Array[] = [];
    if (report.type === 'checksum') {
      this.checksums.push(report);
      if (this.checksums.length >= ReplayLimits.checksumsPerChunk) {
        out.push(...this.open(undefined));
        this.flushChecksums(out);
      }
      return out;
    }
    out.push(...this.open(undefined));
    if (report.type === 'desync') out.push(encodeChunk(ChunkKind.Desync, encodeDesync(report)));
    else out.push(encodeChunk(ChunkKind.Snapshot, encodeSnapshot(report)));
    return out;
  }

  /** The last chunks: the frames and checksums held, then the End chunk. */
  end(): Uint8Array[] {
    if (this.state === WriterState.Ended) return [];
    const out = this.open(undefined);
    this.flushFrames(out);
    this.state = WriterState.Ended;
    const end = new ByteWriter(4);
    end.u32(this.frameCount);
    out.push(encodeChunk(ChunkKind.End, end.toBytes()));
    return out;
  }

  /** Writes the preamble and header if not yet, with `firstTick` as start tick if not given. */
  private open(firstTick: number | undefined): Uint8Array[] {
    if (this.state === WriterState.Ended) throw new RangeError('replay: frame after end');
    if (this.state === WriterState.Open) return [];
    const startTick = this.options.startTick ?? firstTick ?? 0;
    this.state = WriterState.Open;
    this.nextTick = startTick;
    return [
      encodePreamble(),
      encodeChunk(ChunkKind.Header, encodeHeader(this.headerFields(startTick))),
    ];
  }

  private headerFields(startTick: number): Parameters<typeof encodeHeader>[0] {
    const o = this.options;
    return {
      protocolVersion: PROTOCOL_VERSION,
      tickRate: o.tickRate,
      inputSize: o.inputSize,
      maxPlayers: o.maxPlayers,
      startTick,
      players: o.players ?? [],
      metadata: o.metadata ?? new Uint8Array(0),
    };
  }

  private flushFrames(out: Uint8Array[]): void {
    if (this.frames.length > 0) {
      const payload = encodeFramesChunk(this.frames, this.options);
      this.frames = [];
      out.push(encodeChunk(ChunkKind.Frames, payload));
    }
    this.flushChecksums(out);
  }

  private flushChecksums(out: Uint8Array[]): void {
    if (this.checksums.length === 0) return;
    const payload = encodeChecksums(this.checksums);
    this.checksums = [];
    out.push(encodeChunk(ChunkKind.Checksums, payload));
  }
}
