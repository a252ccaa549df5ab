/**
 * The pid file, written as root into a folder others may share (/run, /tmp): through a fresh temp file renamed
 * over the name, so a link planted there is replaced, not followed, and nobody else's file is truncated. Read
 * back by vpnc-disconnect, which signals the pid only when the file is trustworthy and the process is a vpnc.
 */
import { basename } from 'node:path';
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { distrust } from '../script/state.js';
import { VpncError } from '../errors.js';

export function writePidFile(path: string, pid: number = process.pid): void {
  const tmp = `${path}.${pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644, flag: 'wx' });
  renameSync(tmp, path);
}

/**
 * The pid a pid file names; undefined when the file is absent or holds no pid. Throws VpncError (config) with the
 * file's name when it is a link, not a regular file, owned by someone other than root or the caller, or writable
 * by others: whoever could plant it could make us signal any process.
 */
export function readPidFile(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new VpncError('VPNC_ERR_CONFIG', `${path}: ${code === 'ELOOP' ? 'a symbolic link, not a pid file' : `cannot read the pid file (${code ?? String(err)})`}; nothing signalled`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new VpncError('VPNC_ERR_CONFIG', `${path}: not a regular file, not a pid file; nothing signalled`);
    const bad = distrust(st, process.getuid?.() ?? 0);
    if (bad) throw new VpncError('VPNC_ERR_CONFIG', `${path}: not trusted: ${bad}; nothing signalled`);
    const text = readFileSync(fd, 'utf8').trim();
    const pid = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a process's command line (/proc/PID/cmdline: NUL-separated, or one string with spaces once the client
 * rewrote it to hide secrets) is a vpnc: Debian's (`vpnc`, `/usr/sbin/vpnc`) or ours run by Node (`node
 * .../bin/vpnc.js`, `node /usr/local/bin/vpnc`). Not a mere mention: `vim vpnc.conf` is no vpnc.
 */
export function isVpncCommandLine(cmdline: string): boolean {
  const nul = cmdline.replace(/\0+$/, '');
  const argv = nul.includes('\0') ? nul.split('\0') : nul.split(' ');
  const program = basename(argv[0] ?? '');
  // Debian's vpnc-connect is a link to vpnc: the kernel shows the name it was started by.
  if (program === 'vpnc' || program === 'vpnc-connect') return true;
  if (program !== 'node' && program !== 'nodejs' && !/^node\d+$/.test(program)) return false;
  // The script is the first argument that is neither one of Node's options nor the value of one that takes it.
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (NODE_OPTIONS_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return /^vpnc(\.js)?$/.test(basename(a));
  }
  return false;
}

/** Node options whose value is the next argument (a module or file, never the script). */
const NODE_OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--title', '--cpu-prof-dir', '--heapsnapshot-signal']);

/** The process `pid` is alive and a vpnc (ours or the C one): never signal a process that merely reused the pid. */
export function isRunningVpnc(pid: number): boolean {
  try {
    return isVpncCommandLine(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}
