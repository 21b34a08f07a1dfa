import { defineConfig } from 'vitest/config';

// One project per group of tests; `npm test` runs them all, `vitest run --project NAME` one.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts', './test/support/clause-reporter.ts'],
    projects: [
      {
        test: {
          name: 'core',
          include: ['packages/core/src/**/*.test.ts'],
          setupFiles: ['./test/support/test-clock.ts'],
        },
      },
      {
        test: {
          name: 'store',
          include: ['packages/store/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'server',
          include: ['packages/server/src/**/*.test.ts', 'test/*.test.ts'],
          setupFiles: ['./test/support/test-clock.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'cli',
          include: ['packages/cli/src/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
          // One Chromium at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
