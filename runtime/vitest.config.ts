import { defineConfig } from 'vitest/config';

// spin-local's own tests (`npm test` in this folder): the fixture guest on the real runtime. In the
// repository that holds it, the root vitest.config.ts runs these files too, in its tiers.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Guards against hangs only; nothing here asserts on speed.
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
