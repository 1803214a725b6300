import {
  Observable,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import {
  confirmedFrame,
  type ConfirmedFrame,
  type LeaveReason,
  type PlayerInfo,
  type PlayerLeft,
} from '../types.js';
import { subscribeLinked } from './subscribeLinked.js';

/** What the lockstep assembler is fed: inputs, joins and leaves, from every peer. */
export type LockstepEvent =
  /** Player `playerId`'s input for `tick`. Duplicates are normal and ignored. */
  | { type: 'input'; playerId: number; tick: number; input: Uint8Array }
  /** Player `playerId` (`username`) takes part in the frames from `tick` on. */
  | { type: 'join'; playerId: number; username: string; tick: number }
  /** Player `playerId` leaves at the next tick to confirm. */
  | { type: 'leave'; playerId: number; reason: LeaveReason };

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
  readonly code: LockstepWarningCode;
  readonly playerId: number;
  readonly tick?: number;
  readonly message: string;
}

/** Options of {@link lockstep}. */
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

/** A player in a slot: active from `joinTick` on (pending before). */
interface Player {
  readonly info: PlayerInfo;
  readonly joinTick: number;
  /** Inputs by tick, for ticks in [max(head, joinTick), head + maxTicksAhead). */
  readonly inputs: InputRing;
}

/**
 * A player's buffered inputs: a ring of `capacity` places indexed by tick, for a window of
 * ticks no wider than `capacity` (the assembler's `maxTicksAhead`). Cheaper per input than
 * a Map, and bounded by construction.
 */
class InputRing {
  private readonly ticks: number[];
  private readonly values: (Uint8Array | undefined)[];
  size = 0;

  constructor(private readonly capacity: number) {
    // NaN marks a free place: it equals no tick (ticks may be negative).
    this.ticks = new Array<number>(capacity).fill(NaN);
    this.values = new Array<Uint8Array | undefined>(capacity).fill(undefined);
  }

  private index(tick: number): number {
    const i = tick % this.capacity;
    return i < 0 ? i + this.capacity : i;
  }

  get(tick: number): Uint8Array | undefined {
    const i = this.index(tick);
    return this.ticks[i] === tick ? this.values[i] : undefined;
  }

  has(tick: number): boolean {
    return this.ticks[this.index(tick)] === tick;
  }

  /**
   * Stores an input. Its place holds no other tick of the window (ticks less than
   * `capacity` apart never share one); anything still there is from before the window and
   * is replaced.
   */
  set(tick: number, input: Uint8Array): void {
    const i = this.index(tick);
    if (Number.isNaN(this.ticks[i])) this.size += 1;
    this.ticks[i] = tick;
    this.values[i] = input;
  }

  delete(tick: number): void {
    const i = this.index(tick);
    if (this.ticks[i] !== tick) return;
    this.ticks[i] = NaN;
    this.values[i] = undefined;
    this.size -= 1;
  }

  clear(): void {
    this.ticks.fill(NaN);
    this.values.fill(undefined);
    this.size = 0;
  }
}

/** A player that left at the head tick, named in that frame's `left`. */
interface Departure {
  readonly left: PlayerLeft;
  readonly info: PlayerInfo;
  readonly joinTick: number;
}

