import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildScriptEnv } from '../../../src/script/env.js';
import { ScriptError } from '../../../src/script/errors.js';
import { describeScriptExit, plainCommandWord, runScript, scriptSucceeded } from '../../../src/script/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'vpnc-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

function writeScript(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** Whether a process runs (a zombie left for a non-reaping init does not count). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('runScript', () => {
  it('runs the command through /bin/sh -c with exactly the given environment', async () => {
    const script = writeScript('env.sh', 'env | sort');
    const r = await runScript({ command: script, env: { PATH, reason: 'connect', TUNDEV: 'tun0' } });
    expect(r.exit).toEqual({ kind: 'exited', status: 0 });
    expect(scriptSucceeded(r)).toBe(true);
    const vars = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('PWD=') && !l.startsWith('SHLVL=') && !l.startsWith('_='));
    expect(vars).toEqual([`PATH=${PATH}`, 'TUNDEV=tun0', 'reason=connect']);
  });

  it('allows arguments in the Script setting, as system() does', async () => {
    const script = writeScript('args.sh', 'printf "%s|" "$@"');
    const r = await runScript({ command: `${script} one 'two words'`, env: { PATH } });
    expect(r.stdout).toBe('one|two words|');
  });

  it('returns the exit status and captures stderr', async () => {
    const script = writeScript('fail.sh', 'echo oops >&2; exit 3');
    const r = await runScript({ command: script, env: { PATH } });
    expect(r.exit).toEqual({ kind: 'exited', status: 3 });
    expect(r.stderr).toBe('oops\n');
    expect(scriptSucceeded(r)).toBe(false);
    expect(describeScriptExit(r.exit)).toBe('exited with status 3');
  });

  it('reports a script killed by a signal', async () => {
    const script = writeScript('sig.sh', 'kill -TERM $$');
    const r = await runScript({ command: script, env: { PATH } });
    expect(r.exit).toEqual({ kind: 'exited', status: 143 });
    const r2 = await runScript({ command: 'kill -KILL $$', env: { PATH } });
    expect(r2.exit).toEqual({ kind: 'signaled', signal: 'SIGKILL' });
    expect(describeScriptExit(r2.exit)).toBe('killed by SIGKILL');
  });

  it('keeps gateway strings inert: a banner full of shell syntax reaches the script as one value', async () => {
    const marker = join(dir, 'pwned');
    const banner = `$(touch ${marker}) \`touch ${marker}\` "dq" 'sq' ; touch ${marker}\n| touch ${marker} && echo hi $HOME \\`;
    const env = buildScriptEnv(
      { reason: 'connect', vpnPid: 1, tunDev: 'tun0', gateway: '198.51.100.1', tunnel: { address: '192.0.2.10', banner, defaultDomain: `x$(touch ${marker})` } },
      { PATH },
    );
    const out = join(dir, 'banner.out');
    const script = writeScript('banner.sh', `printf '%s' "$CISCO_BANNER" > ${out}`);
    const r = await runScript({ command: script, env });
    expect(r.exit).toEqual({ kind: 'exited', status: 0 });
    expect(readFileSync(out, 'utf8')).toBe(banner);
    expect(existsSync(marker)).toBe(false);
  });

  it('ends a script that runs too long, with everything it started', async () => {
    const pidFile = join(dir, 'child.pid');
    const script = writeScript('slow.sh', `sleep 30 & echo $! > ${pidFile}; wait`);
    const r = await runScript({ command: script, env: { PATH }, timeoutMs: 300, killGraceMs: 200 });
    expect(r.exit.kind).toBe('timed-out');
    expect(describeScriptExit(r.exit)).toMatch(/^timed out/);
    expect(r.durationMs).toBeLessThan(5000);
    const child = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    expect(pidAlive(child)).toBe(false);
  });

  it('escalates to SIGKILL when the script ignores SIGTERM', async () => {
    const pidFile = join(dir, 'stubborn.pid');
    const script = writeScript('stubborn.sh', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`);
    const r = await runScript({ command: `exec ${script}`, env: { PATH }, timeoutMs: 300, killGraceMs: 200 });
    expect(r.exit).toEqual({ kind: 'timed-out', signal: 'SIGKILL' });
    await new Promise((res) => setTimeout(res, 100));
    expect(pidAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('does not wait for a background process that keeps the output open', async () => {
    const pidFile = join(dir, 'daemon.pid');
    const script = writeScript('daemon.sh', `sleep 30 & echo $! > ${pidFile}; echo started`);
    const r = await runScript({ command: script, env: { PATH }, timeoutMs: 0 });
    expect(r.exit).toEqual({ kind: 'exited', status: 0 });
    expect(r.stdout).toBe('started\n');
    expect(r.durationMs).toBeLessThan(5000);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  });

  it('caps captured output', async () => {
    const r = await runScript({ command: 'head -c 5000 /dev/zero | tr "\\0" a', env: { PATH }, maxCaptureBytes: 1000 });
    expect(r.stdout.startsWith('a'.repeat(1000) + '\n[4000 more bytes dropped]')).toBe(true);
  });

  it('passes output through when asked (nothing captured)', async () => {
    const r = await runScript({ command: 'true', env: { PATH }, output: 'inherit' });
    expect(r).toMatchObject({ exit: { kind: 'exited', status: 0 }, stdout: '', stderr: '' });
  });
});

describe('runScript: a missing script is a clear error, not status 127', () => {
  const missing = async (command: string, cwd?: string): Promise<ScriptError> => {
    try {
      await runScript({ command, env: { PATH }, ...(cwd ? { cwd } : {}) });
    } catch (err) {
      expect(err).toBeInstanceOf(ScriptError);
      expect((err as ScriptError).code).toBe('VPNC_ERR_SCRIPT_MISSING');
      return err as ScriptError;
    }
    throw new Error(`${command} ran`);
  };

  it('absolute path', async () => {
    expect((await missing('/nonexistent/vpnc-script')).message).toBe('route script /nonexistent/vpnc-script does not exist or is not executable');
  });
  it('relative path, checked against cwd', async () => {
    expect((await missing('./nope.sh', dir)).message).toContain(join(dir, 'nope.sh'));
    const ok = writeScript('here.sh', 'exit 0');
    expect((await runScript({ command: './here.sh', env: { PATH }, cwd: dir })).exit).toEqual({ kind: 'exited', status: 0 });
    expect(ok).toBe(join(dir, 'here.sh'));
  });
  it('not executable', async () => {
    await missing(writeScript('noexec.sh', 'exit 0', 0o644));
  });
  it('a directory', async () => {
    await missing(dir);
  });
  it('a bare name not on PATH', async () => {
    expect((await missing('no-such-vpnc-script')).message).toContain('not found on PATH');
  });
  it('an empty setting', async () => {
    await missing('  ');
  });
  it('leaves commands with shell syntax to the shell', async () => {
    expect(plainCommandWord('/etc/vpnc/x.sh')).toBe('/etc/vpnc/x.sh');
    expect(plainCommandWord('/etc/vpnc/x.sh --flag')).toBeUndefined();
    const r = await runScript({ command: '/nonexistent/x.sh --flag', env: { PATH } });
    expect(r.exit).toEqual({ kind: 'exited', status: 127 });
  });
  it('reports a shell that cannot start', async () => {
    await expect(runScript({ command: 'true', env: { PATH }, shell: '/nonexistent/sh' })).rejects.toMatchObject({ code: 'VPNC_ERR_SCRIPT_SPAWN' });
  });
});
