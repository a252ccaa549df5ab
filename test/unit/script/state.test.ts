/**
 * The state file vpnc-disconnect trusts (it runs the script named there, as root): read only when it is no
 * link, owned by root or the caller and writable by nobody else; written through a fresh temp file, never
 * through a link planted at the temp name.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distrust, readRestoreState, writeRestoreState, type RestoreState } from '../../../src/script/state.js';

const STATE: RestoreState = {
  version: 1,
  pid: 4242,
  script: '/usr/share/vpnc-scripts/vpnc-script',
  cwd: '/',
  disconnect: { reason: 'disconnect', vpnPid: 4242, tunDev: 'tun0', gateway: '198.51.100.1', tunnel: { address: '192.0.2.10' } },
};

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const scratch = () => (dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-state-')));

describe('distrust', () => {
  it.each([
    [{ uid: 0, mode: 0o100600 }, 0, undefined],
    [{ uid: 1000, mode: 0o100644 }, 1000, undefined],
    [{ uid: 1000, mode: 0o100600 }, 0, 'owned by uid 1000, not by root or the caller'],
    [{ uid: 0, mode: 0o100620 }, 0, 'writable by its group (mode 0620)'],
    [{ uid: 0, mode: 0o100666 }, 0, 'writable by others (mode 0666)'],
  ])('%j for uid %d: %s', (st, caller, why) => {
    expect(distrust(st, caller)).toBe(why);
  });
});

describe('the state file on disk', () => {
  it('round-trips, mode 0600', () => {
    const path = join(scratch(), 'vpnc.pid.state');
    writeRestoreState(path, STATE);
    expect(readRestoreState(path)).toEqual(STATE);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('absent: undefined; a symbolic link, or one writable by others: refused with the reason', () => {
    const d = scratch();
    expect(readRestoreState(join(d, 'none.state'))).toBeUndefined();
    const real = join(d, 'real.state');
    writeRestoreState(real, STATE);
    const link = join(d, 'link.state');
    symlinkSync(real, link);
    expect(() => readRestoreState(link)).toThrow(`${link}: a symbolic link, not a state file`);
    chmodSync(real, 0o666);
    expect(() => readRestoreState(real)).toThrow(`${real}: not trusted: writable by others (mode 0666); the script it names would run as root`);
  });

  it('a link planted at the temp name is not written through', () => {
    const d = scratch();
    const path = join(d, 'vpnc.pid.state');
    const victim = join(d, 'victim');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, `${path}.${process.pid}.tmp`);
    writeRestoreState(path, STATE);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(readRestoreState(path)).toEqual(STATE);
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
  });
});
