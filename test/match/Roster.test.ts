import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Roster } from '../../src/match/Roster.js';
import type { ConfirmedFrame, LeaveReason, PlayerInfo, PlayerLeft } from '../../src/types.js';

const ann: PlayerInfo = { playerId: 0, username: 'ann' };
const bob: PlayerInfo = { playerId: 1, username: 'bob' };
const cat: PlayerInfo = { playerId: 2, username: 'cat' };
const gone = (playerId: number, reason: LeaveReason = 'left', username = ''): PlayerLeft => ({
  playerId,
  username,
  reason,
});

describe('Roster', () => {
  it('starts with the players it is given, or nobody', () => {
    expect(new Roster().members()).toEqual([]);
    const roster = new Roster([bob, ann]);
    expect(roster.members()).toEqual([ann, bob]);
    expect(roster.nameOf(1)).toBe('bob');
    expect(roster.nameOf(2)).toBeUndefined();
  });

  it('adds the players a frame names in joined, by playerId', () => {
    const roster = new Roster([bob]);
    roster.apply({ tick: 0, inputs: [null, null, null], joined: [cat, ann] });
    expect(roster.members()).toEqual([ann, bob, cat]);
  });

  it('fills in the names of leaves from the roster, and removes them', () => {
    const roster = new Roster([ann, bob]);
    const frame: ConfirmedFrame = { tick: 5, inputs: [null, null], left: [gone(0, 'timeout')] };
    const named = roster.apply(frame);
    expect(named).toEqual({ tick: 5, inputs: [null, null], left: [{ ...ann, reason: 'timeout' }] });
    expect(frame.left).toEqual([gone(0, 'timeout')]); // the frame given is not changed
    expect(roster.members()).toEqual([bob]);
  });

  it('returns the same frame when nothing needs a name', () => {
    const roster = new Roster([ann]);
    const plain: ConfirmedFrame = { tick: 0, inputs: [null], joined: [bob] };
    expect(roster.apply(plain)).toBe(plain);
    const named: ConfirmedFrame = { tick: 1, inputs: [null], left: [{ ...ann, reason: 'left' }] };
    expect(roster.apply(named)).toBe(named);
  });

  it('applies joined before left: a player may join and leave in one frame', () => {
    const roster = new Roster();
    const frame = roster.apply({ tick: 3, inputs: [null], joined: [ann], left: [gone(0)] });
    expect(frame.left).toEqual([{ ...ann, reason: 'left' }]);
    expect(roster.members()).toEqual([]);
  });

  it('keeps the name a leave of an unknown slot carries', () => {
    const roster = new Roster();
    const frame: ConfirmedFrame = { tick: 0, inputs: [null], left: [gone(0, 'left', 'zed')] };
    expect(roster.apply(frame)).toBe(frame);
  });

  it('equals a simple model over any sequence of frames', () => {
    const anyFrame = fc.record({
      joined: fc.array(
        fc.record({ playerId: fc.nat({ max: 5 }), username: fc.string({ maxLength: 3 }) }),
        { maxLength: 3 },
      ),
      left: fc.array(
        fc.record({
          playerId: fc.nat({ max: 5 }),
          username: fc.constantFrom('', 'x'),
          reason: fc.constantFrom<LeaveReason>('left', 'timeout', 'kicked', 'error'),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(fc.array(anyFrame, { maxLength: 30 }), (specs) => {
        const roster = new Roster();
        const model = new Map<number, string>();
        specs.forEach(({ joined, left }, tick) => {
          const frame: ConfirmedFrame = {
            tick,
            inputs: [],
            ...(joined.length > 0 ? { joined } : {}),
            ...(left.length > 0 ? { left } : {}),
          };
          for (const p of joined) model.set(p.playerId, p.username);
          const expectedLeft = left.map((p) => {
            const username = model.get(p.playerId) ?? p.username;
            model.delete(p.playerId);
            return { ...p, username };
          });
          const result = roster.apply(frame);
          expect(result.tick).toBe(tick);
          expect(result.joined).toBe(frame.joined);
          expect(result.left ?? []).toEqual(expectedLeft);
          if (expectedLeft.every((p, i) => p.username === left[i].username)) {
            expect(result).toBe(frame);
          }
          const members = [...model]
            .map(([playerId, username]) => ({ playerId, username }))
            .sort((a, b) => a.playerId - b.playerId);
          expect(roster.members()).toEqual(members);
          for (let slot = 0; slot <= 5; slot += 1)
            expect(roster.nameOf(slot)).toBe(model.get(slot));
        });
      }),
      { numRuns: 300 },
    );
  });
});
