/**
 * The suite's prerequisites, checked once before the first test: every program and strongSwan plugin the tests
 * use (test/prereq/prerequisites.json), root, the TUN device and the built addon. What is missing is reported
 * in one list naming the Debian package that provides it, so that a new machine fails in seconds with the fix
 * in the message instead of failing test by test after timeouts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Prerequisites {
  packages: Record<string, string>;
  files: { path: string; package: string; via?: string }[];
  strongswanPlugins: Record<string, string>;
  /** Packages unpacked under `dir`, never installed (scripts/test-all.sh unpacks them). */
  unpacked: { dir: string; packages: Record<string, string>; files: { path: string; package: string }[] };
}

/** Where an unpacked package's file is. */
export function unpackedPath(table: Prerequisites, path: string): string {
  return join(table.unpacked.dir, path);
}

export const STRONGSWAN_PLUGIN_DIR = '/usr/lib/ipsec/plugins';

export function loadPrerequisites(root: string): Prerequisites {
  return JSON.parse(readFileSync(join(root, 'test', 'prereq', 'prerequisites.json'), 'utf8')) as Prerequisites;
}

export function pluginPath(name: string, dir = STRONGSWAN_PLUGIN_DIR): string {
  return join(dir, `libstrongswan-${name}.so`);
}

function onPath(name: string): boolean {
  if (name.includes('/')) return existsSync(name);
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface CheckOptions {
  root: string;
  /** Only what unit tests need (no root, no peers). */
  unitOnly: boolean;
  /** Where strongSwan's plugins are (tests point it at a scratch folder). */
  pluginDir?: string;
  /** Whether a program exists (tests replace it). */
  exists?: (path: string) => boolean;
  uid?: number;
}

/** Returns one line per missing prerequisite ("what: how to get it"); empty when all is there. */
export function missingPrerequisites(o: CheckOptions): string[] {
  const table = loadPrerequisites(o.root);
  const exists = o.exists ?? onPath;
  const missing: string[] = [];
  const needPackage = (what: string, pkg: string, via?: string) =>
    missing.push(`${what}: install the Debian package ${via ? `${via} (it pulls in ${pkg})` : pkg}`);
  if (!existsSync(join(o.root, 'build', 'Release', 'packet_io.node'))) {
    missing.push('the native addon build/Release/packet_io.node: run `npm ci` (it builds it with node-gyp: python3, make, g++)');
  }
  const unitPrograms = new Set(['script', 'openssl']);
  for (const f of table.files) {
    if (o.unitOnly && !unitPrograms.has(f.path)) continue;
    if (!exists(f.path)) needPackage(`program ${f.path}`, f.package, f.via);
  }
  if (o.unitOnly) return missing;
  if ((o.uid ?? process.getuid?.()) !== 0) missing.push('root: the interop tests build network namespaces and TUN devices (run as root)');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun: load the tun module (modprobe tun) or give the container the device');
  for (const [plugin, pkg] of Object.entries(table.strongswanPlugins)) {
    const path = pluginPath(plugin, o.pluginDir);
    if (!existsSync(path)) needPackage(`strongSwan plugin '${plugin}' (${path})`, pkg);
  }
  for (const f of table.unpacked.files) {
    const path = unpackedPath(table, f.path);
    if (!exists(path)) missing.push(`${path}: unpack the Debian package ${f.package} there (scripts/test-all.sh does: apt-get download, dpkg-deb -x; never install it, its install scripts change the machine's DNS)`);
  }
  return missing;
}

export function formatMissing(missing: string[]): string {
  return [
    `the test suite cannot run: ${missing.length} prerequisite(s) missing (scripts/test-all.sh installs them all):`,
    ...missing.map((m) => `  - ${m}`),
  ].join('\n');
}
