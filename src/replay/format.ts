// The replay file format's constants: magic, version, chunk kinds and bounds (docs/replay.md).

/** The first 8 bytes of every replay file: ASCII `GNREPLAY`. */
export const REPLAY_MAGIC: Uint8Array = Uint8Array.of(
  0x47,
  0x4e,
  0x52,
  0x45,
  0x50,
  0x4c,
  0x41,
  0x59,
);

/** The replay format version this library writes and reads (bytes 8-9, little-endian). */
export const REPLAY_FORMAT_VERSION = 1;

/** Bytes before the first chunk: magic and version. */
export const PREAMBLE_BYTES = REPLAY_MAGIC.length + 2;

/** A chunk's kind byte and payload length before the payload, its CRC-32 after. */
export const CHUNK_HEAD_BYTES = 5;
export const CHUNK_TAIL_BYTES = 4;

/** The kinds of chunk. Kinds 0x80..0xFE are optional: a reader skips those it does not know. */
export const ChunkKind = {
  Header: 0x01,
  Frames: 0x02,
  Checksums: 0x03,
  Desync: 0x04,
  Snapshot: 0x05,
  End: 0xff,
} as const;
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];

/** The first optional (skippable) chunk kind. */
export const FIRST_OPTIONAL_KIND = 0x80;

/** Bounds a reader checks, so a corrupted length never makes it allocate much. */
export const ReplayLimits = {
  /** The largest chunk payload: 16 MiB. */
  maxChunkBytes: 16 * 1024 * 1024,
  /** The most frames in one Frames chunk. */
  maxChunkFrames: 4096,
  /** The default frames per Frames chunk (17 s at 60 Hz). */
  defaultChunkFrames: 1024,
  /** The most checksum entries in one Checksums chunk before it is flushed. */
  checksumsPerChunk: 1024,
  /** The largest metadata the header holds: 64 KiB. */
  maxMetadataBytes: 64 * 1024,
  /** The longest player name, in UTF-8 bytes (the protocol's 32 characters, 4 bytes each at most). */
  maxNameBytes: 128,
} as const;
