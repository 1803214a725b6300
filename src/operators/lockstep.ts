// The lockstep() operator: a stream of joins, leaves and inputs in, confirmed frames out.
import { Observable, type OperatorFunction } from 'rxjs';
import { Assembler } from '../match/Assembler.js';
import { checkLockstepOptions, type LockstepOptions } from '../match/AssemblerOptions.js';
import type { ConfirmedFrame, LeaveReason } from '../types.js';
import { subscribeLinked } from './subscribeLinked.js';

export { LockstepWarningCode } from '../match/AssemblerOptions.js';
export type { LockstepOptions, LockstepWarning } from '../match/AssemblerOptions.js';

/** What the lockstep assembler is fed: inputs, joins and leaves, from every peer. */
export type LockstepEvent =
  /** Player `playerId`'s input for `tick`. Duplicates are normal and ignored. */
  | {
      /** An input. */
      type: 'input';
      /** Whose input it is. */
      playerId: number;
      /** The tick it is for. */
      tick: number;
      /** The input's bytes. */
      input: Uint8Array;
    }
  /** Player `playerId` (`username`) takes part in the frames from `tick` on. */
  | {
      /** A join. */
      type: 'join';
      /** The slot the player takes. */
      playerId: number;
      /** The player's username. */
      username: string;
      /** The first frame the player is in. */
      tick: number;
    }
  /** Player `playerId` leaves at the next tick to confirm. */
  | {
      /** A leave. */
      type: 'leave';
      /** Who leaves. */
      playerId: number;
      /** Why. */
      reason: LeaveReason;
    };

/**
 * Assembles the inputs, joins and leaves of every player into confirmed frames: one per
 * tick, in tick order, each emitted once, when every active player's input for it is in.
 *
 * <span class="informal">The heart of deterministic lockstep: whatever order and however
 * often the network delivers inputs, every tick comes out once, complete, and membership
 * changes come out as part of the frames, so every client applies them at the same tick.
 * A player that stalls the others for `disconnectTimeoutMs` is dropped.</span>
 *
 * ```
 * events:  -J-K-b-a-c-d-e-L-|
 *          lockstep({ maxPlayers: 2 })
 * result:  -------0-----1-2-|
 *
 * J, K: players 0 and 1 join at tick 0    a, c: player 0's inputs for ticks 0 and 1
 * L: player 0 leaves                      b, e, d: player 1's inputs for ticks 0, 1 and 2
 *
 * 0 = { tick: 0, inputs: [a, b], joined: [player 0, player 1] }
 * 1 = { tick: 1, inputs: [c, e] }
 * 2 = { tick: 2, inputs: [null, d], left: [{ ...player 0, reason: 'left' }] }
 * ```
 *
 * "Head" is the next tick to confirm (from `startTick`). `frame.inputs[slot]` is that
 * player's input, `null` for a slot with no active player; `joined` and `left` are present
 * only when not empty, each sorted by `playerId`. A player named in both (it joined and
 * left at the same tick) has a `null` input: apply `joined` before `left`.
 *
 * Events:
 * - `join` at `tick`: the player is part of the frames from `tick` on, and frame `tick` names
 *   it in `joined`. Refused with a warning when `tick < head` (`late-join`), when
 *   `tick >= head + maxTicksAhead` (`too-far-ahead`), when `playerId` is not an integer in
 *   [0, maxPlayers) (`bad-slot`), when the slot is held by an active or pending player, or
 *   was left at tick `head` and `tick === head` (`slot-taken`: one slot never names two
 *   players in one frame), or when `tick` is not a safe integer (`bad-tick`).
 * - `leave`: takes effect at the head tick: the player's buffered inputs are dropped, it is
 *   not in frame `head`, and frame `head` names it in `left` (with the reason). A leave of a
 *   player whose join tick is still ahead just cancels the join: no frame mentions it. A
 *   leave of a player not in a slot is refused (`unknown-player`).
 * - `input` for `tick`: buffered until its frame is confirmed. A tick below head is ignored
 *   silently (duplicates are normal). Refused with a warning when `tick >= head +
 *   maxTicksAhead` (`too-far-ahead`), when the player is not active at `tick`
 *   (`unknown-player`: not in a slot, or `tick` before its join tick), when its length is not
 *   `inputSize` (`bad-input-size`), when it differs from an input already held for the same
 *   player and tick (`conflicting-input`: the first is kept; an equal one is ignored), or
 *   when `tick` is not a safe integer (`bad-tick`). Inputs are kept and emitted **by
 *   reference**, not copied: do not reuse or modify a buffer after passing it in.
 *
 * A frame is complete when every active player's input is in. A frame with no active
 * player is complete (all `null`) only if someone is pending (a join at a later tick) or
 * it names a leave; with nobody in the match at all, the head waits, emitting nothing,
 * until a join.
 *
 * Timeout: while the head frame is incomplete and at least one input is buffered (someone
 * is waiting), a timer of `disconnectTimeoutMs` runs on `scheduler`, started when that first
 * becomes true for the head tick. When it fires, every active player still missing its
 * input for the head tick leaves with reason `'timeout'` and the frame is emitted; the next
 * head is then treated the same way. The timer is cancelled when the head advances, or when
 * nobody is waiting any more. If nobody has sent anything, nobody is stalled, and nobody is
 * dropped.
 *
 * Completion passes through (incomplete frames are discarded); an error passes through
 * after the timer and buffers are dropped.
 *
 * @example
 * ```ts
 * const frames$ = events$.pipe(
 *   lockstep({ maxPlayers: 8, inputSize: 2, onWarning: (w) => events.warn(w) }),
 *   share(),
 * );
 * frames$.subscribe((frame) => broadcast(encodeFrame(frame)));
 * ```
 *
 * @param options `maxPlayers`; `inputSize` (default any), `startTick` (default `0`),
 * `maxTicksAhead` (default `128`), `disconnectTimeoutMs` (default `2000`), `scheduler`
 * (default `asyncScheduler`) and `onWarning` (default none).
 * @returns A function that returns an Observable of confirmed frames: consecutive ticks from
 * `startTick`, each once, in order.
 * @throws {RangeError} At call time, if `maxPlayers` or `maxTicksAhead` is not a positive
 * integer, `inputSize` not a non-negative integer, `startTick` not a safe integer, or
 * `disconnectTimeoutMs` negative or NaN.
 */
export function lockstep(
  options: LockstepOptions,
): OperatorFunction<LockstepEvent, ConfirmedFrame> {
  checkLockstepOptions(options);
  const settings = { ...options }; // later changes to the caller's object do not leak in

  return (source) =>
    new Observable<ConfirmedFrame>((subscriber) => {
      // One assembler per subscription: all state is its own.
      const assembler = new Assembler({
        ...settings,
        onFrame: (frame) => subscriber.next(frame),
      });

      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (event) => {
          try {
            switch (event.type) {
              case 'input':
                assembler.input(event.playerId, event.tick, event.input);
                break;
              case 'join':
                assembler.join(event.playerId, event.username, event.tick);
                break;
              case 'leave':
                assembler.leave(event.playerId, event.reason);
                break;
            }
          } catch (err) {
            assembler.dispose();
            subscriber.error(err);
          }
        },
        error: (err) => {
          assembler.dispose();
          subscriber.error(err);
        },
        complete: () => {
          assembler.dispose();
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        assembler.dispose();
      };
    });
}
