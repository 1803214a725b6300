// The Assembler's own surface; its frame rules are tested through lockstep() in
// test/operators/lockstep.test.ts.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../../src/match/Assembler.js';
import type { LockstepWarning } from '../../src/match/AssemblerOptions.js';
import type { ConfirmedFrame } from '../../src/types.js';

function setup(options: { maxPlayers?: number; disconnectTimeoutMs?: number } = {}) {
  const frames: ConfirmedFrame[] = [];
  const warnings: LockstepWarning[] = [];
  const scheduler = new VirtualTimeScheduler();
  const assembler = new Assembler({
    maxPlayers: options.maxPlayers ?? 3,
    inputSize: 1,
    maxTicksAhead: 8,
    disconnectTimeoutMs: options.disconnectTimeoutMs ?? 10,
    scheduler,
    onWarning: (w) => warnings.push(w),
    onFrame: (f) => frames.push(f),
  });
  return { assembler, frames, warnings, scheduler };
}
const one = Uint8Array.of(1);

describe('Assembler', () => {
  it('emits frames through onFrame and moves its head', () => {
    const { assembler, frames } = setup();
    expect(assembler.head).toBe(0);
    expect(assembler.join(0, 'ann', 0)).toBe(true);
    assembler.input(0, 0, one);
    expect(frames.map((f) => f.tick)).toEqual([0]);
    expect(assembler.head).toBe(1);
  });

  it('says whether a join or a leave was taken', () => {
    const { assembler, warnings } = setup();
    expect(assembler.join(0, 'ann', 0)).toBe(true);
    expect(assembler.join(0, 'bob', 0)).toBe(false);
    expect(assembler.leave(2, 'left')).toBe(false);
    expect(assembler.leave(0, 'left')).toBe(true);
    expect(warnings.map((w) => w.code)).toEqual(['slot-taken', 'unknown-player']);
  });

  it('tells which slots are free: not held, not left at the head, in range', () => {
    const { assembler } = setup();
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 0);
    assembler.join(2, 'cat', 3); // pending
    assembler.input(0, 0, one);
    assembler.leave(1, 'left'); // frame 0 is complete: it names bob's leave
    assembler.input(0, 1, one); // frame 1
    assembler.leave(0, 'kicked'); // frame 2 waits for nobody: it names ann's leave
    expect(assembler.head).toBe(3);
    expect([0, 1, 2].map((slot) => assembler.isSlotFree(slot))).toEqual([true, true, false]);
    expect([-1, 3, 0.5].map((slot) => assembler.isSlotFree(slot))).toEqual([false, false, false]);
  });

  it('keeps a slot left at the head taken until that frame is emitted', () => {
    const { assembler, frames } = setup();
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 0);
    assembler.leave(1, 'left');
    expect(assembler.isSlotFree(1)).toBe(false);
    expect(assembler.joinTickOf(1)).toBe(0);
    assembler.input(0, 0, one);
    expect(frames[0].left).toEqual([{ playerId: 1, username: 'bob', reason: 'left' }]);
    expect(assembler.isSlotFree(1)).toBe(true);
    expect(assembler.joinTickOf(1)).toBeUndefined();
  });

  it('lists members, and the members before a tick for a join there', () => {
    const { assembler } = setup();
    assembler.join(2, 'cat', 0);
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 2); // pending
    expect(assembler.members().map((p) => p.username)).toEqual(['ann', 'bob', 'cat']);
    expect(assembler.membersBefore(0)).toEqual([]);
    expect(assembler.membersBefore(1).map((p) => p.username)).toEqual(['ann', 'cat']);
    expect(assembler.membersBefore(3).map((p) => p.username)).toEqual(['ann', 'bob', 'cat']);
    expect(assembler.joinTickOf(1)).toBe(2);
  });

  it('counts a player leaving at the head among the members before the head, not after', () => {
    const { assembler } = setup();
    assembler.join(0, 'ann', 0);
    assembler.join(2, 'cat', 0);
    assembler.input(0, 0, one);
    assembler.input(2, 0, one);
    assembler.leave(2, 'left'); // at head 1, frame 1 waits for ann
    expect(assembler.members().map((p) => p.username)).toEqual(['ann']);
    expect(assembler.membersBefore(1).map((p) => p.username)).toEqual(['ann', 'cat']);
    expect(assembler.membersBefore(2).map((p) => p.username)).toEqual(['ann']);
  });

  it('does not count a player that joins and leaves at the head before it', () => {
    const { assembler } = setup();
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 0);
    assembler.leave(1, 'left');
    expect(assembler.membersBefore(0)).toEqual([]);
  });

  it('cancels the timer, drops everything and ignores every call once disposed', () => {
    const { assembler, frames, scheduler } = setup();
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 0);
    assembler.input(0, 0, one); // the timer runs: bob is missing
    assembler.dispose();
    scheduler.flush();
    expect(frames).toEqual([]);
    expect(assembler.join(2, 'cat', 1)).toBe(false);
    expect(assembler.leave(0, 'left')).toBe(false);
    assembler.input(1, 0, one);
    expect(frames).toEqual([]);
    expect(assembler.members()).toEqual([]);
    expect(assembler.isSlotFree(2)).toBe(false);
    assembler.dispose(); // twice is fine
  });

  it('stops emitting when disposed from inside onFrame', () => {
    const frames: number[] = [];
    const assembler: Assembler = new Assembler({
      maxPlayers: 1,
      onFrame: (f) => {
        frames.push(f.tick);
        assembler.dispose();
      },
    });
    assembler.join(0, 'ann', 0);
    assembler.input(0, 1, one);
    assembler.input(0, 0, one); // completes 0 and 1; disposed after 0
    expect(frames).toEqual([0]);
  });

  it('drops a stalling player with the timeout on its scheduler', () => {
    const { assembler, frames, scheduler } = setup({ disconnectTimeoutMs: 10 });
    assembler.join(0, 'ann', 0);
    assembler.join(1, 'bob', 0);
    assembler.input(0, 0, one);
    scheduler.flush();
    expect(scheduler.now()).toBe(10);
    expect(frames[0].left).toEqual([{ playerId: 1, username: 'bob', reason: 'timeout' }]);
  });

  it('validates its options', () => {
    const onFrame = (): void => {};
    expect(() => new Assembler({ maxPlayers: 0, onFrame })).toThrow(RangeError);
    expect(() => new Assembler({ maxPlayers: 1, maxTicksAhead: 0, onFrame })).toThrow(RangeError);
  });
});
