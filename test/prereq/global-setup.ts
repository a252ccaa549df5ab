/**
 * Vitest global setup: fails the whole run at once when a prerequisite is missing (nothing is ever skipped),
 * and after the run removes whatever a test left behind (namespaces, processes), saying so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatMissing, missingPrerequisites } from './check.js';
import { processStartTime, recordedNetns, recordedPids, RUN_DIR_ENV } from './run-registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Removes what the run recorded and still exists; returns what it had to remove. */
export function sweep(dir: string): string[] {
  const left: string[] = [];
  for (const { pid, start } of recordedPids(dir)) {
    if (processStartTime(pid) === start) {
      left.push(`process ${pid} (${sh('ps', ['-o', 'args=', '-p', String(pid)]).trim()})`);
      kill(pid);
    }
  }
  const existing = new Set(sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]));
  for (const ns of recordedNetns(dir)) {
    if (!existing.has(ns)) continue;
    const pids = sh('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      left.push(`process ${pid} in ${ns} (${sh('ps', ['-o', 'args=', '-p', String(pid)]).trim()})`);
      kill(pid);
    }
    left.push(`namespace ${ns}`);
    sh('ip', ['netns', 'delete', ns]);
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  return left;
}

export default function setup(): () => void {
  const unitOnly = process.env.VPNC_TS_PREREQ === 'unit';
  const missing = missingPrerequisites({ root: ROOT, unitOnly });
  if (missing.length > 0) throw new Error(formatMissing(missing));
  const dir = mkdtempSync(`${tmpdir()}/vpnc-ts-run-`);
  process.env[RUN_DIR_ENV] = dir;
  return () => {
    const left = sweep(dir);
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      process.stderr.write(`test run teardown: removed what tests left behind (${left.length}):\n${left.map((l) => `  - ${l}`).join('\n')}\n`);
    }
  };
}
