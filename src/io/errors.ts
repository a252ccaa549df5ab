/**
 * Errors of the packet I/O layer. The addon throws plain errors carrying `code` (errno name), `errno` and
 * `syscall`; these functions turn them into SystemError with a stable code and a hint the user can act on.
 */
import { constants } from 'node:os';
import { SystemError, type ErrorCode } from '../errors.js';

/** Stable codes of SystemError thrown by src/io. */
export const IoErrorCode = {
  tunOpen: 'VPNC_ERR_TUN_OPEN',
  udpOpen: 'VPNC_ERR_UDP_OPEN',
  rawEspOpen: 'VPNC_ERR_RAW_ESP_OPEN',
  io: 'VPNC_ERR_IO',
  addon: 'VPNC_ERR_ADDON',
} as const satisfies Record<string, ErrorCode>;

/** The fields the addon puts on an Error thrown for a failed system call. */
export interface NativeErrorFields {
  readonly message: string;
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
}

/** True for an error thrown by the addon for a failed system call (not a TypeError for a bad argument). */
export function isNativeError(err: unknown): err is Error & NativeErrorFields {
  if (!(err instanceof Error)) return false;
  const e = err as Error & Partial<NativeErrorFields>;
  return typeof e.code === 'string' && typeof e.errno === 'number' && typeof e.syscall === 'string';
}

let errnoNames: Map<number, string> | undefined;

/** The errno name for a number ("EAGAIN"), or "E<n>" when unknown. */
export function errnoName(errno: number): string {
  if (errnoNames === undefined) {
    errnoNames = new Map();
    // First name wins where two share a number (EAGAIN before EWOULDBLOCK).
    for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);
  }
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** A hint shared by every opener: problems entering a network namespace. */
function netnsHint(e: NativeErrorFields, netns: string | undefined): string | undefined {
  if (e.syscall === 'open netns' && e.code === 'ENOENT') {
    return `network namespace "${netns}" does not exist (create it with: ip netns add ${netns})`;
  }
  if ((e.syscall === 'setns' || e.syscall === 'open netns') && (e.code === 'EPERM' || e.code === 'EACCES')) {
    return 'entering a network namespace needs root or CAP_SYS_ADMIN';
  }
  return undefined;
}

function wrap(code: ErrorCode, what: string, e: NativeErrorFields, hint: string | undefined): SystemError {
  const text = `${what}: ${e.message} (${e.code})${hint === undefined ? '' : `; ${hint}`}`;
  return new SystemError(code, text, e.code, { cause: e });
}

/** The route monitor (a netlink socket) could not be opened. */
export function routeMonitorOpenError(err: unknown, netns: string | undefined): unknown {
  if (!isNativeError(err)) return err;
  return wrap(IoErrorCode.io, 'cannot watch the kernel\'s routes (netlink)', err, netnsHint(err, netns));
}

/** What was being opened, for messages. */
export interface OpenContext {
  /** e.g. `tun device "tun%d"` or `UDP socket 0.0.0.0:500`. */
  readonly what: string;
  readonly netns?: string | undefined;
}

/** Maps a failure of openTun (TUN or TAP) to SystemError VPNC_ERR_TUN_OPEN; other errors pass through. */
export function tunOpenError(err: unknown, ctx: OpenContext & { devicePath: string }): unknown {
  if (!isNativeError(err)) return err;
  let hint = netnsHint(err, ctx.netns);
  if (hint === undefined) {
    if (err.code === 'EPERM' || err.code === 'EACCES') {
      hint = 'creating a tun/tap device needs root or CAP_NET_ADMIN';
    } else if (err.syscall === 'open tun device' && (err.code === 'ENOENT' || err.code === 'ENODEV' || err.code === 'ENXIO')) {
      hint = `${ctx.devicePath} is missing or has no driver; load the tun module: modprobe tun`;
    } else if (err.code === 'EBUSY' || err.code === 'EINVAL') {
      hint = 'the interface name is taken by another device or is not valid (--ifname)';
    }
  }
  return wrap(IoErrorCode.tunOpen, `cannot open ${ctx.what}`, err, hint);
}

/** A socket opener's hints by errno name, for failures the network namespace does not explain. */
type OpenHints = ReadonlyMap<string, string>;

const NOT_LOCAL = 'the local address is not an address of this host (--local-addr)';
const LOW_PORT = 'binding a port below 1024 needs root or CAP_NET_BIND_SERVICE; or use --local-port 0';
const RAW_SOCKET = 'a raw IP socket needs root or CAP_NET_RAW';
const ESP_TAKEN = "Maybe something registered ESP already. Please try '--natt-mode force-natt' or disable whatever is using ESP";

const UDP_OPEN_HINTS: OpenHints = new Map([
  ['EADDRINUSE', 'another IKE daemon (racoon, charon, vpnc) may hold the port; use --local-port 0 for a random port'],
  ['EACCES', LOW_PORT],
  ['EPERM', LOW_PORT],
  ['EADDRNOTAVAIL', NOT_LOCAL],
]);

const RAW_ESP_OPEN_HINTS: OpenHints = new Map([
  ['EPERM', RAW_SOCKET],
  ['EACCES', RAW_SOCKET],
  ['EPROTONOSUPPORT', ESP_TAKEN],
  ['EEXIST', ESP_TAKEN],
  ['EADDRNOTAVAIL', NOT_LOCAL],
]);

function socketOpenError(code: ErrorCode, hints: OpenHints, err: unknown, ctx: OpenContext): unknown {
  if (!isNativeError(err)) return err;
  return wrap(code, `cannot open ${ctx.what}`, err, netnsHint(err, ctx.netns) ?? hints.get(err.code));
}

/** Maps a failure of openUdp to SystemError VPNC_ERR_UDP_OPEN; other errors pass through. */
export function udpOpenError(err: unknown, ctx: OpenContext): unknown {
  return socketOpenError(IoErrorCode.udpOpen, UDP_OPEN_HINTS, err, ctx);
}

/** Maps a failure of openRawEsp to SystemError VPNC_ERR_RAW_ESP_OPEN; other errors pass through. */
export function rawEspOpenError(err: unknown, ctx: OpenContext): unknown {
  return socketOpenError(IoErrorCode.rawEspOpen, RAW_ESP_OPEN_HINTS, err, ctx);
}

/** A fatal receive error reported by the event loop (device removed, socket failed). */
export function receiveError(what: string, errno: number): SystemError {
  const name = errnoName(errno);
  return new SystemError(IoErrorCode.io, `${what}: receiving stopped: ${name}`, name);
}
