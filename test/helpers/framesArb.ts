// Random runs of consecutive frames for property tests of the frames codec: slots coming and going, joins, leaves, substitutions.
import fc from 'fast-check';
import type { ConfirmedFrame, PlayerLeft } from '../../src/types.js';

/** Few distinct inputs, so that runs of repeats (one bit each) are common. */
const input = fc.constantFrom(
  Uint8Array.of(0, 0),
  Uint8Array.of(0, 1),
  Uint8Array.of(0x80, 0x01),
  Uint8Array.of(0xff, 0xff),
);

const reason = fc.constantFrom(
  'left' as const,
  'timeout' as const,
  'kicked' as const,
  'error' as const,
);

/** What {@link framesArbWith} varies. */
export interface FramesArbOptions {
  /** The first frame's tick. */
  readonly firstTick: fc.Arbitrary<number>;
  /** How many frames, at least and at most. */
  readonly minFrames: number;
  readonly maxFrames: number;
  /** An input (inputSize 2). */
  readonly input: fc.Arbitrary<Uint8Array>;
  /** A username of a join. */
  readonly name: fc.Arbitrary<string>;
  /** The username of a leave: what a decoder gives back is '' (the wire names slots only). */
  readonly leaveName: fc.Arbitrary<string>;
}

/** Consecutive frames of 4 slots with slots coming and going, joins, leaves and substitutions. */
export function framesArbWith(o: FramesArbOptions): fc.Arbitrary<ConfirmedFrame[]> {
  return fc
    .tuple(o.firstTick, fc.integer({ min: o.minFrames, max: o.maxFrames }))
    .chain(([first, n]) =>
      fc
        .array(
          fc.record({
            inputs: fc.array(fc.option(o.input, { nil: null, freq: 4 }), {
              minLength: 4,
              maxLength: 4,
            }),
            joined: fc.option(
              fc.array(
                fc.record({
                  playerId: fc.integer({ min: 0, max: 3 }),
                  username: o.name,
                }),
                {
                  minLength: 1,
                  maxLength: 2,
                },
              ),
              { nil: undefined },
            ),
            left: fc.option(
              fc
                .uniqueArray(
                  fc.record({
                    playerId: fc.integer({ min: 0, max: 3 }),
                    username: o.leaveName,
                    reason,
                  }),
                  { minLength: 1, maxLength: 4, selector: (l: PlayerLeft) => l.playerId },
                )
                .map((l) => l.sort((a, b) => a.playerId - b.playerId)),
              { nil: undefined },
            ),
            substituted: fc.option(
              fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
              { nil: undefined },
            ),
          }),
          { minLength: n, maxLength: n },
        )
        .map((fs) =>
          fs.map((f, i): ConfirmedFrame => {
            const inputs = f.inputs.slice();
            const subs = f.substituted ? [...f.substituted].sort((a, b) => a - b) : undefined;
            if (subs) for (const slot of subs) inputs[slot] ??= Uint8Array.of(0, 0);
            return {
              tick: first + i,
              inputs,
              ...(f.joined ? { joined: f.joined } : {}),
              ...(f.left ? { left: f.left } : {}),
              ...(subs ? { substituted: subs } : {}),
            };
          }),
        ),
    );
}

/** Frames from any tick, 1 to 24 of them, few distinct inputs, leaves unnamed. */
export const framesArb: fc.Arbitrary<ConfirmedFrame[]> = framesArbWith({
  firstTick: fc.integer({ min: 0, max: 1_000_000 }),
  minFrames: 1,
  maxFrames: 24,
  input,
  name: fc.constantFrom('ann', 'bo'),
  leaveName: fc.constant(''),
});
