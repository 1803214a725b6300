// The replay file format: record and read, play back; the isomorphic part (no Node built-in).
export { recordReplay } from './recordReplay.js';
export type { RecordReplayOptions } from './recordReplay.js';
export { ReplayWriter } from './ReplayWriter.js';
export type { ReplayWriterOptions } from './ReplayWriter.js';
export { readReplay } from './readReplay.js';
export type { Replay, ReplayFile } from './readReplay.js';
export { playback, seekPoint } from './playback.js';
export type { PlaybackOptions } from './playback.js';
export { ReplayError, ReplayErrorCode } from './ReplayError.js';
export { REPLAY_FORMAT_VERSION, REPLAY_MAGIC, ReplayLimits } from './format.js';
export type { ReplayHeader, ReplayReport, ReplayRecord, ChecksumEvent } from './types.js';
