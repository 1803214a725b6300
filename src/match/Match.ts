// One lockstep match without sockets or wall clock: joins, leaves, inputs, checksums in; frames out.
import { Subject, asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { DesyncEvent } from '../events.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo } from '../types.js';
import { Assembler } from './Assembler.js';
import type { LockstepWarning, LockstepWarningCode } from './AssemblerOptions.js';
import { Desync } from './Desync.js';
import { DEFAULT_FRAME_LOG_BYTES, FrameLog } from './FrameLog.js';
import { JoinSchedule } from './JoinSchedule.js';
import { Roster } from './Roster.js';

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

/** The match's lifecycle: open until closed. */
const MatchState = { Open: 'open', Closed: 'closed' } as const;
type MatchState = (typeof MatchState)[keyof typeof MatchState];

const FULL: JoinResult = { ok: false, reason: 'full' };
const BUSY: JoinResult = { ok: false, reason: 'busy' };

/**
 * One lockstep match, with no sockets, no codecs and no wall clock: joins, leaves, inputs and
 * checksum reports come in as method calls; confirmed frames, desyncs and warnings go out as
 * Observables.
 *
 * <span class="informal">What a server does for one match, minus the network: it picks the
 * slot and tick of each join, assembles the frames (dropping a player that stalls the others
 * for `disconnectTimeoutMs`), keeps the roster and a bounded log of the frames, and compares
 * checksums. Time comes from `scheduler`, so a whole match runs in virtual time.</span>
 *
 * Frames are emitted on `frames$` synchronously, from inside `join`, `leave` or `input` (the
 * call that completes them) or the timeout, after `roster`, `log` and `head` are updated.
 * Calls made from a `frames$` subscriber are taken; the frames they complete come after the
 * one being emitted, never nested. A timeout drop is a `left` entry with reason `'timeout'`
 * in a frame: read `frames$` to react to it.
 *
 * @example
 * ```ts
 * const match = new Match({ maxPlayers: 8, inputSize: 2 });
 * match.frames$.subscribe((frame) => broadcast(frame));
 * const answer = match.join('ann');
 * if (answer.ok) accept(answer.playerId, answer.tick, answer.players);
 * match.input(answer.playerId, answer.tick, Uint8Array.of(0, 1));
 * ```
 */
export class Match {
  /** Every confirmed frame, once, in tick order, with the usernames of leaves. Hot. */
  readonly frames$: Observable<ConfirmedFrame>;
  /** The first desync found (at most one). */
  readonly desync$: Observable<DesyncEvent>;
  /** Every checksum report taken and compared (not the refused ones), as it is taken. */
  readonly checksums$: Observable<{
    /** The reporting player. */
    playerId: number;
    /** The tick whose state it is. */
    tick: number;
    /** An unsigned 32-bit integer. */
    checksum: number;
  }>;
  /** Refused joins, leaves and inputs, and untrusted checksum reports. */
  readonly warnings$: Observable<MatchWarning>;
  /** The newest confirmed frames, bounded by `frameLogBytes`. */
  readonly log: FrameLog;
  /** Who is in which slot, after the frames emitted so far. */
  readonly roster = new Roster();

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly desyncSubject = new Subject<DesyncEvent>();
  private readonly warningsSubject = new Subject<MatchWarning>();
  private readonly checksumsSubject = new Subject<{
    playerId: number;
    tick: number;
    checksum: number;
  }>();
  private readonly assembler: Assembler;
  private readonly schedule = new JoinSchedule();
  private readonly checksums = new Desync();
  private readonly maxPlayers: number;
  private readonly maxTicksAhead: number;
  private state: MatchState = MatchState.Open;

  /**
   * @throws {RangeError} If `maxPlayers` or `maxTicksAhead` is not a positive integer,
   * `inputSize` not a non-negative integer, `disconnectTimeoutMs` negative or NaN, or
   * `frameLogBytes` negative or NaN.
   */
  constructor(options: MatchOptions) {
    this.maxPlayers = options.maxPlayers;
    this.maxTicksAhead = options.maxTicksAhead ?? 128;
    this.log = new FrameLog({ maxBytes: options.frameLogBytes ?? DEFAULT_FRAME_LOG_BYTES });
    this.assembler = new Assembler({
      maxPlayers: options.maxPlayers,
      inputSize: options.inputSize,
      maxTicksAhead: this.maxTicksAhead,
      disconnectTimeoutMs: options.disconnectTimeoutMs ?? 2000,
      scheduler: options.scheduler ?? asyncScheduler,
      onWarning: (warning: LockstepWarning) => this.warningsSubject.next(warning),
      onFrame: (frame) => this.onFrame(frame),
    });
    this.frames$ = this.framesSubject.asObservable();
    this.desync$ = this.desyncSubject.asObservable();
    this.warnings$ = this.warningsSubject.asObservable();
    this.checksums$ = this.checksumsSubject.asObservable();
  }

  /** The next tick to confirm. */
  get head(): number {
    return this.assembler.head;
  }

  /**
   * `head + maxTicksAhead`: inputs for ticks at or after it are refused, so a caller should
   * neither feed nor acknowledge them (the player sends them again later).
   */
  get inputLimit(): number {
    return this.assembler.head + this.maxTicksAhead;
  }

  /** The players in the match now or about to be (a pending join), not those leaving. */
  get players(): PlayerInfo[] {
    return this.assembler.members();
  }

  /** The first desync found, if any. */
  get desync(): DesyncEvent | undefined {
    return this.checksums.desync;
  }

  /** How many slots a join could take now (0 once closed). */
  freeSlots(): number {
    let free = 0;
    for (let slot = 0; slot < this.maxPlayers; slot += 1) {
      if (this.assembler.isSlotFree(slot)) free += 1;
    }
    return free;
  }

  /**
   * Adds a player: the lowest free slot (never one whose previous player's leave is not
   * confirmed yet), from the tick the join schedule gives (the head, unless that frame's joins
   * are full). Frames before that tick may be emitted before this returns (when nobody else
   * is active).
   *
   * @returns The slot, the first tick and the players there just before it (pending joins
   * before it, and the players leaving at the head if it is the head: that frame names
   * them); or `full` (no free slot, or closed), or `busy` (the joins of the next
   * `maxTicksAhead` ticks are full).
   */
  join(username: string): JoinResult {
    let slot = 0;
    while (slot < this.maxPlayers && !this.assembler.isSlotFree(slot)) slot += 1;
    if (slot === this.maxPlayers) return FULL; // also once closed
    const head = this.assembler.head;
    if (this.schedule.peek(username, head) >= this.inputLimit) return BUSY;
    const tick = this.schedule.reserve(username, head);
    const players = this.assembler.membersBefore(tick);
    // Taken: the slot is free and the tick in [head, inputLimit).
    this.assembler.join(slot, username, tick);
    return { ok: true, playerId: slot, tick, players };
  }

  /**
   * Removes a player at the head tick: it is not in frame `head`, which names it in `left`
   * with `reason`. A player whose join tick is still ahead just has its join cancelled (no
   * frame names it) and its slot is free at once. The frame may be emitted before this
   * returns (when this player was the only one missing). Unknown players are a warning.
   */
  leave(playerId: number, reason: LeaveReason): void {
    this.assembler.leave(playerId, reason);
  }

  /**
   * Player `playerId`'s input for `tick`, kept by reference (do not reuse the buffer).
   * Duplicates and ticks already confirmed are ignored; a tick at or after `inputLimit`, a
   * wrong size, a player not in the match at `tick` and a conflicting input are warnings.
   */
  input(playerId: number, tick: number, input: Uint8Array): void {
    this.assembler.input(playerId, tick, input);
  }

  /**
   * Player `playerId`'s state checksum after frame `tick`, compared with the other players'
   * for the same tick; the first difference is emitted on `desync$`.
   *
   * @returns False while `tick >= head` (not taken: do not acknowledge it, the player sends
   * it again); true otherwise: compared, or, for a tick before the player's join tick, a
   * player not in the match or a tick that is not an integer, a `checksum` warning.
   */
  checksum(playerId: number, tick: number, checksum: number): boolean {
    if (this.state === MatchState.Closed) return true;
    if (tick >= this.assembler.head) return false;
    const joinTick = this.assembler.joinTickOf(playerId);
    if (!Number.isSafeInteger(tick) || joinTick === undefined || tick < joinTick) {
      const why =
        joinTick === undefined
          ? 'from a player not in the match'
          : tick < joinTick
            ? 'before the player joined'
            : 'not a safe integer';
      this.warningsSubject.next({
        code: 'checksum',
        playerId,
        tick,
        message: `match: checksum for tick ${tick}, ${why}`,
      });
      return true;
    }
    this.checksumsSubject.next({ playerId, tick, checksum });
    const event = this.checksums.report(playerId, tick, checksum);
    if (event !== undefined) this.desyncSubject.next(event);
    return true;
  }

  /** Ends the match: cancels the timer, drops the buffers and completes the streams. */
  close(): void {
    if (this.state === MatchState.Closed) return;
    this.state = MatchState.Closed;
    this.assembler.dispose();
    this.framesSubject.complete();
    this.desyncSubject.complete();
    this.warningsSubject.complete();
    this.checksumsSubject.complete();
  }

  private onFrame(frame: ConfirmedFrame): void {
    const named = this.roster.apply(frame);
    this.schedule.confirmed(frame.tick);
    this.log.append(named);
    this.framesSubject.next(named);
  }
}
