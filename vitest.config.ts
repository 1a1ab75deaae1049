import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` needs nothing running; `integration` (integration and end-to-end tests)
 * talks to the services `adclick up` starts, so it gets longer timeouts and at most two test files
 * at a time (the machine also runs Kafka, Cassandra, the S3 store and Redis); `faults` stops and
 * restarts those services, so `npm test` runs it alone, after the others, one file at a time.
 */
export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
