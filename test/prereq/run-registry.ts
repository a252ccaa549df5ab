/**
 * What a test run started on the machine, written down as it happens so that the run's global teardown can
 * remove it even when a test failed, timed out or its worker was killed: the network namespaces (one name a
 * line in `netns`) and the long-running processes (`pid starttime` a line in `pids`; the start time from
 * /proc/PID/stat tells a reused pid from ours). The folder is made by the global setup and named by
 * VPNC_TS_RUN_DIR; without it (a test file run on its own) nothing is recorded.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_DIR_ENV = 'VPNC_TS_RUN_DIR';

function runDir(): string | undefined {
  const dir = process.env[RUN_DIR_ENV];
  return dir && existsSync(dir) ? dir : undefined;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined when the pid is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the pid is a live process (not gone, not a zombie waiting for its parent to reap it). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function recordNetns(name: string): void {
  const dir = runDir();
  if (dir) appendFileSync(join(dir, 'netns'), `${name}\n`);
}

export function recordPid(pid: number | undefined): void {
  const dir = runDir();
  if (!dir || pid === undefined) return;
  const start = processStartTime(pid);
  if (start) appendFileSync(join(dir, 'pids'), `${pid} ${start}\n`);
}

function lines(dir: string, file: string): string[] {
  const path = join(dir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

export function recordedNetns(dir: string): string[] {
  return [...new Set(lines(dir, 'netns'))];
}

export function recordedPids(dir: string): { pid: number; start: string }[] {
  return lines(dir, 'pids').map((l) => {
    const [pid, start] = l.split(' ');
    return { pid: Number(pid), start: start ?? '' };
  });
}
