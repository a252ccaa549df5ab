/**
 * The test bed's own guarantees: charon loads every plugin the bed needs or the gateway fails at once with
 * charon's words; a test waiting for a tunnel stops as soon as charon logs why none can come, instead of
 * waiting for its timeout; and the run's sweep ends what tests leave behind (by pid, checking the start time).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, listNetns, nsSpawn, requireRoot, run } from '../helpers/netns.js';
import { loadPrerequisites, pluginPath } from '../prereq/check.js';
import { CHARON_PLUGINS, missingPlugins, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { startVpnc } from '../helpers/vpnc-ref.js';
import { sweep } from '../prereq/global-setup.js';
import { processRunning, recordNetns, recordPid, RUN_DIR_ENV } from '../prereq/run-registry.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

describe('the prerequisite table against dpkg', () => {
  const table = loadPrerequisites(fileURLToPath(new URL('../..', import.meta.url)));
  const filesOf = (pkg: string) => run('dpkg', ['-L', pkg]).split('\n');
  const installedDepends = (pkg: string) => run('dpkg-query', ['-W', '-f', '${Pre-Depends}, ${Depends}', pkg]);

  it('every program is shipped by the package the table names (or one that package depends on)', () => {
    for (const f of table.files) {
      const files = filesOf(f.package);
      const shipped = f.path.includes('/') ? files.includes(f.path) : files.some((p) => /\/s?bin\//.test(p) && p.endsWith(`/${f.path}`));
      expect(shipped, `${f.path} in ${f.package}`).toBe(true);
      if (f.via) expect(installedDepends(f.via), `${f.via} depends on ${f.package}`).toMatch(new RegExp(`(^|[ ,|])${f.package}([ ,(]|$)`));
    }
  });

  it('every strongSwan plugin is shipped by the package the table names', () => {
    for (const [plugin, pkg] of Object.entries(table.strongswanPlugins)) {
      expect(filesOf(pkg), `${plugin} in ${pkg}`).toContain(pluginPath(plugin));
    }
  });

  it('scripts/test-all.sh installs exactly the table\'s packages', () => {
    const script = readFileSync(fileURLToPath(new URL('../../scripts/test-all.sh', import.meta.url)), 'utf8');
    expect(script).toContain('test/prereq/prerequisites.json');
    expect(script).toMatch(/apt-get install -y -q --no-install-recommends "\$\{packages\[@\]\}"/);
  });
});

describe('strongSwan plugins', () => {
  let bed: Testbed;
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'pq' });
  });
  afterAll(() => destroyTestbed(bed));

  it('charon loads every plugin of the bed\'s list', async () => {
    const gw = await startStrongSwan({ netns: bed.gateway });
    try {
      expect(missingPlugins(gw.log())).toEqual([]);
      expect(gw.log()).toMatch(/loaded plugins: .*xauth-generic/);
    } finally {
      await gw.stop();
    }
  });

  it('a plugin that does not load fails the gateway\'s start at once, in charon\'s words', async () => {
    const err = await startStrongSwan({ netns: bed.gateway, plugins: [...CHARON_PLUGINS, 'no-such-plugin'] }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('charon did not load the plugin(s) no-such-plugin');
    expect(err?.message).toMatch(/plugin 'no-such-plugin'.*failed to load/);
  });

  it('a client waiting for a tunnel stops as soon as charon logs why it cannot come (no XAuth method)', async () => {
    const gw: StrongSwanGateway = await startStrongSwan({ netns: bed.gateway, plugins: CHARON_PLUGINS.filter((p) => p !== 'xauth-generic') });
    const user = gw.options.users[0]!;
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS });
    try {
      const err = await v.waitForTunnel(60_000).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/^the strongSwan gateway gave up .*\n.*no XAuth method found/);
      expect(err?.message).not.toContain('timed out');
    } finally {
      await v.stop();
      await gw.stop();
    }
  });
});

describe('the run\'s sweep', () => {
  it('after a run whose tests time out or whose worker is killed, no namespace and no process is left', async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-fixture-'));
    const out = join(dir, 'left');
    try {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const run = spawn(join(root, 'node_modules', '.bin', 'vitest'), ['run', '--config', 'test/prereq/fixtures/vitest.fixture.config.ts'], {
        cwd: root,
        env: { ...process.env, VPNC_TS_FIXTURE_OUT: out, [RUN_DIR_ENV]: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      run.stdout.on('data', (d: Buffer) => (output += d.toString()));
      run.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => run.on('exit', resolve));
      expect(code, output).not.toBe(0);
      const left = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(' '));
      expect(left.map(([ns]) => ns!.slice(0, 3)).sort()).toEqual(['fxk', 'fxt']);
      expect(output).toMatch(/test run teardown: removed what tests left behind/);
      const namespaces = listNetns();
      for (const [ns, pid] of left) {
        expect(namespaces).not.toContain(ns);
        expect(processRunning(Number(pid)), `pid ${pid}`).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('ends recorded processes and namespaces left behind, and leaves a reused pid alone', async () => {
    requireRoot();
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-sweep-'));
    const saved = process.env[RUN_DIR_ENV];
    process.env[RUN_DIR_ENV] = dir;
    let stranger: ReturnType<typeof spawn> | undefined;
    try {
      const ns = createNetns('pqs');
      const inside = nsSpawn(ns, 'sleep', ['300']);
      const outside = spawn('sleep', ['300'], { stdio: 'ignore' });
      recordPid(outside.pid);
      // A recorded pid whose start time differs is somebody else's process now: it must survive.
      const other = spawn('sleep', ['300'], { stdio: 'ignore' });
      stranger = other;
      appendFileSync(join(dir, 'pids'), `${other.pid} 1\n`);
      recordNetns('pq-never-created');
      await new Promise((r) => setTimeout(r, 100));
      const left = sweep(dir);
      expect(left).toEqual([`process ${inside.pid} (sleep 300)`, `process ${outside.pid} (sleep 300)`, `namespace ${ns}`]);
      expect(left.some((l) => l.includes(String(other.pid)))).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      expect(listNetns()).not.toContain(ns);
      expect(processRunning(inside.pid!)).toBe(false);
      expect(processRunning(outside.pid!)).toBe(false);
      expect(processRunning(other.pid!)).toBe(true);
    } finally {
      stranger?.kill('SIGKILL');
      if (saved === undefined) delete process.env[RUN_DIR_ENV];
      else process.env[RUN_DIR_ENV] = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
