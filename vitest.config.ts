import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start their own redis-server on free ports; one Apache Kafka broker serves
    // the run (global set-up), and the fault tests start brokers of their own.
    globalSetup: ['test/support/kafka/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two files at a time, on a 2-core machine too (vitest's default there is one): serial, the suite took
    // 11.5 min of vitest time, over the 10-minute bound; two at once 7.6 min, every file passing. Each file
    // starts its own Redis on free ports and each test writes the shared broker under a fresh topic prefix, so files
    // do not meet.
    maxWorkers: 2,
  },
});
