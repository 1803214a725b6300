// Where a newcomer's frames start: the roster before the log, the newest snapshot, and the start.
import type { ConfirmedFrame, PlayerInfo } from '../types.js';
import type { FrameLog } from './FrameLog.js';
import type { CatchUpStart, MatchSnapshot } from './MatchResults.js';
import { Roster } from './Roster.js';

/**
 * A match's catch-up: who was in the match before the log's first frame (moved past each
 * frame the log drops), the newest snapshot, and from these where a newcomer starts.
 */
export class CatchUp {
  /** Who was in the match just before the log's first frame. */
  private readonly baseRoster = new Roster();
  private latestSnapshot: MatchSnapshot | undefined;

  /** @param log The match's frame log. */
  constructor(private readonly log: FrameLog) {}

  /** The newest snapshot kept, if any. */
  get snapshot(): MatchSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** A frame the log no longer keeps: the base roster moves past it. */
  dropped(frame: ConfirmedFrame): void {
    this.baseRoster.apply(frame);
  }

  /** Everyone in the match just before frame `tick`, from the log; undefined outside it. */
  membersBefore(tick: number): PlayerInfo[] | undefined {
    const { log } = this;
    const frames = log.range(log.firstTick, tick);
    if (frames === undefined || tick > log.lastTick + 1 || !Number.isSafeInteger(tick))
      return undefined;
    const roster = new Roster(this.baseRoster.members());
    for (const frame of frames) roster.apply(frame);
    return roster.members();
  }

  /** Keeps a snapshot before frame `tick` (`head` the next to confirm) if newer and in the log. */
  offer(tick: number, data: Uint8Array, head: number): boolean {
    if (!Number.isSafeInteger(tick) || tick < this.log.firstTick || tick > head) return false;
    if (this.latestSnapshot !== undefined && tick <= this.latestSnapshot.tick) return false;
    this.latestSnapshot = { tick, data };
    return true;
  }

  /** Where a newcomer's frames should start (see `Match.catchUpStart`). */
  start(): CatchUpStart {
    const first = this.log.firstTick;
    const snap = this.latestSnapshot;
    if (first > 0 && snap !== undefined && snap.tick >= first)
      return {
        tick: snap.tick,
        players: this.membersBefore(snap.tick) ?? [],
        snapshot: snap,
        complete: true,
      };
    return { tick: first, players: this.baseRoster.members(), complete: first === 0 };
  }
}
