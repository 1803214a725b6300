// Marble-testing your own operators on top of frames, with RxJS's TestScheduler: the README's
// example, runnable without a test runner (`npx tsx examples/marbles.ts`). In a vitest or jest
// test, pass `(actual, expected) => expect(actual).toEqual(expected)` to the TestScheduler.
import { deepStrictEqual } from 'node:assert/strict';
import { scan, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { lockstep, type ConfirmedFrame, type LockstepEvent } from '../src/index.js';

/** Your operator: the sum of every input's first byte so far (a stand-in for a simulation). */
const score = (): OperatorFunction<ConfirmedFrame, number> =>
  scan((total, frame) => total + frame.inputs.reduce((s, input) => s + (input?.[0] ?? 0), 0), 0);

const testScheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => deepStrictEqual(actual, expected));

// 1. A cold Observable of confirmed frames, through your operator.
testScheduler().run(({ cold, expectObservable }) => {
  const frames = cold<ConfirmedFrame>('-a-b-c|', {
    a: { tick: 0, inputs: [Uint8Array.of(1), Uint8Array.of(2)] },
    b: { tick: 1, inputs: [Uint8Array.of(3), null] },
    c: { tick: 2, inputs: [null, Uint8Array.of(4)] },
  });
  expectObservable(frames.pipe(score())).toBe('-x-y-z|', { x: 3, y: 6, z: 10 });
});

// 2. The library's lockstep assembler in virtual time: a player who sends nothing is dropped
//    after `disconnectTimeoutMs`, and the frame goes out without it.
testScheduler().run(({ cold, expectObservable }) => {
  const input = Uint8Array.of(7);
  const events = cold<LockstepEvent>('abc', {
    a: { type: 'join', playerId: 0, username: 'ann', tick: 0 },
    b: { type: 'join', playerId: 1, username: 'bob', tick: 0 },
    c: { type: 'input', playerId: 0, tick: 0, input },
  });
  const frames = events.pipe(lockstep({ maxPlayers: 2, disconnectTimeoutMs: 100 }));
  // The timer starts with ann's input (frame 2) and fires 100 frames later.
  expectObservable(frames).toBe('102ms x', {
    x: {
      tick: 0,
      inputs: [input, null],
      joined: [
        { playerId: 0, username: 'ann' },
        { playerId: 1, username: 'bob' },
      ],
      left: [{ playerId: 1, username: 'bob', reason: 'timeout' }],
    },
  });
});

console.log('both marble tests passed');
