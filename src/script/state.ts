/**
 * What a running client set up, kept on disk so that the machine can be put back even if the client dies
 * without cleaning up (SIGKILL, a crash): `vpnc-disconnect` then runs the disconnect step from this file.
 * The file sits next to the pid file (`<pidfile>.state`), holds no secrets, and is removed after a clean end.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ScriptError, ScriptErrorCode } from './errors.js';
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

/** Reads a state file; undefined when absent; throws ScriptError (state) when it is unreadable, not ours or damaged. */
export function readRestoreState(path: string): RestoreState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ScriptError(ScriptErrorCode.state, `${path}: cannot read the state file (${code ?? String(err)})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ScriptError(ScriptErrorCode.state, `${path}: not a vpnc state file (not JSON); remove it if no vpnc is running`);
  }
  const s = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<RestoreState>;
  const d = s.disconnect as Partial<RestoreState['disconnect']> | undefined;
  if (s.version !== 1 || typeof s.pid !== 'number' || typeof s.script !== 'string' || typeof s.cwd !== 'string' || typeof d !== 'object' || d === null || d.reason !== 'disconnect') {
    throw new ScriptError(ScriptErrorCode.state, `${path}: not a vpnc state file (missing fields); remove it if no vpnc is running`);
  }
  return s as RestoreState;
}

export function removeRestoreState(path: string): void {
  rmSync(path, { force: true });
}
