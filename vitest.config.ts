import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Backend tests start real etcd and Consul servers: keep the machine (2 cores) from thrashing.
    maxWorkers: 2,
  },
});
