import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Guards against hangs only; nothing here asserts on speed (that is `npm run bench`).
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Compiles runtime/ and builds the Wasm its end-to-end tests load (incremental; see the file).
    globalSetup: ['tests/runtime/global-setup.ts'],
  },
});
