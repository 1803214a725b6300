// The property tests' seed: fixed by GAME_NETWORK_FC_SEED (CI), drawn anew otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('fast-check seed', () => {
  it('is the one GAME_NETWORK_FC_SEED names, when it names one', () => {
    const seed = process.env.GAME_NETWORK_FC_SEED;
    const configured = fc.readConfigureGlobal().seed;
    if (seed === undefined || seed === '') expect(configured).toBeUndefined();
    else expect(configured).toBe(Number(seed));
  });
});
