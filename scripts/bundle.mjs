// Bundles the compiled `vpnc` command into one file (dist/bundle/vpnc.js). Loading ~80 ES modules costs
// Node 50-70 ms at every start; one file costs ~18 ms, which matters for the time to the first packet (and
// twice in background mode, where a second process starts). dist/bundle/ sits at the same depth as the other
// dist/ folders, so paths relative to import.meta.url (the native addon, scripts/) stay valid.
// Packages stay outside the bundle: commander and node-forge load from the installed package's node_modules
// (both are `dependencies`, which the other three commands need anyway). Inlining commander measured no faster.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/vpnc.js'],
  outfile: 'dist/bundle/vpnc.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
