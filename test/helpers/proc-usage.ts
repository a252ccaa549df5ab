/**
 * What a process costs, read from /proc as `ps` would: CPU time (user + system, in ms), resident memory and
 * open descriptors. For the flood and soak tests, which report these figures and check they stay flat.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcUsage {
  /** utime + stime in milliseconds. */
  readonly cpuMs: number;
  /** VmRSS in kB. */
  readonly rssKb: number;
  /** Entries in /proc/PID/fd. */
  readonly fds: number;
}

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on every Linux architecture this runs on). */
const USER_HZ = 100;

export function procUsage(pid: number): ProcUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15 of stat(5)
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (ticks * 1000) / USER_HZ, rssKb: Number(rss?.[1] ?? NaN), fds: readdirSync(`/proc/${pid}/fd`).length };
}
