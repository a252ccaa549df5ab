/**
 * The native addon (native/, built by node-gyp at `npm install` into build/Release/packet_io.node) and the
 * TypeScript shape of what it exports. Only src/io/ talks to it.
 */
import { createRequire } from 'node:module';
import { SystemError } from '../errors.js';
import { COUNTER_NAMES, META_STRIDE, type ReceiveOptions } from './endpoint.js';
import { IoErrorCode, type OpenContext } from './errors.js';

/** One open descriptor as the addon exposes it. */
export interface NativeEndpoint {
  start(arena: Uint8Array, meta: Uint32Array, slotSize: number, onPackets: (count: number, errno: number) => void): void;
  stop(): void;
  send(data: Uint8Array, offset: number, length: number, address?: number, port?: number): boolean;
  sendBatch(data: Uint8Array, meta: Uint32Array, count: number): number;
  setTos(tos: number): void;
  /** Receives what IP_RECVERR queued (see network-error.ts). */
  setErrorSink(sink: (origin: number, type: number, code: number, info: number, errno: number, from: number, destination: number, destinationPort: number) => void): void;
  ref(): void;
  unref(): void;
  close(): void;
  /** The descriptor, -1 once closed. */
  readonly fd: number;
  /** Counters in COUNTER_NAMES order, updated by the addon. */
  readonly counters: Float64Array;
}

/** Options of the addon's openTun. */
export interface NativeTunOptions {
  name?: string;
  tap?: boolean;
  netns?: string;
  devicePath?: string;
  blocking?: boolean;
}

/** Options shared by the addon's socket openers. Addresses are unsigned 32-bit numbers. */
export interface NativeSocketOptions {
  address?: number;
  /** IP_RECVERR: ICMP errors about what we sent reach setErrorSink. */
  receiveErrors?: boolean;
  netns?: string;
  receiveBufferSize?: number;
  sendBufferSize?: number;
}

/** Options of both socket openers, openUdp and openRawEsp. */
export interface SocketOptions {
  /** Local IPv4 address to bind (vpnc's --local-addr); default 0.0.0.0 (all). */
  localAddress?: string;
  /** Network namespace to open the socket in (name under /run/netns or a path). */
  netns?: string;
  /** Receive arena shape (default 64 slots of the opener's slot size). */
  receive?: ReceiveOptions;
  /** SO_RCVBUF in bytes (forced above the sysctl cap when privileged). */
  receiveBufferSize?: number;
  /** SO_SNDBUF in bytes (likewise). */
  sendBufferSize?: number;
}

/**
 * Opens a socket bound to `address` through `open` (an addon opener), with IP_RECVERR on and the buffer sizes and
 * namespace of `options`. A failure is mapped by `openError`, with `what` naming the socket and where it was.
 */
export function openNativeSocket<T>(
  options: SocketOptions,
  address: number,
  open: (socket: NativeSocketOptions) => T,
  openError: (err: unknown, ctx: OpenContext) => unknown,
  what: string,
): T {
  try {
    return open({
      address,
      netns: options.netns ?? '',
      receiveBufferSize: options.receiveBufferSize ?? 0,
      receiveErrors: true,
      sendBufferSize: options.sendBufferSize ?? 0,
    });
  } catch (err) {
    const where = options.netns === undefined ? '' : ` in network namespace ${options.netns}`;
    throw openError(err, { what: `${what}${where}`, netns: options.netns });
  }
}

/** What `require('build/Release/packet_io.node')` returns. */
export interface PacketIoBinding {
  openTun(options: NativeTunOptions): { endpoint: NativeEndpoint; name: string; ifindex: number; mac: Buffer | null };
  openUdp(options: NativeSocketOptions & { port?: number }): { endpoint: NativeEndpoint; address: number; port: number };
  openRawIp(
    options: NativeSocketOptions & { protocol: number; headerIncluded?: boolean },
  ): { endpoint: NativeEndpoint; address: number };
  openRouteMonitor(options: { netns?: string }): { endpoint: NativeEndpoint };
  pathMtu(address: number, netns?: string): number;
  setLinkMtu(name: string, mtu: number, netns?: string): void;
  sendUnixDatagram(path: string, data: Buffer): void;
  readonly counterNames: readonly string[];
  readonly metaStride: number;
  readonly maxBatch: number;
}

const ADDON_PATH = '../../build/Release/packet_io.node';
let binding: PacketIoBinding | undefined;

/** Loads the addon once (relative to src/io or dist/io alike). Throws SystemError VPNC_ERR_ADDON with a hint. */
export function loadBinding(): PacketIoBinding {
  if (binding !== undefined) return binding;
  let loaded: PacketIoBinding;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as PacketIoBinding;
  } catch (err) {
    throw new SystemError(
      IoErrorCode.addon,
      `the packet I/O addon (build/Release/packet_io.node) cannot be loaded: ${(err as Error).message}; ` +
        'build it with `npm rebuild` (needs g++, make, python3 and the Node headers)',
      undefined,
      { cause: err },
    );
  }
  if (loaded.metaStride !== META_STRIDE || loaded.counterNames.join() !== COUNTER_NAMES.join()) {
    throw new SystemError(IoErrorCode.addon, 'the packet I/O addon does not match this version of src/io: run `npm rebuild`');
  }
  binding = loaded;
  return loaded;
}
