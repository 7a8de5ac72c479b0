import { defineConfig } from 'vitest/config';

/** Browser tests: a real server on the embedded database, driven through system Chromium. */
export default defineConfig({
  test: {
    include: ['apps/*/e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
