/**
 * Installed like a program: `npm pack` of this tree, then `npm install -g` of the tarball into a fresh prefix
 * (the native addon built at install, the dependencies from the registry). The installed commands work,
 * `vpnc --version` names the default script and the profile folder, the tarball holds the built JavaScript and
 * no tests or sources, and the one-command demo passes with the installed commands. Root (the demo); never
 * skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/netns.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS = ['vpnc', 'vpnc-disconnect', 'pcf2vpnc', 'vpnc-gateway'] as const;

describe('npm pack, then npm install -g of the tarball into a fresh prefix', () => {
  let dir: string;
  let tarball: string;
  let prefix: string;
  beforeAll(() => {
    requireRoot();
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-install-'));
    // dist/ is built before the suite runs (npm test's pretest); --ignore-scripts keeps prepack from rebuilding
    // it under the other tests' feet.
    const name = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
    tarball = join(dir, name);
    prefix = join(dir, 'prefix');
    // node-gyp builds against the Node headers on the machine when there are (it cannot download them here).
    const env = { ...process.env, ...(existsSync('/usr/include/node') ? { npm_config_nodedir: '/usr' } : {}) };
    const r = spawnSync('npm', ['install', '-g', '--no-audit', '--no-fund', '--allow-scripts=vpnc-ts', '--prefix', prefix, tarball], { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm install -g failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the built JavaScript, the script, the unit and the addon sources, but no tests or TypeScript sources', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['package/dist/cli/vpnc.js', 'package/dist/bundle/vpnc.js', 'package/bin/vpnc.js', 'package/scripts/vpnc-script', 'package/systemd/vpnc@.service', 'package/binding.gyp', 'package/native/packet_io.cc']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^package\/(test|src|bench|build)\//.test(f))).toEqual([]);
  });

  it('every command is installed and runs; vpnc --version names the default script and the profile folder', () => {
    for (const c of COMMANDS) expect(existsSync(join(prefix, 'bin', c)), c).toBe(true);
    const version = execFileSync(join(prefix, 'bin', 'vpnc'), ['--version'], { encoding: 'utf8' });
    expect(version).toMatch(/^vpnc version 0\.5\.3 /);
    expect(version).toContain(join(prefix, 'lib', 'node_modules', 'vpnc-ts', 'scripts', 'vpnc-script'));
    expect(version).toMatch(/^Profiles: \/etc\/vpnc\/NAME or NAME\.conf/m);
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'vpnc-ts', 'build', 'Release', 'packet_io.node'))).toBe(true);
    const pcf = spawnSync(join(prefix, 'bin', 'pcf2vpnc'), [], { encoding: 'utf8' });
    expect(pcf.stdout + pcf.stderr).toContain('Usage: pcf2vpnc <pcf file> [vpnc file]');
    expect(spawnSync(join(prefix, 'bin', 'vpnc-gateway'), ['--help'], { encoding: 'utf8' }).stdout).toMatch(/^Usage: vpnc-gateway /);
    expect(spawnSync(join(prefix, 'bin', 'vpnc-disconnect'), ['--help'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('the demo passes with the installed commands', () => {
    const demo = join(prefix, 'lib', 'node_modules', 'vpnc-ts', 'scripts', 'demo.sh');
    const r = spawnSync('bash', [demo], { env: { ...process.env, VPNC_TS_COMMANDS: join(prefix, 'bin') }, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('identical to before the connection');
  }, 150_000);
});
