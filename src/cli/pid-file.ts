/**
 * The pid file, written as root into a folder others may share (/run, /tmp): through a fresh temp file renamed
 * over the name, so a link planted there is replaced, not followed, and nobody else's file is truncated.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writePidFile(path: string, pid: number = process.pid): void {
  const tmp = `${path}.${pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644, flag: 'wx' });
  renameSync(tmp, path);
}
