/**
 * The public data types shared by the server, the client and the operators.
 */

/** A player in a match: its slot (0 .. maxPlayers-1) and its username. */
export interface PlayerInfo {
  /** The player's slot, 0 .. maxPlayers-1. */
  readonly playerId: number;
  /** The name the player joined with. */
  readonly username: string;
}

/** Why a player left the match. */
export const LeaveReason = {
  /** The player closed its connection or said goodbye. */
  Left: 'left',
  /** The player sent nothing the game needed within `disconnectTimeoutMs`. */
  Timeout: 'timeout',
  /** The server kicked the player (`server.kick`). */
  Kicked: 'kicked',
  /** The player's connection failed or it sent data that could not be trusted. */
  Error: 'error',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** Every leave reason, in wire order (the index is what goes on the wire). */
export const LEAVE_REASONS: readonly LeaveReason[] = ['left', 'timeout', 'kicked', 'error'];

/** A player leaving the match, with the reason. */
export interface PlayerLeft extends PlayerInfo {
  /** Why the player left. */
  readonly reason: LeaveReason;
}

/**
 * One tick of the game, complete: every active player's input for that tick.
 *
 * `inputs` is indexed by player slot (`playerId`); an empty slot is `null`.
 * A player named in `joined` has its input in this frame; a player named in `left`
 * is not part of this frame any more.
 */
export interface ConfirmedFrame {
  /** The tick this frame is for. */
  readonly tick: number;
  /**
   * Each slot's input for this tick, by `playerId`; `null` for an empty slot. The inputs of a
   * frame decoded from the network are views into shared 8 KiB blocks (as Node's pooled
   * `Buffer`s are): read an input through the view, and copy it (`input.slice()`) before
   * handing its `.buffer` to anything that takes the whole of it, such as a worker transfer.
   */
  readonly inputs: ReadonlyArray<Uint8Array | null>;
  /** The players who joined at this tick (absent when none did). */
  readonly joined?: PlayerInfo[];
  /** The players who left at this tick (absent when none did). */
  readonly left?: PlayerLeft[];
  /**
   * The slots whose input in this frame was not sent by their player but put in by the
   * server (the player is away: see `substituteInput`), sorted; present only when not empty.
   * Every client sees the same substitution for the same tick.
   */
  readonly substituted?: number[];
}

/**
 * A confirmed frame, with `joined`, `left` and `substituted` only when they are not empty
 * (so that two frames with the same content are equal whoever built them).
 */
export function confirmedFrame(
  tick: number,
  inputs: ReadonlyArray<Uint8Array | null>,
  joined?: PlayerInfo[],
  left?: PlayerLeft[],
  substituted?: number[],
): ConfirmedFrame {
  const frame: {
    tick: number;
    inputs: ReadonlyArray<Uint8Array | null>;
    joined?: PlayerInfo[];
    left?: PlayerLeft[];
    substituted?: number[];
  } = { tick, inputs };
  if (joined !== undefined && joined.length > 0) frame.joined = joined;
  if (left !== undefined && left.length > 0) frame.left = left;
  if (substituted !== undefined && substituted.length > 0) frame.substituted = substituted;
  return frame;
}

/**
 * What the server puts in for the input of a player who is away: `repeat`, its last input
 * (a held button stays held); `empty`, all zero bytes.
 */
export const SubstituteInput = {
  /** The player's last input (a held button stays held). */
  Repeat: 'repeat',
  /** All zero bytes. */
  Empty: 'empty',
} as const;
export type SubstituteInput = (typeof SubstituteInput)[keyof typeof SubstituteInput];

/** A chat message: the sender's username and the text. */
export interface ChatMessage {
  /** The sender's username. */
  readonly from: string;
  /** What they wrote. */
  readonly text: string;
}

/** A join or leave, as seen in the frame stream (`players$`). */
export type PlayerEvent =
  | {
      /** A player joined. */
      readonly type: 'join';
      /** The tick of the frame that has them join. */
      readonly tick: number;
      /** Who joined. */
      readonly player: PlayerInfo;
    }
  | {
      /** A player left. */
      readonly type: 'leave';
      /** The tick of the frame that has them leave. */
      readonly tick: number;
      /** Who left. */
      readonly player: PlayerInfo;
      /** Why they left. */
      readonly reason: LeaveReason;
    };
