import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
    // Hang guards, not performance checks: a loaded 2-core CI machine must not flake.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits up to 1 s by default: a hang guard that short flakes on a loaded machine.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    maxWorkers: 2,
  },
});
