/**
 * What a running client set up, kept on disk so that the machine can be put back even if the client dies
 * without cleaning up (SIGKILL, a crash): `vpnc-disconnect` then runs the disconnect step from this file.
 * The file sits next to the pid file (`<pidfile>.state`), holds no secrets, and is removed after a clean end.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * Writes atomically (temp file + rename), mode 0600. The temp file is created anew (O_EXCL: a link planted at
 * its name is neither followed nor written through).
 */
export function writeRestoreState(path: string, state: RestoreState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

/**
 * Why a state file may not be trusted, or undefined: vpnc-disconnect runs the script it names as root, so the
 * file must be owned by root or by the caller and writable by nobody else.
 */
export function distrust(st: { uid: number; mode: number }, callerUid: number): string | undefined {
  if (st.uid !== 0 && st.uid !== callerUid) return `owned by uid ${st.uid}, not by root or the caller`;
  if ((st.mode & 0o022) !== 0) return `writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/**
 * Reads a state file; undefined when absent; throws ScriptError (state) when it is a link, unreadable, owned by
 * someone else or writable by others (distrust), or damaged.
 */
export function readRestoreState(path: string): RestoreState | undefined {
  let text: string;
  let fd: number;
  try {
    // Not through a link: the file itself, checked and read through the same descriptor.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    const why = code === 'ELOOP' ? 'a symbolic link, not a state file' : `cannot read the state file (${code ?? String(err)})`;
    throw new ScriptError(ScriptErrorCode.state, `${path}: ${why}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ScriptError(ScriptErrorCode.state, `${path}: cannot read the state file (EISDIR)`);
    if (!st.isFile()) throw new ScriptError(ScriptErrorCode.state, `${path}: not a regular file, not a state file`);
    const bad = distrust(st, process.getuid?.() ?? 0);
    if (bad) throw new ScriptError(ScriptErrorCode.state, `${path}: not trusted: ${bad}; the script it names would run as root`);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
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
