// The assembler's refusals: each refused join, leave or input as the warning that says why.
import { LockstepWarningCode, type LockstepWarning } from './AssemblerOptions.js';

/** What is refused: a join (`at tick`) or an input (`for tick`). */
type Refused = 'join' | 'input';

/** The refused event, in words: `join of player 3 at tick 12`. */
const what = (kind: Refused, playerId: number, tick: number): string =>
  kind === 'join'
    ? `join of player ${playerId} at tick ${tick}`
    : `input of player ${playerId} for tick ${tick}`;

/**
 * Turns the assembler's refusals into warnings for `onWarning` (none without it). Its
 * messages are built only when an event is refused, never on the way of one taken.
 */
export class AssemblerRefusals {
  /** @param onWarning Where the warnings go. */
  constructor(private readonly onWarning: ((warning: LockstepWarning) => void) | undefined) {}

  /** A join to a slot outside `0 .. maxPlayers - 1`. */
  badSlot(playerId: number, tick: number, maxPlayers: number): void {
    this.warn(
      LockstepWarningCode.BadSlot,
      playerId,
      tick,
      `join to slot ${playerId}, outside 0..${maxPlayers - 1}`,
    );
  }

  /** A join or input whose tick is not a safe integer. */
  badTick(kind: Refused, playerId: number, tick: number): void {
    this.warn(
      LockstepWarningCode.BadTick,
      playerId,
      tick,
      `${what(kind, playerId, tick)}, not a safe integer`,
    );
  }

  /** A join at a tick already confirmed (`head` is the next). */
  lateJoin(playerId: number, tick: number, head: number): void {
    this.warn(
      LockstepWarningCode.LateJoin,
      playerId,
      tick,
      `join of player ${playerId} at tick ${tick}, already confirmed (next tick ${head})`,
    );
  }

  /** A join or input `maxTicksAhead` or more ticks after the head. */
  tooFarAhead(kind: Refused, playerId: number, tick: number, head: number, ahead: number): void {
    this.warn(
      LockstepWarningCode.TooFarAhead,
      playerId,
      tick,
      `${what(kind, playerId, tick)}, ${ahead} or more ticks after ${head}`,
    );
  }

  /** A join to a slot someone holds or left at the head. */
  slotTaken(playerId: number, tick: number): void {
    this.warn(
      LockstepWarningCode.SlotTaken,
      playerId,
      tick,
      `join of player ${playerId} at tick ${tick}: the slot is taken`,
    );
  }

  /** A leave of a player in no slot. */
  unknownLeave(playerId: number): void {
    this.warn(
      LockstepWarningCode.UnknownPlayer,
      playerId,
      undefined,
      `leave of player ${playerId}, not in the match`,
    );
  }

  /** An input from a player not in the match at its tick. */
  unknownInput(playerId: number, tick: number): void {
    this.warn(
      LockstepWarningCode.UnknownPlayer,
      playerId,
      tick,
      `input of player ${playerId} for tick ${tick}, not in the match at that tick`,
    );
  }

  /** An input of `length` bytes, not `inputSize`. */
  badInputSize(playerId: number, tick: number, length: number, inputSize: number): void {
    this.warn(
      LockstepWarningCode.BadInputSize,
      playerId,
      tick,
      `input of player ${playerId} for tick ${tick} has ${length} bytes, not ${inputSize}`,
    );
  }

  /** A second, different input for the same tick (the first is kept). */
  conflictingInput(playerId: number, tick: number): void {
    this.warn(
      LockstepWarningCode.ConflictingInput,
      playerId,
      tick,
      `input of player ${playerId} for tick ${tick} differs from the one already received`,
    );
  }

  private warn(
    code: LockstepWarningCode,
    playerId: number,
    tick: number | undefined,
    message: string,
  ): void {
    const { onWarning } = this;
    if (onWarning === undefined) return;
    onWarning(
      tick === undefined
        ? { code, playerId, message: `lockstep: ${message}` }
        : { code, playerId, tick, message: `lockstep: ${message}` },
    );
  }
}
