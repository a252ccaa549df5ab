/**
 * The prerequisite table (test/prereq/prerequisites.json) against what the tests really use, and the check
 * built on it: a missing program or strongSwan plugin is named with its package.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHARON_PLUGINS } from '../../helpers/strongswan.js';
import { formatMissing, loadPrerequisites, missingPrerequisites, pluginPath } from '../../prereq/check.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const table = loadPrerequisites(ROOT);

describe('the prerequisite table', () => {
  it('has a package for exactly the plugins charon is told to load', () => {
    expect(Object.keys(table.strongswanPlugins).sort()).toEqual([...CHARON_PLUGINS].sort());
  });

  it('names only packages that scripts/test-all.sh installs (or, with "via", that one of them depends on)', () => {
    const installed = new Set(Object.keys(table.packages));
    for (const f of table.files) expect(installed.has(f.via ?? f.package), f.path).toBe(true);
    for (const [plugin, pkg] of Object.entries(table.strongswanPlugins)) expect(installed.has(pkg), plugin).toBe(true);
  });
});

describe('scripts/test-all.sh', () => {
  it('installs exactly the packages of the table', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'test-all.sh'), 'utf8');
    const list = /^packages=\(([^)]*)\)/m.exec(script)?.[1];
    expect(list, 'a packages=(...) array').toBeDefined();
    expect(list!.trim().split(/\s+/).sort()).toEqual(Object.keys(table.packages).sort());
    expect(script).toContain('apt-get install -y -q --no-install-recommends "${packages[@]}"');
  });

  it('unpacks exactly the unpacked packages of the table, where the table says', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'test-all.sh'), 'utf8');
    const list = /^unpacked=\(([^)]*)\)/m.exec(script)?.[1];
    expect(list, 'an unpacked=(...) array').toBeDefined();
    expect(list!.trim().split(/\s+/).sort()).toEqual(Object.keys(table.unpacked.packages).sort());
    expect(script).toContain(`unpack_dir=${table.unpacked.dir}\n`);
    for (const f of table.unpacked.files) expect(table.unpacked.packages[f.package], f.path).toBeDefined();
  });
});

describe('missingPrerequisites', () => {
  function scratchPlugins(without: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-plugins-'));
    mkdirSync(dir, { recursive: true });
    for (const p of CHARON_PLUGINS) if (p !== without) writeFileSync(pluginPath(p, dir), '');
    return dir;
  }

  it('names a missing strongSwan plugin with its path and package', () => {
    const dir = scratchPlugins('xauth-generic');
    try {
      const missing = missingPrerequisites({ root: ROOT, unitOnly: false, pluginDir: dir, exists: () => true, uid: 0 });
      expect(missing).toEqual([`strongSwan plugin 'xauth-generic' (${dir}/libstrongswan-xauth-generic.so): install the Debian package libcharon-extauth-plugins`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names missing programs with their package, a program that comes with another package, and root', () => {
    const dir = scratchPlugins('');
    try {
      const resolved = `${table.unpacked.dir}/lib/systemd/systemd-resolved`;
      const missing = missingPrerequisites({ root: ROOT, unitOnly: false, pluginDir: dir, exists: (p) => !['tshark', 'capinfos', '/usr/sbin/vpnc', resolved].includes(p), uid: 1000 });
      expect(missing).toEqual([
        'program tshark: install the Debian package tshark',
        'program capinfos: install the Debian package tshark (it pulls in wireshark-common)',
        'program /usr/sbin/vpnc: install the Debian package vpnc',
        'root: the interop tests build network namespaces and TUN devices (run as root)',
        `${resolved}: unpack the Debian package systemd-resolved there (scripts/test-all.sh does: apt-get download, dpkg-deb -x; never install it, its install scripts change the machine's DNS)`,
      ]);
      expect(formatMissing(missing).split('\n')[0]).toBe('the test suite cannot run: 5 prerequisite(s) missing (scripts/test-all.sh installs them all):');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('for unit tests asks only for what they use, not root or peers', () => {
    expect(missingPrerequisites({ root: ROOT, unitOnly: true, pluginDir: '/nonexistent', exists: () => true, uid: 1000 })).toEqual([]);
  });
});
