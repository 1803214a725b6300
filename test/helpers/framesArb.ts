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

/** Consecutive frames with slots coming and going, joins, leaves and substitutions. */
export const framesArb: fc.Arbitrary<ConfirmedFrame[]> = fc
  .tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 24 }))
  .chain(([first, n]) =>
    fc
      .array(
        fc.record({
          inputs: fc.array(fc.option(input, { nil: null, freq: 4 }), {
            minLength: 4,
            maxLength: 4,
          }),
          joined: fc.option(
            fc.array(
              fc.record({
                playerId: fc.integer({ min: 0, max: 3 }),
                username: fc.constantFrom('ann', 'bo'),
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
                  username: fc.constant(''),
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
