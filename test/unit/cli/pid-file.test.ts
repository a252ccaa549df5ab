/** The pid file: a link planted at its name (or at the temp name) is replaced, never written through. */
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePidFile } from '../../../src/cli/pid-file.js';

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
