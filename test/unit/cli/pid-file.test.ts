/** The pid file: a link planted at its name (or at the temp name) is replaced, never written through; read back only when trustworthy; only a vpnc is one. */
import { chmodSync, chownSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isVpncCommandLine, readPidFile, writePidFile } from '../../../src/cli/pid-file.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('writePidFile', () => {
  it('writes the pid, mode 0644', () => {
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-pid-'));
    const path = join(dir, 'vpnc.pid');
    writePidFile(path, 4242);
    expect(readFileSync(path, 'utf8')).toBe('4242\n');
    expect(lstatSync(path).mode & 0o777).toBe(0o644);
  });

  it('replaces a link at its name or at the temp name instead of writing through it', () => {
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-pid-'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched\n');
    const path = join(dir, 'vpnc.pid');
    symlinkSync(victim, path);
    symlinkSync(victim, `${path}.4242.tmp`);
    writePidFile(path, 4242);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('4242\n');
  });
});

describe('readPidFile', () => {
  it('reads the pid; absent or not a number: undefined', () => {
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-pid-'));
    const path = join(dir, 'vpnc.pid');
    expect(readPidFile(path)).toBeUndefined();
    writeFileSync(path, '4242\n');
    expect(readPidFile(path)).toBe(4242);
    for (const junk of ['', 'x', '-5', '1', '12 13', '4242x', '99999999999999999999']) {
      writeFileSync(path, junk);
      expect(readPidFile(path), junk).toBeUndefined();
    }
  });

  it('a link, a directory, a file of another user or one others may write: refused, naming the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-pid-'));
    const real = join(dir, 'real.pid');
    writeFileSync(real, '4242\n', { mode: 0o644 });
    const link = join(dir, 'link.pid');
    symlinkSync(real, link);
    expect(() => readPidFile(link)).toThrow(`${link}: a symbolic link, not a pid file; nothing signalled`);
    expect(() => readPidFile(dir!)).toThrow(`${dir}: not a regular file, not a pid file; nothing signalled`);
    chmodSync(real, 0o646);
    expect(() => readPidFile(real)).toThrow(`${real}: not trusted: writable by others (mode 0646); nothing signalled`);
    chmodSync(real, 0o644);
    if (process.getuid?.() === 0) {
      chownSync(real, 65534, 65534);
      expect(() => readPidFile(real)).toThrow(`${real}: not trusted: owned by uid 65534, not by root or the caller; nothing signalled`);
    }
  });
});

describe('isVpncCommandLine', () => {
  it.each([
    ['vpnc\0-\0', true],
    ['/usr/sbin/vpnc\0--no-detach\0corp\0', true],
    ['node\0/opt/vpnc-ts/bin/vpnc.js\0corp\0', true],
    ['/usr/bin/node\0--enable-source-maps\0/usr/local/bin/vpnc\0', true],
    ['node /opt/vpnc-ts/bin/vpnc.js --secret * corp', true],
    ['vpnc --gateway 198.51.100.1 --secret ******** corp', true],
    ['/usr/sbin/vpnc-connect\0corp\0', true],
    ['node\0-r\0/opt/preload.js\0/opt/vpnc-ts/bin/vpnc.js\0corp\0', true],
    ['node\0--require\0/opt/vpnc.js-helper/x.js\0/opt/other.js\0', false],
    ['vim\0/etc/vpnc/vpnc.conf\0', false],
    ['sleep\x0030\0vpnc\0', false],
    ['node\0/opt/vpnc-ts/bin/vpnc-gateway.js\0', false],
    ['node\0/opt/other.js\0vpnc.js\0', false],
    ['', false],
  ])('%j: %s', (cmdline, expected) => {
    expect(isVpncCommandLine(cmdline)).toBe(expected);
  });
});
