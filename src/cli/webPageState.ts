// What the web demo's page exposes on `window.gameNetwork`, for the browser tests to read.
import type { GameClient, NetworkStats } from '../index.js';

/** The page's state (see web/demoPage.ts). */
export interface PageState {
  client?: GameClient;
  /** Every frame as `frameText`, when the page was opened with `?capture=1`. */
  frames: string[];
  /** The last tick simulated, and the world's checksum then. */
  tick: number;
  checksum: number;
  /** The first tick this page simulated. */
  firstTick: number;
  stats?: NetworkStats;
  error?: string;
  /** Ticks at which players left, as seen here. */
  leaves: { tick: number; username: string }[];
  /** The bots' checksums as the chat gave them, and whether they equal this page's at that tick. */
  botSums: { name: string; tick: number; sum: string; same: boolean | undefined }[];
}
