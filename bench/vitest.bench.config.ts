import { defineConfig } from 'vitest/config';

/** `npm run bench`: the vpnc comparison on the namespace test bed (root), kept out of `npm test`. */
export default defineConfig({
  test: {
    include: ['bench/vpnc-compare.run.ts'],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
