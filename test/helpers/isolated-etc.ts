/**
 * Runs a command with a private view of /etc: a mount namespace with an overlay on /etc whose /etc/vpnc and
 * /etc/vpnc.conf are replaced by the files a test provides. The host's /etc is never modified.
 * Used to compare our vpnc with Debian's, which always looks in /etc/vpnc.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface EtcFile {
  content: string | Buffer;
  mode?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/**
 * Runs `argv` with the given files placed under /etc (keys are paths relative to /etc, e.g. `vpnc/x.conf`).
 * `cwd` is relative to /etc as well.
 */
export function runWithEtc(argv: string[], files: Record<string, EtcFile | string>, opts: { stdin?: string; cwd?: string } = {}): RunResult {
  const top = mkdtempSync(join(tmpdir(), 'vpnc-etc-'));
  const stage = join(top, 'stage');
  mkdirSync(join(stage, 'vpnc'), { recursive: true });
  mkdirSync(join(top, 'mnt'));
  for (const [rel, spec] of Object.entries(files)) {
    const f = typeof spec === 'string' ? { content: spec } : spec;
    const path = join(stage, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    chmodSync(path, f.mode ?? 0o600);
  }
  const script = [
    'set -e',
    `mount -t tmpfs tmpfs "${top}/mnt"`,
    `mkdir "${top}/mnt/u" "${top}/mnt/w"`,
    `mount -t overlay overlay -o lowerdir=/etc,upperdir="${top}/mnt/u",workdir="${top}/mnt/w" /etc`,
    'rm -rf /etc/vpnc /etc/vpnc.conf',
    `cp -a "${stage}/." /etc/`,
    `cd "/etc/${opts.cwd ?? ''}"`,
    'exec "$@"',
  ].join('\n');
  try {
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], {
      input: opts.stdin ?? '',
      encoding: 'utf8',
      timeout: 20_000,
    });
    if (r.error) throw r.error;
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}
