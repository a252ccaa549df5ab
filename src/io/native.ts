/**
 * The native addon (native/, built by node-gyp at `npm install` into build/Release/packet_io.node) and the
 * TypeScript shape of what it exports. Only src/io/ talks to it.
 */
import { createRequire } from 'node:module';
import { SystemError } from '../errors.js';
import { COUNTER_NAMES, META_STRIDE } from './endpoint.js';
import { IoErrorCode } from './errors.js';

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
