import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // A fixed fast-check seed when GAME_NETWORK_FC_SEED is set (CI), a new one each run otherwise.
    setupFiles: ['test/fastCheckSeed.ts'],
  },
});