const byPlayerId = (a: PlayerInfo, b: PlayerInfo): number => a.playerId - b.playerId;

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
  const { maxPlayers, inputSize, onWarning } = options;
  const startTick = options.startTick ?? 0;
  const maxTicksAhead = options.maxTicksAhead ?? 128;
  const timeoutMs = options.disconnectTimeoutMs ?? 2000;
  const scheduler = options.scheduler ?? asyncScheduler;
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

  return (source) =>
    new Observable<ConfirmedFrame>((subscriber) => {
      /** The next tick to confirm. */
      let head = startTick;
      /** Active and pending players, by slot. */
      const slots: (Player | undefined)[] = new Array<Player | undefined>(maxPlayers).fill(
        undefined,
      );
      /** How many slots are held. */
      let playerCount = 0;
      /** Players that left at the head tick, for frame `head`'s `left`. */
      let departures: Departure[] = [];
      /** Inputs buffered over all players. */
      let buffered = 0;
      /** Players in the match at the head that have no input for it yet (`countMissing`). */
      let missing = 0;
      /**
       * The disconnect timer. It is not cancelled each time the head advances (that would
       * cost a timer per tick): `deadline` moves instead, and a timer that fires early
       * re-arms itself for what is left.
       */
      let timer: Subscription | undefined;
      /** When the head tick times out, or -1 while nobody is waiting. */
      let deadline = -1;
      /** True while emitting: re-entrant events update state, the running loop emits. */
      let draining = false;

      const warn = (
        code: LockstepWarningCode,
        playerId: number,
        tick: number | undefined,
        message: string,
      ): void => {
        if (onWarning === undefined) return;
        onWarning(
          tick === undefined
            ? { code, playerId, message: `lockstep: ${message}` }
            : { code, playerId, tick, message: `lockstep: ${message}` },
        );
      };

      /** Refuses (with a warning) a join or input whose tick is not a safe integer. */
      const badTick = (what: string, playerId: number, tick: number): boolean => {
        if (Number.isSafeInteger(tick)) return false;
        warn(LockstepWarningCode.BadTick, playerId, tick, `${what}, not a safe integer`);
        return true;
      };

      /** Refuses (with a warning) a join or input `maxTicksAhead` or more ticks after the head. */
      const tooFarAhead = (what: string, playerId: number, tick: number): boolean => {
        if (tick < head + maxTicksAhead) return false;
        warn(
          LockstepWarningCode.TooFarAhead,
          playerId,
          tick,
          `${what}, ${maxTicksAhead} or more ticks after ${head}`,
        );
        return true;
      };

      /** Frees a slot, dropping the player's buffered inputs. */
      const removePlayer = (slot: number, player: Player): void => {
        if (player.joinTick <= head && !player.inputs.has(head)) missing -= 1;
        buffered -= player.inputs.size;
        player.inputs.clear();
        slots[slot] = undefined;
        playerCount -= 1;
      };

      const depart = (slot: number, player: Player, reason: LeaveReason): void => {
        removePlayer(slot, player);
        departures.push({
          left: { playerId: player.info.playerId, username: player.info.username, reason },
          info: player.info,
          joinTick: player.joinTick,
        });
      };

      /** Players in the match at the head tick whose input for it has not come yet. */
      const countMissing = (): number => {
        let n = 0;
        for (let slot = 0; slot < maxPlayers; slot += 1) {
          const player = slots[slot];
          if (player !== undefined && player.joinTick <= head && !player.inputs.has(head)) n += 1;
        }
        return n;
      };

      /** Kept as inputs, joins and leaves come (not recounted per input). */
      const isHeadComplete = (): boolean =>
        (playerCount > 0 || departures.length > 0) && missing === 0;

      /** Takes the complete head frame out of the state and advances the head. */
      const takeHeadFrame = (): ConfirmedFrame => {
        const tick = head;
        const inputs = new Array<Uint8Array | null>(maxPlayers).fill(null);
        let joined: PlayerInfo[] | undefined;
        for (let slot = 0; slot < maxPlayers; slot += 1) {
          const player = slots[slot];
          if (player === undefined || player.joinTick > tick) continue;
          const input = player.inputs.get(tick);
          if (input !== undefined) {
            inputs[slot] = input;
            player.inputs.delete(tick);
            buffered -= 1;
          }
          if (player.joinTick === tick) (joined ??= []).push(player.info);
        }
        let left: PlayerLeft[] | undefined;
        if (departures.length > 0) {
          left = [];
          for (const departure of departures) {
            left.push(departure.left);
            if (departure.joinTick === tick) (joined ??= []).push(departure.info);
          }
          left.sort(byPlayerId);
          joined?.sort(byPlayerId);
          departures = [];
        }
        head = tick + 1;
        missing = countMissing();
        return confirmedFrame(tick, inputs, joined, left);
      };

      const cancelTimer = (): void => {
        if (timer !== undefined) {
          timer.unsubscribe();
          timer = undefined;
        }
      };

      /** Runs the timeout exactly while the head is incomplete and someone is waiting. */
      const updateTimer = (): void => {
        if (draining) return; // the running loop calls it when done
        // Outside the loop the head is never complete, so "someone waiting" is enough.
        if (buffered > 0 && !subscriber.closed && timeoutMs !== Infinity) {
          if (deadline < 0) deadline = scheduler.now() + timeoutMs;
          timer ??= scheduler.schedule(onTimer, Math.max(0, deadline - scheduler.now()));
        } else {
          deadline = -1; // an armed timer finds nothing to do
        }
      };

      /** Emits every complete frame from the head on. */
      const drain = (): void => {
        if (draining) return;
        draining = true;
        try {
          while (!subscriber.closed && isHeadComplete()) {
            const frame = takeHeadFrame();
            deadline = -1; // a new head: its wait starts now
            subscriber.next(frame);
          }
        } finally {
          draining = false;
        }
        updateTimer();
      };

      function onTimer(): void {
        timer = undefined;
        if (deadline < 0) return; // nobody is waiting any more
        const now = scheduler.now();
        if (now < deadline) {
          timer = scheduler.schedule(onTimer, deadline - now); // the head moved meanwhile
          return;
        }
        deadline = -1;
        for (let slot = 0; slot < maxPlayers; slot += 1) {
          const player = slots[slot];
          if (player !== undefined && player.joinTick <= head && !player.inputs.has(head)) {
            depart(slot, player, 'timeout');
          }
        }
        drain();
      }

      const onJoin = (playerId: number, username: string, tick: number): void => {
        if (!Number.isInteger(playerId) || playerId < 0 || playerId >= maxPlayers) {
          warn(
            LockstepWarningCode.BadSlot,
            playerId,
            tick,
            `join to slot ${playerId}, outside 0..${maxPlayers - 1}`,
          );
          return;
        }
        if (badTick(`join of player ${playerId} at tick ${tick}`, playerId, tick)) return;
        if (tick < head) {
          warn(
            LockstepWarningCode.LateJoin,
            playerId,
            tick,
            `join of player ${playerId} at tick ${tick}, already confirmed (next tick ${head})`,
          );
          return;
        }
        if (tooFarAhead(`join of player ${playerId} at tick ${tick}`, playerId, tick)) return;
        if (
          slots[playerId] !== undefined ||
          (tick === head && departures.some((d) => d.info.playerId === playerId))
        ) {
          warn(
            LockstepWarningCode.SlotTaken,
            playerId,
            tick,
            `join of player ${playerId} at tick ${tick}: the slot is taken`,
          );
          return;
        }
        slots[playerId] = {
          info: { playerId, username },
          joinTick: tick,
          inputs: new InputRing(maxTicksAhead),
        };
        playerCount += 1;
        if (tick === head) missing += 1;
        drain(); // frames before `tick` may now be complete (if nobody else is active)
      };

      const onLeave = (playerId: number, reason: LeaveReason): void => {
        const player = Number.isInteger(playerId) ? slots[playerId] : undefined;
        if (player === undefined) {
          warn(
            LockstepWarningCode.UnknownPlayer,
            playerId,
            undefined,
            `leave of player ${playerId}, not in the match`,
          );
          return;
        }
        if (player.joinTick > head) {
          removePlayer(playerId, player); // it never played: cancel the join
          updateTimer();
          return;
        }
        depart(playerId, player, reason);
        drain();
      };

      const onInput = (playerId: number, tick: number, input: Uint8Array): void => {
        if (tick < head) return; // already confirmed: a duplicate
        if (badTick(`input of player ${playerId} for tick ${tick}`, playerId, tick)) return;
        if (tooFarAhead(`input of player ${playerId} for tick ${tick}`, playerId, tick)) return;
        const player = Number.isInteger(playerId) ? slots[playerId] : undefined;
        if (player === undefined || tick < player.joinTick) {
          warn(
            LockstepWarningCode.UnknownPlayer,
            playerId,
            tick,
            `input of player ${playerId} for tick ${tick}, not in the match at that tick`,
          );
          return;
        }
        if (inputSize !== undefined && input.length !== inputSize) {
          warn(
            LockstepWarningCode.BadInputSize,
            playerId,
            tick,
            `input of player ${playerId} for tick ${tick} has ${input.length} bytes, not ${inputSize}`,
          );
          return;
        }
        const held = player.inputs.get(tick);
        if (held !== undefined) {
          if (!bytesEqual(held, input)) {
            warn(
              LockstepWarningCode.ConflictingInput,
              playerId,
              tick,
              `input of player ${playerId} for tick ${tick} differs from the one already received`,
            );
          }
          return;
        }
        player.inputs.set(tick, input);
        buffered += 1;
        if (tick === head) {
          missing -= 1;
          drain();
        } else updateTimer();
      };

      const dropState = (): void => {
        cancelTimer();
        deadline = -1;
        for (let slot = 0; slot < maxPlayers; slot += 1) slots[slot] = undefined;
        playerCount = 0;
        buffered = 0;
        missing = 0;
        departures = [];
      };

      const sourceSubscription = subscribeLinked(source, subscriber, {
        next: (event) => {
          try {
            switch (event.type) {
              case 'input':
                onInput(event.playerId, event.tick, event.input);
                break;
              case 'join':
                onJoin(event.playerId, event.username, event.tick);
                break;
              case 'leave':
                onLeave(event.playerId, event.reason);
                break;
            }
          } catch (err) {
            dropState();
            subscriber.error(err);
          }
        },
        error: (err) => {
          dropState();
          subscriber.error(err);
        },
        complete: () => {
          dropState();
          subscriber.complete();
        },
      });

      return () => {
        sourceSubscription.unsubscribe();
        dropState();
      };
    });
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
