import { describe, expect, it } from 'vitest';
import { Button, Controller, GRID, Simulation, mixSeed } from '../../src/cli/simulation.js';
import type { ConfirmedFrame, PlayerInfo } from '../../src/index.js';

const MAX = 4;

/** A scripted match: slots 0 and 1 from tick 0, slot 2 joins at `lateJoin`, slot 1 leaves at `leave`. */
function match(ticks: number, lateJoin = 40, leave = 70, seed = 1): ConfirmedFrame[] {
  const controllers = [0, 1, 2].map((slot) => new Controller(mixSeed(seed, slot), 2));
  const info = (playerId: number): PlayerInfo => ({ playerId, username: `p${playerId}` });
  const frames: ConfirmedFrame[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const present = [true, tick < leave, tick >= lateJoin, false];
    const inputs = present.map((p, slot) => (p ? controllers[slot].next() : null));
    const joined = tick === 0 ? [info(0), info(1)] : tick === lateJoin ? [info(2)] : undefined;
    const left = tick === leave ? [{ ...info(1), reason: 'left' as const }] : undefined;
    frames.push({ tick, inputs, ...(joined ? { joined } : {}), ...(left ? { left } : {}) });
  }
  return frames;
}

function run(frames: readonly ConfirmedFrame[]): { sim: Simulation; checksums: number[] } {
  const sim = new Simulation(MAX);
  const checksums = frames.map((f) => {
    sim.step(f);
    return sim.checksum();
  });
  return { sim, checksums };
}

describe('the simulation', () => {
  it('is deterministic: the same frames give the same checksum at every tick', () => {
    const a = run(match(200));
    const b = run(match(200));
    expect(a.checksums).toEqual(b.checksums);
    expect(a.sim.encode()).toEqual(b.sim.encode());
    // And the checksum is not constant.
    expect(new Set(a.checksums).size).toBeGreaterThan(150);
  });

  it('different frames give a different checksum: one input bit, in any byte', () => {
    const frames = match(120);
    const base = run(frames).checksums;
    for (const [tick, slot, byte, bit] of [
      [10, 0, 0, Button.Left],
      [50, 2, 1, 1],
      [100, 0, 1, 0x80],
    ] as const) {
      const changed = frames.map((f) =>
        f.tick !== tick
          ? f
          : {
              ...f,
              inputs: f.inputs.map((input, s) => {
                if (s !== slot || !input) return input;
                const copy = input.slice();
                copy[byte] ^= bit;
                return copy;
              }),
            },
      );
      const sums = run(changed).checksums;
      expect(sums.slice(0, tick)).toEqual(base.slice(0, tick));
      // Different from the changed tick on, up to the next join: a join starts a new round,
      // from which the worlds are equal again (the per-tick checksums caught the difference).
      const nextJoin = tick < 40 ? 40 : frames.length;
      for (let t = tick; t < nextJoin; t++) expect(sums[t]).not.toBe(base[t]);
      expect(sums.slice(nextJoin)).toEqual(base.slice(nextJoin));
    }
  });

  it('a different seed of the controllers gives a different world', () => {
    expect(run(match(120, 40, 70, 1)).checksums[119]).not.toBe(
      run(match(120, 40, 70, 2)).checksums[119],
    );
  });

  it('a late joiner computes the same world from its first frame (its join) on', () => {
    const frames = match(150, 40, 70);
    const everyone = run(frames).checksums;
    const late = run(frames.slice(40)).checksums;
    expect(late).toEqual(everyone.slice(40));
  });

  it('starts a round at each join, counting the players in it', () => {
    const sim = new Simulation(MAX);
    const frames = match(80, 40, 70);
    sim.step(frames[0]);
    expect(sim.roundStart).toBe(0);
    expect(sim.roundPlayers).toBe(2);
    for (const f of frames.slice(1, 41)) sim.step(f);
    expect(sim.roundStart).toBe(40);
    expect(sim.roundPlayers).toBe(3);
    for (const f of frames.slice(41)) sim.step(f);
    // A leave is not a new round; the leaver's dot is gone.
    expect(sim.roundStart).toBe(40);
    expect(sim.dots[1]).toBeNull();
    expect(sim.players).toBe(2);
  });

  it('moves dots by their buttons on the wrapping grid, and scores the gem', () => {
    const sim = new Simulation(1);
    const frame = (tick: number, buttons: number): ConfirmedFrame => ({
      tick,
      inputs: [Uint8Array.of(buttons)],
      ...(tick === 0 ? { joined: [{ playerId: 0, username: 'a' }] } : {}),
    });
    sim.step(frame(0, 0));
    const start = sim.dots[0]!;
    sim.step(frame(1, Button.Right | Button.Down));
    expect(sim.dots[0]).toMatchObject({ x: start.x + 1, y: start.y + 1 });
    sim.step(frame(2, Button.Left | Button.Dash));
    expect(sim.dots[0]).toMatchObject({ x: start.x - 1, y: start.y + 1 });
    for (let t = 3; t < 3 + GRID; t++) sim.step(frame(t, Button.Up));
    expect(sim.dots[0]).toMatchObject({ x: start.x - 1, y: start.y + 1 }); // wrapped around
    // Walk to the gem: a point, and the gem moves.
    let t = 3 + GRID;
    const gem = { x: sim.gemX, y: sim.gemY };
    while (sim.dots[0]!.x !== gem.x) sim.step(frame(t++, Button.Right));
    while (sim.dots[0]!.y !== gem.y) sim.step(frame(t++, Button.Down));
    expect(sim.dots[0]!.score).toBeGreaterThanOrEqual(1);
  });

  it('refuses frames out of order', () => {
    const sim = new Simulation(MAX);
    const frames = match(5);
    sim.step(frames[0]);
    expect(() => sim.step(frames[2])).toThrow(/tick 2 after tick 0/);
    expect(() => sim.step(frames[0])).toThrow(/tick 0 after tick 0/);
  });

  it('corrupt() changes the checksum (the --desync-at switch)', () => {
    const sim = new Simulation(MAX);
    sim.step(match(1)[0]);
    const before = sim.checksum();
    sim.corrupt();
    expect(sim.checksum()).not.toBe(before);
  });
});

describe('the controller', () => {
  it('is deterministic from its seed, holds buttons for a while, and changes now and then', () => {
    const seq = (seed: number) => {
      const c = new Controller(seed, 3);
      return Array.from({ length: 600 }, () => c.next());
    };
    const a = seq(5);
    expect(seq(5)).toEqual(a);
    expect(seq(6)).not.toEqual(a);
    expect(a.every((i) => i.length === 3 && i[2] === 0)).toBe(true);
    const buttons = a.map((i) => i[0]);
    let changes = 0;
    for (let i = 1; i < buttons.length; i++) if (buttons[i] !== buttons[i - 1]) changes++;
    expect(changes).toBeGreaterThan(5); // it does change
    expect(changes).toBeLessThan(100); // but mostly holds
    expect(buttons.every((b) => (b & ~0x1f) === 0)).toBe(true);
  });
});
