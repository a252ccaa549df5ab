#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/gateway/cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`vpnc-gateway: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
