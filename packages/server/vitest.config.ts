import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file starts its own redis-server and workers on free ports; one file at a time keeps
    // a 2-core machine from timing out.
    fileParallelism: false,
  },
});
