import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start their own redis-server and Kafka-protocol broker on free ports.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
