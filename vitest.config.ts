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
  },
});
