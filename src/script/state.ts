/**
 * What a running client set up, kept on disk so that the machine can be put back even if the client dies
 * without cleaning up (SIGKILL, a crash): `vpnc-disconnect` then runs the disconnect step from this file.
 * The file sits next to the pid file (`<pidfile>.state`), holds no secrets, and is removed after a clean end.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ScriptInvocation } from './env.js';

export interface RestoreState {
  readonly version: 1;
  /** The client's pid (VPNPID). */
  readonly pid: number;
  /** The `Script` command line and the directory it ran in. */
  readonly script: string;
  readonly cwd: string;
  /** The disconnect invocation: reason, VPNPID, TUNDEV, gateway and the tunnel as mode config described it. */
  readonly disconnect: ScriptInvocation;
}

export function statePathFor(pidFile: string): string {
  return `${pidFile}.state`;
}

/** Writes atomically (temp file + rename), mode 0600. */
export function writeRestoreState(path: string, state: RestoreState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads a state file; undefined when absent; throws a clear Error when it is not ours or is damaged. */
export function readRestoreState(path: string): RestoreState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not a vpnc state file (not JSON)`);
  }
  const s = parsed as Partial<RestoreState>;
  if (s.version !== 1 || typeof s.pid !== 'number' || typeof s.script !== 'string' || typeof s.cwd !== 'string' || !s.disconnect || s.disconnect.reason !== 'disconnect') {
    throw new Error(`${path}: not a vpnc state file (missing fields)`);
  }
  return s as RestoreState;
}

export function removeRestoreState(path: string): void {
  rmSync(path, { force: true });
}
