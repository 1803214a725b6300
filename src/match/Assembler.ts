// The lockstep state machine: every player's inputs, joins and leaves in, confirmed frames out.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  confirmedFrame,
  type ConfirmedFrame,
  type LeaveReason,
  type PlayerInfo,
  type PlayerLeft,
  type SubstituteInput,
} from '../types.js';
import {
  bytesEqual,
  departureOf,
  isMissing,
  playersBefore,
  subAt,
  type Departure,
  type Player,
} from './AssemblerPlayer.js';
import { checkLockstepOptions, type AssemblerOptions } from './AssemblerOptions.js';
import { AssemblerRefusals } from './AssemblerRefusals.js';
import { countMissing, frameLeaves, isDriven, substituteFor } from './HeadFrame.js';
import { InputRing } from './InputRing.js';
import { LateInputs } from './LateInputs.js';
import { MovingTimer } from './MovingTimer.js';

/** The assembler's lifecycle: it takes events until it is disposed. */
const AssemblerState = { Running: 'running', Disposed: 'disposed' } as const;
type AssemblerState = (typeof AssemblerState)[keyof typeof AssemblerState];

/**
 * The lockstep assembler as a plain object: joins, leaves and inputs come in as method
 * calls, confirmed frames go out through `onFrame`, one per tick, in tick order, each once.
 *
 * <span class="informal">The state machine inside {@link lockstep}, for code that is not a
 * stream (the `Match`). Its rules (what is refused, when a frame is complete, the timeout)
 * are exactly those documented on {@link lockstep}.</span>
 *
 * Frames are emitted synchronously from inside `join`, `leave`, `input` or the timeout. State
 * is updated before each frame is emitted, and a call made from inside `onFrame` or
 * `onWarning` only updates state: the loop already running emits what it completes, so
 * frames never nest. After `dispose` every call is ignored.
 *
 * @example
 * ```ts
 * const assembler = new Assembler({ maxPlayers: 2, onFrame: (frame) => send(frame) });
 * assembler.join(0, 'ann', 0);
 * assembler.input(0, 0, Uint8Array.of(1)); // frame 0 is emitted here
 * ```
 */
export class Assembler {
  private readonly maxPlayers: number;
  private readonly inputSize: number | undefined;
  private readonly maxTicksAhead: number;
  private readonly timeoutMs: number;
  private readonly scheduler: SchedulerLike;
  private readonly refuse: AssemblerRefusals;
  private readonly onFrame: (frame: ConfirmedFrame) => void;
  private readonly onTimeout: ((slots: number[], tick: number) => void) | undefined;
  private readonly substituteInput: SubstituteInput;
  /** With `lateInputMs`: the late-input wait. */
  private readonly late: LateInputs | undefined;
  /** How many players are substituted at some tick (0: the usual fast path). */
  private substituting = 0;

  private state: AssemblerState = AssemblerState.Running;
  /** The next tick to confirm. */
  private headTick: number;
  /** Active and pending players, by slot. */
  private readonly slots: (Player | undefined)[];
  /** How many slots are held. */
  private playerCount = 0;
  /** Players that left at the head tick, for frame `head`'s `left`. */
  private departures: Departure[] = [];
  /** Inputs buffered over all players. */
  private buffered = 0;
  /** Players in the match at the head that have no input for it yet (`countMissing`). */
  private missing = 0;
  /**
   * The disconnect timer. It is not cancelled each time the head advances (that would cost
   * a timer per tick): its deadline, when the head tick times out (undefined while nobody is
   * waiting), moves instead, and a timer that fires early re-arms itself for what is left.
   */
  private readonly timer: MovingTimer;
  /** True while emitting: re-entrant events update state, the running loop emits. */
  private draining = false;

  /**
   * @param options Those of {@link lockstep}, and `onFrame`, called with each frame.
   * @throws {RangeError} If an option is out of range (see {@link checkLockstepOptions}).
   */
  constructor(options: AssemblerOptions) {
    checkLockstepOptions(options);
    this.maxPlayers = options.maxPlayers;
    this.inputSize = options.inputSize;
    this.maxTicksAhead = options.maxTicksAhead ?? 128;
    this.timeoutMs = options.disconnectTimeoutMs ?? 2000;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.refuse = new AssemblerRefusals(options.onWarning);
    this.onFrame = options.onFrame;
    this.onTimeout = options.onTimeout;
    this.substituteInput = options.substituteInput ?? 'repeat';
    const lateMs = options.lateInputMs ?? Infinity;
    if (!(lateMs > 0)) throw new RangeError('lockstep: lateInputMs must be > 0');
    this.headTick = options.startTick ?? 0;
    this.slots = new Array<Player | undefined>(this.maxPlayers).fill(undefined);
    this.timer = new MovingTimer(this.scheduler, this.onTimer);
    if (lateMs !== Infinity) {
      const head = (): number => this.headTick;
      this.late = new LateInputs(
        this.slots,
        head,
        this.onLate,
        this.scheduler,
        lateMs,
        this.timeoutMs,
      );
    }
  }

