import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Interop tests share network namespaces, daemons and ports: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Checks every prerequisite once (fails at once, naming the package) and sweeps what tests left behind.
    globalSetup: ['test/prereq/global-setup.ts'],
  },
});
