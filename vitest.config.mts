import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Queue mode starts its own cluster of processes: its own lane (vitest.queue.config.mts, scripts/lanes/n8n-queue.mjs).
    exclude: ['**/node_modules/**', 'test/n8n-queue/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers and real runtimes: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    env: { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
  },
});
