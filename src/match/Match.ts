// One lockstep match without sockets or wall clock: joins, leaves, inputs, checksums in; frames out.
import { Subject, asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { DesyncEvent } from '../events.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo } from '../types.js';
import { InputLead } from './InputLead.js';
import { Assembler } from './Assembler.js';
import type { LockstepWarning } from './AssemblerOptions.js';
import { CatchUp } from './CatchUp.js';
import { Desync } from './Desync.js';
import { AwayGrace } from './AwayGrace.js';
import { DEFAULT_FRAME_LOG_BYTES, FrameLog } from './FrameLog.js';
import { HeldSeats } from './HeldSeats.js';
import { JoinSchedule } from './JoinSchedule.js';
import type { MatchOptions, MatchWarning } from './MatchOptions.js';
import type {
  CatchUpStart,
  HoldResult,
  JoinResult,
  MatchEvent,
  MatchSnapshot,
} from './MatchResults.js';
import { Roster } from './Roster.js';

export type { MatchOptions, MatchWarning } from './MatchOptions.js';
export type {
  CatchUpStart,
  HoldResult,
  JoinResult,
  MatchEvent,
  MatchSnapshot,
} from './MatchResults.js';

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
  /** Seats released for not being ready, players away and back (see {@link MatchEvent}). */
  readonly events$: Observable<MatchEvent>;

  private readonly framesSubject = new Subject<ConfirmedFrame>();
  private readonly desyncSubject = new Subject<DesyncEvent>();
  private readonly warningsSubject = new Subject<MatchWarning>();
  private readonly checksumsSubject = new Subject<{
    playerId: number;
    tick: number;
    checksum: number;
  }>();
  private readonly assembler: Assembler;
  private readonly leads: InputLead;
  private readonly schedule = new JoinSchedule();
  /** Checksums compared across every player in the match at each tick. */
  private readonly checksums = new Desync({ reporters: (tick) => this.membersAt(tick) });
  private readonly eventsSubject = new Subject<MatchEvent>();
  private readonly maxPlayers: number;
  private readonly maxTicksAhead: number;
  private readonly scheduler: SchedulerLike;
  private readonly readyTimeoutMs: number;
  private readonly graceMs: number;
  /** Seats held by players not ready yet: their names and ready timers. */
  private readonly held: HeldSeats;
  /** Players away: their grace timers. */
  private readonly awayTimers: AwayGrace;
  /** The roster before the log, the newest snapshot, where a newcomer starts. */
  private readonly catchUp: CatchUp;
  private state: MatchState = MatchState.Open;

  /**
   * @throws {RangeError} If `maxPlayers` or `maxTicksAhead` is not a positive integer,
   * `inputSize` not a non-negative integer, `disconnectTimeoutMs` negative or NaN, or
   * `frameLogBytes` negative or NaN.
   */
  constructor(options: MatchOptions) {
    this.maxPlayers = options.maxPlayers;
    this.maxTicksAhead = options.maxTicksAhead ?? 128;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    this.graceMs = options.reconnectGraceMs ?? 15_000;
    if (!(this.readyTimeoutMs > 0)) throw new RangeError('readyTimeoutMs must be > 0');
    if (!(this.graceMs >= 0)) throw new RangeError('reconnectGraceMs must be >= 0');
    this.held = new HeldSeats(this.scheduler, this.readyTimeoutMs, (playerId) =>
      this.eventsSubject.next({ type: 'ready-timeout', playerId }),
    );
    this.awayTimers = new AwayGrace(this.scheduler, this.graceMs, (playerId) =>
      this.assembler.leave(playerId, 'timeout'),
    );
    this.log = new FrameLog({
      maxBytes: options.frameLogBytes ?? DEFAULT_FRAME_LOG_BYTES,
      onDrop: (frame) => this.catchUp.dropped(frame),
    });
    this.catchUp = new CatchUp(this.log);
    this.leads = new InputLead(options.maxPlayers);
    this.assembler = new Assembler({
      maxPlayers: options.maxPlayers,
      inputSize: options.inputSize,
      maxTicksAhead: this.maxTicksAhead,
      disconnectTimeoutMs: options.disconnectTimeoutMs ?? 2000,
      scheduler: this.scheduler,
      substituteInput: options.substituteInput,
      lateInputMs: options.lateInputMs,
      onWarning: (warning: LockstepWarning) => this.warningsSubject.next(warning),
      onFrame: (frame) => this.onFrame(frame),
      onTimeout: (slots) => {
        for (const slot of slots) {
          if (this.graceMs > 0) this.away(slot);
          else {
            this.leads.forget(slot);
            this.assembler.leave(slot, 'timeout');
          }
        }
      },
    });
    this.events$ = this.eventsSubject.asObservable();
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

  /** How many slots a join could take now (0 once closed); held seats are taken. */
  freeSlots(): number {
    let free = 0;
    for (let slot = 0; slot < this.maxPlayers; slot += 1) {
      if (this.isFree(slot)) free += 1;
    }
    return free;
  }

  /** Whether player `playerId` holds a seat and is not ready yet. */
  isHeld(playerId: number): boolean {
    return this.held.has(playerId);
  }

  /** Whether player `playerId` is away (its input substituted). */
  isAway(playerId: number): boolean {
    return this.awayTimers.has(playerId);
  }

  /**
   * Holds a seat for a player who is not ready yet (still loading): the lowest free slot,
   * counted as taken, but not in the frames, so it stalls nobody. {@link Match.ready} puts
   * it in the frames; a seat held `readyTimeoutMs` without it is released (a `ready-timeout`
   * event on `events$`).
   */
  hold(username: string): HoldResult {
    let slot = 0;
    while (slot < this.maxPlayers && !this.isFree(slot)) slot += 1;
    if (slot === this.maxPlayers) return { ok: false, reason: 'full' }; // also once closed
    this.held.hold(slot, username);
    return { ok: true, playerId: slot };
  }

  /**
   * The player holding seat `playerId` is ready: it joins the frames at the tick the join
   * schedule gives (the head, unless that frame's joins are full).
   *
   * @returns The slot, the first tick and the players there just before it; `busy` when
   * the joins of the next `maxTicksAhead` ticks are full (the seat stays held: ask again
   * soon), `full` when `playerId` holds no seat.
   */
  ready(playerId: number): JoinResult {
    const username = this.held.usernameOf(playerId);
    if (username === undefined || this.state === MatchState.Closed) return FULL;
    const head = this.assembler.head;
    if (this.schedule.peek(username, head) >= this.inputLimit) return BUSY;
    this.held.release(playerId);
    const tick = this.schedule.reserve(username, head);
    const players = this.assembler.membersBefore(tick);
    this.assembler.join(playerId, username, tick);
    return { ok: true, playerId, tick, players };
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
    const held = this.hold(username);
    if (!held.ok) return FULL;
    const joined = this.ready(held.playerId);
    if (!joined.ok) this.release(held.playerId);
    return joined;
  }

  /** Releases a seat held by a player not ready yet (it never was in a frame). */
  release(playerId: number): void {
    this.held.release(playerId);
  }

  /**
   * Player `playerId` is away (its link is silent or lost): from the head on, frames no
   * longer wait for it, its input is substituted and marked in each frame's `substituted`,
   * until {@link Match.back}. After `reconnectGraceMs` away it leaves (reason `'timeout'`).
   * The match makes a player away itself when it stalls the others for `disconnectTimeoutMs`.
   *
   * @returns Whether the player is in the match (a player already away stays so, its grace
   * running on).
   */
  away(playerId: number): boolean {
    if (this.state === MatchState.Closed) return false;
    if (this.awayTimers.has(playerId)) return true;
    if (this.assembler.joinTickOf(playerId) === undefined) return false;
    const tick = this.assembler.head;
    this.awayTimers.start(playerId);
    this.eventsSubject.next({ type: 'away', playerId, tick });
    this.leads.forget(playerId);
    this.assembler.substitute(playerId, tick);
    return true;
  }

  /**
   * Player `playerId` is back: frames from `tick` on (at least the head, less than
   * `inputLimit`) wait for its own input again; before it, its input is still substituted
   * when it sends none.
   *
   * @returns The tick it counts from, or undefined if it was not away.
   */
  back(playerId: number, tick: number = this.assembler.head): number | undefined {
    if (!this.awayTimers.has(playerId) || this.state === MatchState.Closed) return undefined;
    const from = Math.min(Math.max(tick, this.assembler.head), this.inputLimit - 1);
    this.awayTimers.end(playerId);
    this.eventsSubject.next({ type: 'back', playerId, tick: from });
    this.assembler.resume(playerId, from);
    return from;
  }

  /**
   * Everyone in the match just before frame `tick`, from the log (`log.firstTick <= tick <=
   * head`); undefined for a tick outside it.
   */
  membersBefore(tick: number): PlayerInfo[] | undefined {
    return this.catchUp.membersBefore(tick);
  }

  /**
   * Keeps a state snapshot of the world before frame `tick`, if it is newer than the one
   * kept and its frame is confirmed and still in the log (`log.firstTick <= tick <= head`).
   *
   * @returns Whether it was kept.
   */
  offerSnapshot(tick: number, data: Uint8Array): boolean {
    return this.catchUp.offer(tick, data, this.head);
  }

  /** The newest snapshot kept, if any. */
  get snapshot(): MatchSnapshot | undefined {
    return this.catchUp.snapshot;
  }

  /**
   * Where a newcomer's frames should start: the log's first frame when the log still has
   * every frame since the match began, else the newest snapshot (if it is in the log), else
   * the log's first frame, marked incomplete.
   */
  catchUpStart(): CatchUpStart {
    return this.catchUp.start();
  }

  /**
   * Removes a player at the head tick: it is not in frame `head`, which names it in `left`
   * with `reason`. A player whose join tick is still ahead just has its join cancelled (no
   * frame names it) and its slot is free at once. The frame may be emitted before this
   * returns (when this player was the only one missing). Unknown players are a warning.
   */
  leave(playerId: number, reason: LeaveReason): void {
    if (this.held.has(playerId)) return this.release(playerId);
    this.awayTimers.end(playerId);
    this.leads.forget(playerId);
    this.assembler.leave(playerId, reason);
  }

  /**
   * Player `playerId`'s input for `tick`, kept by reference (do not reuse the buffer).
   * Duplicates and ticks already confirmed are ignored; a tick at or after `inputLimit`, a
   * wrong size, a player not in the match at `tick` and a conflicting input are warnings.
   */
  input(playerId: number, tick: number, input: Uint8Array): void {
    this.assembler.input(playerId, tick, input);
    if (this.assembler.joinTickOf(playerId) !== undefined && !this.awayTimers.has(playerId))
      this.leads.input(playerId, tick);
  }

  /**
   * How far ahead (positive) or behind (negative) of the slowest other player player
   * `playerId`'s inputs arrive lately, in eighths of a tick (-32768..32767), as the Frames
   * packet's `inputLead` carries it; undefined with no measure (no other player).
   * See `InputLead` (src/match/InputLead.ts).
   */
  inputLead(playerId: number): number | undefined {
    return this.leads.wireLead(playerId);
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

  /** How many players are in the match at `tick` (joined at or before it, not gone). */
  private membersAt(tick: number): number {
    let n = 0;
    for (let p = 0; p < this.maxPlayers; p++) {
      const joined = this.assembler.joinTickOf(p);
      if (joined !== undefined && joined <= tick) n++;
    }
    return n;
  }

  /** Ends the match: cancels the timer, drops the buffers and completes the streams. */
  close(): void {
    if (this.state === MatchState.Closed) return;
    this.state = MatchState.Closed;
    this.held.clear();
    this.awayTimers.clear();
    this.assembler.dispose();
    this.eventsSubject.complete();
    this.framesSubject.complete();
    this.desyncSubject.complete();
    this.warningsSubject.complete();
    this.checksumsSubject.complete();
  }

  private isFree(slot: number): boolean {
    return !this.held.has(slot) && this.assembler.isSlotFree(slot);
  }

  private onFrame(frame: ConfirmedFrame): void {
    const named = this.roster.apply(frame);
    this.schedule.confirmed(frame.tick);
    this.log.append(named);
    this.framesSubject.next(named);
  }
}
