// Property tests draw a new seed each run, except when GAME_NETWORK_FC_SEED names one (CI: the same inputs every run, a failure reproducible).
import fc from 'fast-check';

const seed = process.env.GAME_NETWORK_FC_SEED;
if (seed !== undefined && seed !== '') {
  const n = Number(seed);
  if (!Number.isInteger(n)) throw new Error(`GAME_NETWORK_FC_SEED must be an integer, not ${seed}`);
  fc.configureGlobal({ seed: n });
}
