import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputLead } from '../../src/match/InputLead.js';

/** The definition: the sample is the tick minus the newest tick of the slowest other player. */
class Model {
  private readonly newest: (number | undefined)[];
  private readonly average: (number | undefined)[];
  constructor(n: number) {
    this.newest = new Array<number | undefined>(n).fill(undefined);
    this.average = new Array<number | undefined>(n).fill(undefined);
  }
  input(slot: number, tick: number): void {
    const top = this.newest[slot];
    if (top !== undefined && tick <= top) return;
    this.newest[slot] = tick;
    const others = this.newest.filter((t, q): t is number => q !== slot && t !== undefined);
    if (others.length === 0) return;
    const sample = tick - Math.min(...others);
    const avg = this.average[slot];
    this.average[slot] = avg === undefined ? sample : avg + (sample - avg) / 8;
  }
  forget(slot: number): void {
    this.newest[slot] = undefined;
    this.average[slot] = undefined;
  }
  lead(slot: number): number | undefined {
    return this.average[slot];
  }
}

describe('InputLead', () => {
  it('gives each player its lead over the slowest other one, as the definition does', () => {
    const players = 5;
    const op = fc.oneof(
      fc.record({ slot: fc.nat(players - 1), step: fc.integer({ min: -2, max: 4 }) }),
      fc.record({ forget: fc.nat(players - 1) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const lead = new InputLead(players);
        const model = new Model(players);
        const ticks = new Array<number>(players).fill(0);
        for (const o of ops) {
          if ('forget' in o) {
            lead.forget(o.forget);
            model.forget(o.forget);
          } else {
            ticks[o.slot] += o.step;
            lead.input(o.slot, ticks[o.slot]);
            model.input(o.slot, ticks[o.slot]);
          }
          for (let s = 0; s < players; s++) expect(lead.lead(s)).toBe(model.lead(s));
        }
      }),
    );
  });

  it('compares the slowest player with the slowest of the others, once another has passed a third', () => {
    const lead = new InputLead(3);
    lead.input(0, 0);
    lead.input(1, 1);
    lead.input(2, 2);
    lead.input(1, 5); // the second slowest passes player 2
    lead.input(0, 1); // slowest other is now player 2, at tick 2
    expect(lead.lead(0)).toBe(-1);
  });
});
