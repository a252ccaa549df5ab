/**
 * vpnc-disconnect on a damaged or foreign state file (the file it runs the disconnect step from when the
 * client died): one line naming the file and what is wrong, exit 1, never "internal error" (regression).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
