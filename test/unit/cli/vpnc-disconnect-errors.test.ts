/**
 * vpnc-disconnect on a damaged or foreign state file (the file it runs the disconnect step from when the
 * client died): one line naming the file and what is wrong, exit 1, never "internal error" (regression).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'vpnc-disconnect.js');
const dir = mkdtempSync(join(tmpdir(), 'vpnc-disc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid file naming a pid that is no vpnc, next to the given state file content (or a directory). */
function disconnect(name: string, state: string | 'directory') {
  const pidFile = join(dir, `${name}.pid`);
  writeFileSync(pidFile, '999999999\n');
  if (state === 'directory') mkdirSync(`${pidFile}.state`);
  else writeFileSync(`${pidFile}.state`, state);
  const r = spawnSync('node', [BIN, '--pid-file', pidFile], { encoding: 'utf8' });
  return { ...r, pidFile };
}

describe('vpnc-disconnect: a state file that is not ours', () => {
  it.each([
    ['not JSON', 'garbage', 'not a vpnc state file (not JSON); remove it if no vpnc is running'],
    ['JSON without the fields', '{"version":1}', 'not a vpnc state file (missing fields); remove it if no vpnc is running'],
    ['JSON null', 'null', 'not a vpnc state file (missing fields); remove it if no vpnc is running'],
    ['a disconnect that is not an object', '{"version":1,"pid":1,"script":"/bin/true","cwd":"/","disconnect":7}', 'not a vpnc state file (missing fields); remove it if no vpnc is running'],
  ])('%s: one line, exit 1', (name, content, message) => {
    const r = disconnect(name.replace(/\W+/g, '-'), content);
    expect(r.stderr).toBe(`vpnc-disconnect: ${r.pidFile}.state: ${message}\n`);
    expect(r.status).toBe(1);
  });

  it('a directory where the state file should be: one line naming the errno, exit 1', () => {
    const r = disconnect('dir', 'directory');
    expect(r.stderr).toBe(`vpnc-disconnect: ${r.pidFile}.state: cannot read the state file (EISDIR)\n`);
    expect(r.status).toBe(1);
  });
});

describe('vpnc-disconnect: files and processes it must not trust', () => {
  const run = (pidFile: string) => spawnSync('node', [BIN, '--pid-file', pidFile], { encoding: 'utf8' });

  it('a state file owned by another user, or writable by others, is refused with one line naming it; its script never runs', () => {
    const pidFile = join(dir, 'foreign.pid');
    const marker = join(dir, 'foreign-script-ran');
    const script = join(dir, 'foreign-script');
    writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    writeFileSync(pidFile, '999999999\n');
    const state = `${pidFile}.state`;
    writeFileSync(state, JSON.stringify({ version: 1, pid: 999999999, script, cwd: '/', disconnect: { reason: 'disconnect', tunDev: 'tun9' } }), { mode: 0o600 });
    chownSync(state, 65534, 65534);
    let r = run(pidFile);
    expect(r.stderr).toBe(`vpnc-disconnect: ${state}: not trusted: owned by uid 65534, not by root or the caller; the script it names would run as root\n`);
    expect(r.status).toBe(1);
    chownSync(state, 0, 0);
    chmodSync(state, 0o602);
    writeFileSync(pidFile, '999999999\n');
    r = run(pidFile);
    expect(r.stderr).toBe(`vpnc-disconnect: ${state}: not trusted: writable by others (mode 0602); the script it names would run as root\n`);
    expect(r.status).toBe(1);
    expect(existsSync(marker)).toBe(false);
  });

  it('a pid file that is a symbolic link is refused with one line naming it', () => {
    const real = join(dir, 'real.pid');
    writeFileSync(real, `${process.pid}\n`);
    const link = join(dir, 'link.pid');
    symlinkSync(real, link);
    const r = run(link);
    expect(r.stderr).toBe(`vpnc-disconnect: ${link}: a symbolic link, not a pid file; nothing signalled\n`);
    expect(r.status).toBe(1);
  });

  it('a pid that is not a vpnc (its command line merely mentions vpnc) is not signalled', async () => {
    const victim = spawn('sh', ['-c', 'sleep 30', 'vpnc'], { stdio: 'ignore' });
    try {
      const pidFile = join(dir, 'other.pid');
      writeFileSync(pidFile, `${victim.pid}\n`);
      const r = run(pidFile);
      expect(r.stderr).toBe(`vpnc-disconnect: no vpnc found running (pid file ${pidFile}: pid ${victim.pid} is not a vpnc, not signalled)\n`);
      expect(r.status).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();
    } finally {
      victim.kill('SIGKILL');
    }
  });
});
