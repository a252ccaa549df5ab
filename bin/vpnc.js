#!/usr/bin/env node
// Launcher. The compiled entry point is dist/cli/vpnc.js (built by `npm install` / `npm run build`), also
// bundled into dist/bundle/vpnc.js, which starts faster; the bundle is used unless it is older than the
// modules (a `tsc` run without re-bundling).
import { statSync } from 'node:fs';

const modules = new URL('../dist/cli/vpnc.js', import.meta.url);
const bundle = new URL('../dist/bundle/vpnc.js', import.meta.url);
let entry = modules;
try {
  if (statSync(bundle).mtimeMs >= statSync(modules).mtimeMs) entry = bundle;
} catch {
  /* no bundle: use the modules */
}
const { main } = await import(entry.href);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`vpnc: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
