// What a Match is configured with, and the warnings it gives.
import type { SchedulerLike } from 'rxjs';
import type { SubstituteInput } from '../types.js';
import type { LockstepWarningCode } from './AssemblerOptions.js';

/** Options of a {@link Match}. */
export interface MatchOptions {
  /** Slots are `0 .. maxPlayers - 1`; every frame's `inputs` has this length. */
  readonly maxPlayers: number;
  /** Every input has this many bytes (others are refused with a warning). */
  readonly inputSize: number;
  /**
   * Inputs and joins for ticks `>= head + maxTicksAhead` are refused (see
   * {@link Match.inputLimit}). Default `128`.
   */
  readonly maxTicksAhead?: number;
  /**
   * How long the next frame may wait for missing inputs once someone has sent one, before
   * the players still missing are dropped (reason `'timeout'`). `Infinity` disables it.
   * Default `2000`.
   */
  readonly disconnectTimeoutMs?: number;
  /** Where the timeout runs. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** The approximate memory, in bytes, of the frames the {@link Match.log} keeps. Default `64 MiB`. */
  readonly frameLogBytes?: number;
  /**
   * A seat held ({@link Match.hold}) this long without {@link Match.ready} is released (a
   * `ready-timeout` event). `Infinity` disables it. Default `60000`.
   */
  readonly readyTimeoutMs?: number;
  /**
   * How long a player who is away ({@link Match.away}) keeps its slot, its input substituted,
   * before it leaves with reason `'timeout'`. 0: a player who stalls the others leaves at once
   * (as before away existed). Default `15000`.
   */
  readonly reconnectGraceMs?: number;
  /** What an away player's input is: `'repeat'` its last one, `'empty'` zero bytes. Default `'repeat'`. */
  readonly substituteInput?: SubstituteInput;
  /**
   * A frame waits at most this long after its first input for the others: then the inputs
   * still missing are substituted (`substituteInput`) for that tick and marked in its
   * `substituted`. A player substituted so for `disconnectTimeoutMs` is away. `Infinity`: off
   * (frames are exactly the inputs sent). Default `Infinity`.
   */
  readonly lateInputMs?: number;
}

/** Something the match refused or could not trust, and why. */
export interface MatchWarning {
  /** An assembler refusal, or `checksum`: a checksum report that cannot be compared. */
  readonly code: LockstepWarningCode | 'checksum';
  /** The player concerned. */
  readonly playerId: number;
  /** The tick concerned, when there is one. */
  readonly tick?: number;
  /** The warning in words, for a log. */
  readonly message: string;
}
