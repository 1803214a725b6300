// The data a replay holds besides its frames: the header, and the reports (checksums, desyncs, snapshots).
import type { DesyncEvent, SnapshotEvent } from '../events.js';
import type { ConfirmedFrame, PlayerInfo } from '../types.js';

/** What a replay says about its match, before the first frame. */
export interface ReplayHeader {
  /** The replay format version of the file. */
  readonly formatVersion: number;
  /** The wire protocol version of the library that recorded it. */
  readonly protocolVersion: number;
  /** Ticks per second of the match. */
  readonly tickRate: number;
  /** Bytes in one player's input. */
  readonly inputSize: number;
  /** Player slots: every frame's `inputs` has this length. */
  readonly maxPlayers: number;
  /** The tick of the first frame. */
  readonly startTick: number;
  /** The players in the match just before `startTick` (later ones join in the frames). */
  readonly players: readonly PlayerInfo[];
  /** Bytes the application gave the recorder (its own format; empty if none). */
  readonly metadata: Uint8Array;
}

/** A player's state checksum after a tick, as the server took it (or a client sent it). */
export interface ChecksumEvent {
  /** What this report is. */
  readonly type: 'checksum';
  /** The reporting player. */
  readonly playerId: number;
  /** The tick whose state it is. */
  readonly tick: number;
  /** An unsigned 32-bit integer. */
  readonly checksum: number;
}

/** A report recorded beside the frames: a checksum, a desync, or a state snapshot. */
export type ReplayReport = ChecksumEvent | DesyncEvent | SnapshotEvent;

/** One thing read from a replay, in file order: a frame or a report. */
export type ReplayRecord =
  | {
      /** What this record is. */
      readonly type: 'frame';
      /** The frame, as the match confirmed it. */
      readonly frame: ConfirmedFrame;
    }
  | ReplayReport;
