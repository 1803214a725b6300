/**
 * The demo's referee: the bots' simulation run on the server's own frames of a match, so the
 * bots' checksums can be compared with a world nobody's network touched.
 */
import type { ConfirmedFrame } from '../index.js';
import { Simulation } from './simulation.js';

/** Ticks of checksums kept, to say whose checksum was wrong at a desync. */
const HISTORY = 1024;

/** The simulation on a match's confirmed frames, with its checksum at the game's last tick. */
export class Referee {
  /** Frames stepped so far. */
  frames = 0;
  /** The world's checksum after the game's last tick, once there. */
  finalChecksum: number | undefined;
  private readonly sim: Simulation;
  private readonly sums = new Map<number, number>();
  private endTick: number | undefined;

  /**
   * @param players The game starts at a join that brings the match to this many players.
   * @param ticks Length of the game in ticks, from that join.
   */
  constructor(
    private readonly players: number,
    private readonly ticks: number,
  ) {
    this.sim = new Simulation(players);
  }

  /** Steps the world by one confirmed frame (each once, in tick order). */
  step(frame: ConfirmedFrame): void {
    this.sim.step(frame);
    this.frames++;
    const checksum = this.sim.checksum();
    this.sums.set(frame.tick, checksum);
    this.sums.delete(frame.tick - HISTORY);
    if (frame.joined && frame.joined.length > 0)
      this.endTick =
        this.sim.roundPlayers >= this.players ? frame.tick + this.ticks - 1 : undefined;
    if (frame.tick === this.endTick) this.finalChecksum = checksum;
  }

  /** The world's checksum after `tick`, if it is one of the last 1024 stepped. */
  checksumAt(tick: number): number | undefined {
    return this.sums.get(tick);
  }
}
