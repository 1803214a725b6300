// `replay --verify`: the demo's simulation re-run on a replay's frames, against the checksums recorded.
import type { ReplayFile } from '../replay/readReplay.js';
import { Simulation } from './simulation.js';

/** What re-running the simulation found. */
export interface VerifyResult {
  /** Recorded checksums compared. */
  readonly compared: number;
  /** Those that differ from the simulation's, oldest first. */
  readonly mismatches: readonly {
    readonly tick: number;
    readonly playerId: number;
    readonly recorded: number;
    readonly simulated: number;
  }[];
  /** Checksums for ticks the replay has no frame for (not compared). */
  readonly outside: number;
  /** The simulation's checksum after the last frame (undefined with no frame). */
  readonly finalChecksum: number | undefined;
}

/**
 * Steps the demo's simulation through every frame and compares each recorded checksum with
 * the simulation's after the same tick. Holds one checksum per tick that has a report.
 */
export function verifyReplay(replay: ReplayFile): VerifyResult {
  const wanted = new Set<number>();
  for (const r of replay.reports) if (r.type === 'checksum') wanted.add(r.tick);
  const simulated = new Map<number, number>();
  const sim = new Simulation(replay.header.maxPlayers);
  let finalChecksum: number | undefined;
  for (const frame of replay.frames()) {
    sim.step(frame);
    if (wanted.has(frame.tick)) simulated.set(frame.tick, sim.checksum());
  }
  if (sim.tick >= 0) finalChecksum = sim.checksum();
  let compared = 0;
  let outside = 0;
  const mismatches: VerifyResult['mismatches'][number][] = [];
  for (const r of replay.reports) {
    if (r.type !== 'checksum') continue;
    const s = simulated.get(r.tick);
    if (s === undefined) {
      outside++;
      continue;
    }
    compared++;
    if (s !== r.checksum)
      mismatches.push({ tick: r.tick, playerId: r.playerId, recorded: r.checksum, simulated: s });
  }
  mismatches.sort((a, b) => a.tick - b.tick || a.playerId - b.playerId);
  return { compared, mismatches, outside, finalChecksum };
}
