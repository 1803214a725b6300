// The assembler's late-input wait (`lateInputMs`): who is substituted when a frame waits too long.
import type { SchedulerLike } from 'rxjs';
import { isMissing, type Player } from './AssemblerPlayer.js';
import { MovingTimer } from './MovingTimer.js';

/**
 * The wait for `head` ended: `substituted` players were marked substituted for it alone,
 * the players in `timedOut` were late for `disconnectTimeoutMs` (and are not marked).
 */
export type OnLate = (head: number, substituted: number, timedOut: number[]) => void;

/**
 * With `lateInputMs`: when the first input for each tick from the head on came, and the
 * timer that, `lateInputMs` after the head's first input, substitutes the inputs still
 * missing for that tick alone.
 */
export class LateInputs {
  /** When the first input for each tick from the head on came. */
  private readonly firstInputAt = new Map<number, number>();
  private readonly timer: MovingTimer;

  /**
   * @param slots The players by slot (the assembler's own array, only read here).
   * @param head The next tick to confirm.
   * @param onLate Called when the wait for the head ends with someone late.
   * @param scheduler Where the timer runs.
   * @param lateMs `lateInputMs`.
   * @param timeoutMs `disconnectTimeoutMs`: a player late this long times out instead.
   */
  constructor(
    private readonly slots: readonly (Player | undefined)[],
    private readonly head: () => number,
    private readonly onLate: OnLate,
    private readonly scheduler: SchedulerLike,
    private readonly lateMs: number,
    private readonly timeoutMs: number,
  ) {
    this.timer = new MovingTimer(scheduler, this.onDue, 1e-3);
  }

  /** An input for `tick` is buffered. */
  input(tick: number): void {
    if (!this.firstInputAt.has(tick)) this.firstInputAt.set(tick, this.scheduler.now());
  }

  /** Frame `tick` is confirmed. */
  confirmed(tick: number): void {
    this.firstInputAt.delete(tick);
    this.timer.deadline = undefined; // a new head: its wait starts at its first input
  }

  /** Runs the timer exactly while the head has an input and `running`. */
  update(running: boolean): void {
    const first = this.firstInputAt.get(this.head());
    if (first !== undefined && running) {
      this.timer.deadline = first + this.lateMs;
      this.timer.arm();
    } else {
      this.timer.deadline = undefined;
    }
  }

  /** Cancels the timer and forgets every input time. */
  dispose(): void {
    this.timer.cancel();
    this.firstInputAt.clear();
  }

  /** `lateInputMs` after the head's first input came: the late players' inputs are substituted. */
  private readonly onDue = (lateDeadline: number, now: number): void => {
    const head = this.head();
    const late: Player[] = [];
    let anyInput = false;
    for (const player of this.slots) {
      if (player === undefined || player.joinTick > head) continue;
      if (player.inputs.has(head) || player.joinTick === head) anyInput = true;
      else if (isMissing(player, head) && player.subFrom === Infinity) late.push(player);
    }
    if (!anyInput || late.length === 0) {
      // Nobody drives this frame (its first input's sender left), or nobody is late: the
      // wait starts again at the next input for it.
      this.firstInputAt.delete(head);
      return;
    }
    const since = lateDeadline - this.lateMs;
    const timedOut: number[] = [];
    let substituted = 0;
    for (const player of late) {
      player.lateSince ??= since;
      if (now - player.lateSince >= this.timeoutMs) {
        timedOut.push(player.info.playerId);
        continue;
      }
      // Substituted for this tick only: the frame ends it.
      player.subFrom = head;
      player.subUntil = head + 1;
      substituted += 1;
    }
    this.onLate(head, substituted, timedOut);
  };
}
