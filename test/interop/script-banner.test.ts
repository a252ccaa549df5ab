/**
 * A banner (and a domain) full of shell syntax, built into the environment by env.ts and handed over by the
 * runner, stays inert in our script, in Debian's and in the wrapper: nothing it names is run, and our script
 * prints it verbatim. Namespaces; root only.
 */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteAllNetns, requireBinaries, requireRoot } from '../helpers/netns.js';
import { DEBIAN_SCRIPT, OUR_SCRIPT, WRAPPER, createScriptBed, destroyScriptBed, mustRun, sampleTunnel, type ScriptBed } from './script-bed.js';

requireRoot();
requireBinaries(['ip', DEBIAN_SCRIPT]);

let bed: ScriptBed | undefined;
const marker = join(tmpdir(), `vpnc-banner-pwned-${process.pid}`);
afterEach(() => {
  destroyScriptBed(bed);
  bed = undefined;
  rmSync(marker, { force: true });
});
afterAll(deleteAllNetns);

const LINES = [
  `Welcome $(touch /tmp/x) $(touch ${marker}) \`touch ${marker}\``,
  `"double" 'single' ; touch ${marker} && touch ${marker} | touch ${marker}`,
  `$((6*7)) \${HOME} $HOME > ${marker} < /etc/passwd # not a comment \\`,
];
const BANNER = LINES.join('\n');

const VARIANTS: Array<{ name: string; script: string; env: Record<string, string>; verbatim: boolean }> = [
  { name: 'our vpnc-script', script: OUR_SCRIPT, env: {}, verbatim: true },
  { name: "Debian's vpnc-script", script: DEBIAN_SCRIPT, env: {}, verbatim: false },
  { name: 'the wrapper example', script: WRAPPER, env: { VPNC_SCRIPT_MAIN: OUR_SCRIPT }, verbatim: true },
];

describe.each(VARIANTS)('$name', (v) => {
  it('runs nothing from the banner or the default domain', async () => {
    const tmpXBefore = existsSync('/tmp/x');
    bed = createScriptBed();
    const tunnel = sampleTunnel({ banner: BANNER, defaultDomain: `corp.example$(touch ${marker})`, splitDns: [`\`touch ${marker}\``] });
    const r = await mustRun(bed, v.script, 'connect', tunnel, v.env);
    await mustRun(bed, v.script, 'disconnect', tunnel, v.env);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync('/tmp/x')).toBe(tmpXBefore);
    expect(r.stdout).toContain('Connect Banner:');
    if (v.verbatim) expect(r.stdout).toContain(`Connect Banner:\n${LINES.map((l) => `| ${l}`).join('\n')}\n`);
  });
});
