// The n8n queue-mode lane (scripts/lanes/n8n-queue.mjs): one cluster of Redis, Postgres, an n8n main and two
// workers for the whole lane, so its tests run in one file, alone, after the other lanes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/n8n-queue/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
  },
});
