// What the lockstep state machine is configured with, and the warnings it gives.
import type { SchedulerLike } from 'rxjs';
import type { ConfirmedFrame, SubstituteInput } from '../types.js';

/** Why the assembler refused an event. */
export const LockstepWarningCode = {
  /** An input or leave from a player that is not in the match (at that tick). */
  UnknownPlayer: 'unknown-player',
  /** An input or join at `maxTicksAhead` or more ticks after the next tick to confirm. */
  TooFarAhead: 'too-far-ahead',
  /** A join at a tick that is already confirmed. */
  LateJoin: 'late-join',
  /** A join to a slot another player holds (or left at the next tick to confirm). */
  SlotTaken: 'slot-taken',
  /** A join with a `playerId` that is not an integer in [0, maxPlayers). */
  BadSlot: 'bad-slot',
  /** An input whose length is not `inputSize`. */
  BadInputSize: 'bad-input-size',
  /** A second, different input from the same player for the same tick (the first is kept). */
  ConflictingInput: 'conflicting-input',
  /** An input or join whose tick is not a safe integer. */
  BadTick: 'bad-tick',
} as const;
export type LockstepWarningCode = (typeof LockstepWarningCode)[keyof typeof LockstepWarningCode];

/** An event the assembler refused, and why. */
export interface LockstepWarning {
  /** Why the event was refused. */
  readonly code: LockstepWarningCode;
  /** The player whose event it was. */
  readonly playerId: number;
  /** The event's tick, when it has one. */
  readonly tick?: number;
  /** The warning in words, for a log. */
  readonly message: string;
}

/** Options of {@link lockstep} (and of the lockstep state machine inside it). */
export interface LockstepOptions {
  /** Slots are `0 .. maxPlayers - 1`; every frame's `inputs` has this length. */
  maxPlayers: number;
  /** If set, an input of another length is refused (`bad-input-size`). Default: any length. */
  inputSize?: number;
  /** The first tick to confirm. Default `0`. */
  startTick?: number;
  /**
   * An input or join at tick `>= head + maxTicksAhead` (head: the next tick to confirm) is
   * refused with a `too-far-ahead` warning; this bounds every buffer. Default `128`.
   */
  maxTicksAhead?: number;
  /**
   * How long the next frame may wait for missing inputs once someone has sent an input,
   * before the players still missing are dropped with reason `'timeout'`. `Infinity`
   * disables the timeout. Default `2000`.
   */
  disconnectTimeoutMs?: number;
  /** Where the timeout runs. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Called with every refused event. Default: none (refusals are silent). */
  onWarning?: (warning: LockstepWarning) => void;
}

/** Options of the {@link Assembler}: those of {@link lockstep}, and where frames go. */
export interface AssemblerOptions extends LockstepOptions {
  /**
   * Called with every confirmed frame, in tick order, each once. It may call back into the
   * assembler (join, leave, input): the frames those complete come after it returns.
   */
  onFrame: (frame: ConfirmedFrame) => void;
  /**
   * Called, instead of dropping them, with the players still missing when the head frame has
   * waited `disconnectTimeoutMs` (sorted slots, and the head tick). It should `substitute` or
   * `leave` each: a player it does neither for is waited for again. Default: none (they leave
   * with reason `'timeout'`).
   */
  onTimeout?: (slots: number[], tick: number) => void;
  /**
   * What a substituted input is (see {@link Assembler.substitute}): `'repeat'` the player's
   * last input in a frame (zeros before its first), `'empty'` zero bytes. Default `'repeat'`.
   */
  substituteInput?: SubstituteInput;
  /**
   * Late inputs do not freeze the match: when the head frame has waited this long since the
   * first input for it came (and that one is still in), it is confirmed with the
   * input of each player still missing substituted (see `substituteInput`) and that slot
   * named in the frame's `substituted`, as for {@link Assembler.substitute}, for that tick
   * only; the input that comes later is ignored. A player whose input is substituted so for
   * `disconnectTimeoutMs` with no input of its own in a frame times out (see `onTimeout`).
   * `Infinity`: off, frames wait for every input. Default `Infinity`.
   */
  lateInputMs?: number;
}

/**
 * Checks the options of {@link lockstep} and {@link Assembler}.
 *
 * @throws {RangeError} If `maxPlayers` or `maxTicksAhead` is not a positive integer,
 * `inputSize` not a non-negative integer, `startTick` not a safe integer, or
 * `disconnectTimeoutMs` negative or NaN.
 */
export function checkLockstepOptions(options: LockstepOptions): void {
  const { maxPlayers, inputSize } = options;
  const startTick = options.startTick ?? 0;
  const maxTicksAhead = options.maxTicksAhead ?? 128;
  const timeoutMs = options.disconnectTimeoutMs ?? 2000;
  if (!Number.isSafeInteger(maxPlayers) || maxPlayers < 1) {
    throw new RangeError(`lockstep: maxPlayers must be a positive integer, got ${maxPlayers}`);
  }
  if (inputSize !== undefined && (!Number.isSafeInteger(inputSize) || inputSize < 0)) {
    throw new RangeError(`lockstep: inputSize must be an integer >= 0, got ${inputSize}`);
  }
  if (!Number.isSafeInteger(startTick)) {
    throw new RangeError(`lockstep: startTick must be a safe integer, got ${startTick}`);
  }
  if (!Number.isSafeInteger(maxTicksAhead) || maxTicksAhead < 1) {
    throw new RangeError(
      `lockstep: maxTicksAhead must be a positive integer, got ${maxTicksAhead}`,
    );
  }
  if (!(timeoutMs >= 0)) {
    throw new RangeError(`lockstep: disconnectTimeoutMs must be >= 0, got ${timeoutMs}`);
  }
}
