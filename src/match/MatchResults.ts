// What a Match answers and reports: joins and holds, seat events, snapshots and catch-up starts.
import type { PlayerInfo } from '../types.js';

/** The answer to {@link Match.hold}. */
export type HoldResult =
  | {
      /** The seat is held. */
      readonly ok: true;
      /** The slot held. */
      readonly playerId: number;
    }
  | {
      /** No seat is held. */
      readonly ok: false;
      /** No free slot (or the match is closed). */
      readonly reason: 'full';
    };

/** A change of a seat that is not in the frames (they carry joins, leaves and substitutions). */
export type MatchEvent =
  /** A held seat was released: its player was not ready within `readyTimeoutMs`. */
  | {
      /** A held seat was released: its player was not ready within `readyTimeoutMs`. */
      readonly type: 'ready-timeout';
      /** The seat released. */
      readonly playerId: number;
    }
  /** From `tick` on, the player's input is substituted until it is back, or its grace ends. */
  | {
      /** From `tick` on, the player's input is substituted until it is back, or its grace ends. */
      readonly type: 'away';
      /** The player away. */
      readonly playerId: number;
      /** The first tick its input is substituted for. */
      readonly tick: number;
    }
  /** The player's own inputs count again from `tick` on. */
  | {
      /** The player's own inputs count again from `tick` on. */
      readonly type: 'back';
      /** The player back. */
      readonly playerId: number;
      /** The first tick that waits for its own input again. */
      readonly tick: number;
    };

/** A state snapshot a player (or the server) gave: the world before frame `tick`. */
export interface MatchSnapshot {
  /** The frame the snapshot is the world before. */
  readonly tick: number;
  /** The snapshot, as the game encoded it. */
  readonly data: Uint8Array;
}

/** Where a newcomer's frames start: a snapshot (if any) and the frames from `tick` on. */
export interface CatchUpStart {
  /** The first frame it gets. */
  readonly tick: number;
  /** Everyone in the match just before `tick`, by `playerId`. */
  readonly players: readonly PlayerInfo[];
  /** The world before frame `tick`, when the frames before it are no longer kept. */
  readonly snapshot?: MatchSnapshot;
  /** False when frames before `tick` were dropped and no snapshot covers them. */
  readonly complete: boolean;
}

/** The answer to {@link Match.join}. */
export type JoinResult =
  | {
      readonly ok: true;
      /** The slot the player takes. */
      readonly playerId: number;
      /** The player's first frame: it is named in that frame's `joined`. */
      readonly tick: number;
      /** Everyone in the match just before `tick`, by `playerId`. */
      readonly players: readonly PlayerInfo[];
    }
  | {
      readonly ok: false;
      /** `full`: no free slot; `busy`: too many joins at once right now, try again soon. */
      readonly reason: 'full' | 'busy';
    };
