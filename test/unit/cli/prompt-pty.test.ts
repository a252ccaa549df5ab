/**
 * Prompts on a real terminal (a pty from util-linux `script`): the typed secret is not echoed, while an
 * ordinary answer is (so the check can tell the two apart).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'vpnc.js');
let etc: string;

beforeAll(() => {
  etc = mkdtempSync(join(tmpdir(), 'vpnc-pty-'));
  mkdirSync(join(etc, 'vpnc'));
  const conf = join(etc, 'vpnc', 'x.conf');
  writeFileSync(conf, 'IPSec gateway 198.51.100.1\nXauth username u\nXauth password p\n');
  chmodSync(conf, 0o600);
});
afterAll(() => rmSync(etc, { recursive: true, force: true }));

/** Runs our vpnc on a pty, typing each answer after a pause; returns what the terminal showed. */
function onPty(args: string, answers: string[]): string {
  const typing = answers.map((a) => `sleep 0.8; printf '%s\\n' '${a}'`).join('; ');
  const r = spawnSync('sh', ['-c', `(${typing}) | script -qec "node ${BIN} ${args}" /dev/null`], {
    encoding: 'utf8',
    env: { ...process.env, VPNC_SYSCONFDIR: etc },
    timeout: 20_000,
  });
  if (r.error) throw r.error;
  return r.stdout;
}

describe('prompts on a terminal', () => {
  it('echoes the group name but not the group secret', () => {
    const screen = onPty('--print-config x', ['visible-group', 'hidden-secret']);
    const beforeConfig = screen.slice(0, screen.indexOf('vpnc.conf:'));
    expect(beforeConfig).toContain('Enter IPSec ID for 198.51.100.1: visible-group');
    expect(beforeConfig).toContain('Enter IPSec secret for visible-group@198.51.100.1: ');
    expect(beforeConfig).not.toContain('hidden-secret');
    // The secret was read all the same.
    expect(screen).toContain('IPSec secret hidden-secret');
  }, 30_000);
});
