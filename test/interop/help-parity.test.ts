/**
 * Our `vpnc --long-help` (commander with vpnc's help formatter) against Debian's: every row of vpnc's table
 * comes out byte for byte, then our extensions follow. The differences are named: the program name (vpnc
 * prints its argv[0]), the version in the default application version, the line on `--auth-mode cert`
 * (implemented here), and the tail (our rows and commands, where to report bugs). Needs Debian's vpnc, no root.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/options.js';
import { VPNC_COMPAT_VERSION } from '../../src/version.js';

const DEBIAN_VPNC = '/usr/sbin/vpnc';
const OURS = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js');

function help(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('vpnc --long-help against Debian\'s', () => {
  it('vpnc\'s rows byte for byte, then ours', () => {
    const theirs = help([DEBIAN_VPNC, '--long-help']);
    const ours = help(['node', OURS, '--long-help']);
    const firstExtension = OPTIONS.find((o) => o.extension)!;
    const ourVpncPart = ours.slice(0, ours.indexOf(`  ${firstExtension.option} `));
    const theirVpncPart = theirs
      .slice(0, theirs.indexOf('Report bugs to '))
      .replace(`Usage: ${DEBIAN_VPNC} `, 'Usage: vpnc ')
      .replace(/Cisco Systems VPN Client [^:\n]+:/, `Cisco Systems VPN Client ${VPNC_COMPAT_VERSION}:`)
      .replace('* cert:   server + client certificate (not implemented yet)', '* cert:   server + client certificate (main mode with RSA signatures; --cert, --key)');
    expect(ourVpncPart).toBe(theirVpncPart);
    expect(ours.length).toBeGreaterThan(ourVpncPart.length);
    expect(ours.endsWith("\nReport bugs at the project's issue tracker\n")).toBe(true);
  });
});
