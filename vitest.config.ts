import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.tsx',
      // Build steps, such as the console's precompression.
      'apps/*/build/**/*.test.ts',
    ],
    // One PostgreSQL cluster per run for the tests that run on both engines.
    globalSetup: ['packages/store/src/testing/postgres-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store and API tests open real SQLite files; two workers match the CI machine's cores.
    maxWorkers: 2,
  },
});