  /** The next tick to confirm. */
  get head(): number {
    return this.headTick;
  }

  /**
   * Whether a join to `slot` at the head tick would be taken: `slot` is in range, no active
   * or pending player holds it, and nobody left it at the head tick (its leave is not
   * confirmed yet). False once disposed.
   */
  isSlotFree(slot: number): boolean {
    if (this.state !== AssemblerState.Running) return false;
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.maxPlayers) return false;
    if (this.slots[slot] !== undefined) return false;
    return departureOf(this.departures, slot) === undefined;
  }

  /** The active and pending players (not those that left at the head), by `playerId`. */
  members(): PlayerInfo[] {
    const members: PlayerInfo[] = [];
    for (const player of this.slots) if (player !== undefined) members.push(player.info);
    return members;
  }

  /**
   * Everyone in the match just before `tick` (`tick >= head`): the players whose join tick is
   * before it, active or pending, and, when `tick` is the head, the players leaving at the
   * head that joined before it (frame `head` names their leave). What a player joining at
   * `tick` must be told is there. Sorted by `playerId`.
   */
  membersBefore(tick: number): PlayerInfo[] {
    return playersBefore(this.slots, tick, tick === this.headTick ? this.departures : undefined);
  }

  /**
   * The join tick of the player in `slot`: active, pending, or leaving at the head; undefined
   * if there is none.
   */
  joinTickOf(slot: number): number | undefined {
    const player = Number.isInteger(slot) ? this.slots[slot] : undefined;
    if (player !== undefined) return player.joinTick;
    return departureOf(this.departures, slot)?.joinTick;
  }

  /**
   * Player `playerId` (`username`) takes part in the frames from `tick` on.
   *
   * @returns Whether the join was taken (else a warning says why).
   */
  join(playerId: number, username: string, tick: number): boolean {
    if (this.state !== AssemblerState.Running) return false;
    const { maxPlayers } = this;
    const { refuse } = this;
    if (!Number.isInteger(playerId) || playerId < 0 || playerId >= maxPlayers) {
      refuse.badSlot(playerId, tick, maxPlayers);
      return false;
    }
    if (!Number.isSafeInteger(tick)) {
      refuse.badTick('join', playerId, tick);
      return false;
    }
    const head = this.headTick;
    if (tick < head) {
      refuse.lateJoin(playerId, tick, head);
      return false;
    }
    if (tick >= head + this.maxTicksAhead) {
      refuse.tooFarAhead('join', playerId, tick, head, this.maxTicksAhead);
      return false;
    }
    if (
      this.slots[playerId] !== undefined ||
      (tick === head && departureOf(this.departures, playerId) !== undefined)
    ) {
      refuse.slotTaken(playerId, tick);
      return false;
    }
    this.slots[playerId] = {
      info: { playerId, username },
      joinTick: tick,
      inputs: new InputRing(this.maxTicksAhead),
      subFrom: Infinity,
      subUntil: Infinity,
      last: undefined,
      lateSince: undefined,
    };
    this.playerCount += 1;
    if (tick === head) this.missing += 1;
    this.drain(); // frames before `tick` may now be complete (if nobody else is active)
    return true;
  }

  /**
   * Player `playerId` leaves at the head tick (frame `head` names it in `left`), or, if its
   * join tick is still ahead, its join is cancelled and its slot is free at once.
   *
   * @returns Whether the player was in a slot (else an `unknown-player` warning).
   */
  leave(playerId: number, reason: LeaveReason): boolean {
    if (this.state !== AssemblerState.Running) return false;
    const player = Number.isInteger(playerId) ? this.slots[playerId] : undefined;
    if (player === undefined) {
      this.refuse.unknownLeave(playerId);
      return false;
    }
    if (player.joinTick > this.headTick) {
      this.removePlayer(playerId, player); // it never played: cancel the join
      this.updateTimer();
      return true;
    }
    this.depart(playerId, player, reason);
    this.drain();
    return true;
  }

  /**
   * From `tick` on (the head, if it is earlier), frames no longer wait for player `playerId`:
   * for each tick it has sent no input for when the frame is otherwise complete, its input is
   * substituted (see `substituteInput`) and its slot named in the frame's `substituted`. A
   * real input that comes in time is still taken. Until {@link Assembler.resume}. A frame in
   * which every input would be substituted waits (nobody drives the match).
   *
   * @returns Whether the player is in a slot.
   */
  substitute(playerId: number, tick: number): boolean {
    if (this.state !== AssemblerState.Running) return false;
    const player = Number.isInteger(playerId) ? this.slots[playerId] : undefined;
    if (player === undefined) return false;
    const head = this.headTick;
    const wasMissing = isMissing(player, head);
    if (player.subFrom === Infinity) this.substituting += 1;
    player.subFrom = Math.max(head, tick);
    player.subUntil = Infinity;
    if (wasMissing && !isMissing(player, head)) this.missing -= 1;
    this.drain();
    return true;
  }

  /**
   * Player `playerId` is waited for again from `tick` on (at least the head): frames from
   * `tick` need its own input. Its inputs for ticks before `tick` are still taken if they
   * come in time.
   *
   * @returns Whether the player is in a slot and was substituted.
   */
  resume(playerId: number, tick: number): boolean {
    if (this.state !== AssemblerState.Running) return false;
    const player = Number.isInteger(playerId) ? this.slots[playerId] : undefined;
    if (player === undefined || player.subUntil !== Infinity || player.subFrom === Infinity)
      return false;
    const head = this.headTick;
    const wasMissing = isMissing(player, head);
    player.subUntil = Math.max(head, tick);
    if (player.subUntil <= player.subFrom) {
      player.subFrom = Infinity;
      player.subUntil = Infinity;
      this.substituting -= 1;
    }
    if (!wasMissing && isMissing(player, head)) this.missing += 1;
    this.drain();
    return true;
  }

  /** Whether player `playerId`'s input at `tick` would be substituted if it sends none. */
  isSubstituted(playerId: number, tick: number): boolean {
    const player = Number.isInteger(playerId) ? this.slots[playerId] : undefined;
    return player !== undefined && subAt(player, tick);
  }

  /**
   * Player `playerId`'s input for `tick`, kept by reference until its frame is confirmed.
   * Duplicates and ticks already confirmed are ignored silently.
   */
  input(playerId: number, tick: number, input: Uint8Array): void {
    if (tick < this.headTick || this.state !== AssemblerState.Running) return;
    if (!Number.isSafeInteger(tick)) return this.refuse.badTick('input', playerId, tick);
    const { headTick, maxTicksAhead } = this;
    if (tick >= headTick + maxTicksAhead)
      return this.refuse.tooFarAhead('input', playerId, tick, headTick, maxTicksAhead);
    const player = Number.isInteger(playerId) ? this.slots[playerId] : undefined;
    if (player === undefined || tick < player.joinTick)
      return this.refuse.unknownInput(playerId, tick);
    const { inputSize } = this;
    if (inputSize !== undefined && input.length !== inputSize)
      return this.refuse.badInputSize(playerId, tick, input.length, inputSize);
    const held = player.inputs.get(tick);
    if (held !== undefined) {
      if (!bytesEqual(held, input)) this.refuse.conflictingInput(playerId, tick);
      return;
    }
    player.inputs.set(tick, input);
    this.buffered += 1;
    if (this.late !== undefined) this.late.input(tick);
    if (tick === this.headTick) {
      if (!subAt(player, tick)) this.missing -= 1;
      this.drain();
    } else this.updateTimer();
  }

  /**
   * Stops: cancels the timer and drops every buffer and player; incomplete frames are
   * discarded. Every later call is ignored. Safe to call more than once, and from `onFrame`.
   */
  dispose(): void {
    this.state = AssemblerState.Disposed;
    this.timer.cancel();
    this.late?.dispose();
    this.slots.fill(undefined);
    this.playerCount = 0;
    this.substituting = 0;
    this.buffered = 0;
    this.missing = 0;
    this.departures = [];
  }

  /** Frees a slot, dropping the player's buffered inputs. */
  private removePlayer(slot: number, player: Player): void {
    if (isMissing(player, this.headTick)) this.missing -= 1;
    if (player.subFrom !== Infinity) this.substituting -= 1;
    this.buffered -= player.inputs.size;
    player.inputs.clear();
    this.slots[slot] = undefined;
    this.playerCount -= 1;
  }

  private depart(slot: number, player: Player, reason: LeaveReason): void {
    this.removePlayer(slot, player);
    this.departures.push({
      left: { playerId: player.info.playerId, username: player.info.username, reason },
      info: player.info,
      joinTick: player.joinTick,
    });
  }

  /** Kept as inputs, joins and leaves come (not recounted per input). */
  private isHeadComplete(): boolean {
    if (!((this.playerCount > 0 || this.departures.length > 0) && this.missing === 0)) return false;
    if (this.substituting === 0 || this.departures.length > 0) return true;
    // Someone is substituted: a frame needs one real input (or a join), or nobody drives.
    return isDriven(this.slots, this.headTick);
  }

  /** Takes the complete head frame out of the state and advances the head. */
  private takeHeadFrame(): ConfirmedFrame {
    const tick = this.headTick;
    const { maxPlayers, slots } = this;
    const inputs = new Array<Uint8Array | null>(maxPlayers).fill(null);
    let joined: PlayerInfo[] | undefined;
    let substituted: number[] | undefined;
    for (let slot = 0; slot < maxPlayers; slot += 1) {
      const player = slots[slot];
      if (player === undefined || player.joinTick > tick) continue;
      const input = player.inputs.get(tick);
      if (input !== undefined) {
        inputs[slot] = input;
        player.inputs.delete(tick);
        this.buffered -= 1;
        player.last = input;
        player.lateSince = undefined;
      } else if (subAt(player, tick)) {
        const put = substituteFor(player, this.inputSize, this.substituteInput);
        inputs[slot] = put;
        player.last = put;
        (substituted ??= []).push(slot);
      }
      if (player.subUntil !== Infinity && player.subUntil <= tick + 1) {
        player.subFrom = Infinity; // its substitution ends with this frame
        player.subUntil = Infinity;
        this.substituting -= 1;
      }
      if (player.joinTick === tick) (joined ??= []).push(player.info);
    }
    let left: PlayerLeft[] | undefined;
    if (this.departures.length > 0) {
      ({ left, joined } = frameLeaves(this.departures, tick, joined));
      this.departures = [];
    }
    this.headTick = tick + 1;
    this.late?.confirmed(tick);
    this.missing = countMissing(this.slots, this.headTick);
    return confirmedFrame(tick, inputs, joined, left, substituted);
  }

  /** Runs the timeout exactly while the head is incomplete and someone is waiting. */
  private updateTimer(): void {
    if (this.draining) return; // the running loop calls it when done
    // Outside the loop the head is never complete, so "someone waiting" is enough.
    if (this.buffered > 0 && this.state === AssemblerState.Running && this.timeoutMs !== Infinity) {
      const { timer } = this;
      timer.deadline ??= this.scheduler.now() + this.timeoutMs;
      timer.arm();
    } else {
      this.timer.deadline = undefined; // an armed timer finds nothing to do
    }
    this.late?.update(this.state === AssemblerState.Running);
  }

  /** The late-input wait ended with players late at `head`: substituted, or timed out. */
  private readonly onLate = (head: number, substituted: number, timedOut: number[]): void => {
    this.substituting += substituted;
    this.missing -= substituted;
    if (timedOut.length > 0) {
      const { onTimeout } = this;
      if (onTimeout === undefined) {
        for (const slot of timedOut) this.depart(slot, this.slots[slot]!, 'timeout');
      } else onTimeout(timedOut, head);
    }
    this.drain();
  };

  /** Emits every complete frame from the head on. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.state === AssemblerState.Running && this.isHeadComplete()) {
        const frame = this.takeHeadFrame();
        this.timer.deadline = undefined; // a new head: its wait starts now
        this.onFrame(frame);
      }
    } finally {
      this.draining = false;
    }
    this.updateTimer();
  }

  /** `disconnectTimeoutMs` after someone started waiting for the head: the missing time out. */
  private readonly onTimer = (): void => {
    const head = this.headTick;
    const { onTimeout } = this;
    const late: number[] = [];
    for (let slot = 0; slot < this.maxPlayers; slot += 1) {
      const player = this.slots[slot];
      if (player === undefined || !isMissing(player, head)) continue;
      if (onTimeout === undefined) this.depart(slot, player, 'timeout');
      else late.push(slot);
    }
    if (late.length > 0) onTimeout?.(late, head);
    this.drain();
  };
}
