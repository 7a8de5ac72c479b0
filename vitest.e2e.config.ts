import { defineConfig } from 'vitest/config';

/** Browser tests: a real server on the embedded database, driven through system Chromium. */
export default defineConfig({
  test: {
    include: ['apps/*/e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits up to 1 s by default: a hang guard that short flakes on a loaded machine.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    maxWorkers: 1,
  },
});
