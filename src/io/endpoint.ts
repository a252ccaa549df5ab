/**
 * The packet endpoint: one interface for everything that moves whole packets (TUN and TAP devices, the
 * raw ESP socket, the batched UDP socket, and the in-memory pair used by unit tests).
 *
 * Receiving is batched and zero-copy: the endpoint owns a receive arena of fixed-size slots and a
 * metadata array; on readiness it fills as many slots as packets are waiting and calls `onPackets` once.
 * The batch is valid only during that call: the arena is reused afterwards, so a packet that must outlive
 * the callback has to be copied. Sending never throws for a full queue: it returns false and counts a drop.
 */
import type { SystemError } from '../errors.js';

/** Words per packet in batch metadata: offset, length, source/destination address, port. */
export const META_STRIDE = 4;

/** Default receive slots per readiness event. */
export const DEFAULT_BATCH_SIZE = 64;

/** Default bytes per receive slot: vpnc's MAX_PACKET; packets longer than a slot are dropped and counted. */
export const DEFAULT_SLOT_SIZE = 4096;

/** What an endpoint carries. */
export type EndpointKind = 'tun' | 'tap' | 'udp' | 'raw-esp' | 'netlink' | 'memory';

/** Shape of the receive arena. */
export interface ReceiveOptions {
  /** Packets per batch (slots in the arena), 1..1024. */
  batchSize?: number;
  /** Bytes per slot: the largest packet that can be received. */
  slotSize?: number;
}

/** Counter names, in the order of the native counters array. */
export const COUNTER_NAMES = [
  'rxPackets',
  'rxBytes',
  'rxTruncated',
  'rxErrors',
  'txPackets',
  'txBytes',
  'txDropped',
  'txErrors',
  'lastErrno',
] as const;

/** Live traffic counters of one endpoint. */
export type EndpointStats = { readonly [K in (typeof COUNTER_NAMES)[number]]: number };

/** EndpointStats read straight from a counters array that the native side (or the memory pair) updates. */
export class EndpointCounters implements EndpointStats {
  constructor(readonly values: Float64Array) {}
  /** Packets received and delivered. */
  get rxPackets(): number { return this.values[0]; }
  /** Bytes received and delivered. */
  get rxBytes(): number { return this.values[1]; }
  /** Packets dropped because they were longer than a slot. */
  get rxTruncated(): number { return this.values[2]; }
  /** Receive calls that failed. */
  get rxErrors(): number { return this.values[3]; }
  /** Packets handed to the kernel. */
  get txPackets(): number { return this.values[4]; }
  /** Bytes handed to the kernel. */
  get txBytes(): number { return this.values[5]; }
  /** Packets dropped because the queue was full (EAGAIN, ENOBUFS). */
  get txDropped(): number { return this.values[6]; }
  /** Packets refused for any other reason (EMSGSIZE, EINVAL, closed endpoint, ...). */
  get txErrors(): number { return this.values[7]; }
  /** errno of the last failed receive or send, 0 if none. */
  get lastErrno(): number { return this.values[8]; }
}

/**
 * The packets of one readiness event. One instance per endpoint, reused: read it inside the callback only.
 * Packet i lies at `buffer[offset(i) .. offset(i) + length(i))`.
 */
export class PacketBatch {
  /** Number of packets in this batch. */
  count = 0;
  constructor(
    /** The receive arena. */
    readonly buffer: Buffer,
    /** META_STRIDE words per packet: offset, length, source address, source port. */
    readonly meta: Uint32Array,
  ) {}
  /** Offset of packet i in `buffer`. */
  offset(i: number): number { return this.meta[i * META_STRIDE]; }
  /** Length of packet i. */
  length(i: number): number { return this.meta[i * META_STRIDE + 1]; }
  /** IPv4 source address of packet i as an unsigned 32-bit number (0 for devices). */
  address(i: number): number { return this.meta[i * META_STRIDE + 2]; }
  /** Source port of packet i (UDP only, else 0). */
  port(i: number): number { return this.meta[i * META_STRIDE + 3]; }
  /** A view of packet i (allocates a Buffer view: for tests and slow paths). */
  packet(i: number): Buffer {
    const off = this.offset(i);
    return this.buffer.subarray(off, off + this.length(i));
  }
}

/** Called once per readiness event with every packet that was waiting (up to the batch size). */
export type PacketHandler = (batch: PacketBatch) => void;

/** Called when the endpoint can no longer receive (the device vanished, the socket failed). */
export type EndpointErrorHandler = (error: SystemError) => void;

/** A bidirectional packet endpoint. */
export interface PacketEndpoint {
  /** What the endpoint carries. */
  readonly kind: EndpointKind;
  /** Live counters. */
  readonly stats: EndpointStats;
  /** True after close(). */
  readonly closed: boolean;
  /**
   * Starts delivering received packets. Without `onError`, a fatal receive error is thrown from the event
   * loop (an uncaught exception). Throws if already started or closed.
   */
  start(onPackets: PacketHandler, onError?: EndpointErrorHandler): void;
  /** Stops delivering; packets queue in the kernel until start() is called again. */
  stop(): void;
  /**
   * Sends `data[offset .. offset + length)`. Sockets need the destination address (and port for UDP);
   * devices ignore both. Returns false (and counts) when the packet was dropped; never throws for that.
   */
  send(data: Uint8Array, offset: number, length: number, address?: number, port?: number): boolean;
  /**
   * Sends `count` packets described by `meta` (META_STRIDE words each: offset, length, address, port)
   * from `data`, with one system call per chunk on sockets. Returns how many were accepted.
   */
  sendBatch(data: Uint8Array, meta: Uint32Array, count: number): number;
  /** A started endpoint keeps the event loop alive (the default). */
  ref(): this;
  /** A started endpoint does not keep the event loop alive. */
  unref(): this;
  /** Stops and releases the descriptor. Harmless to call twice. */
  close(): void;
}

/** Writes entry i of a send-batch metadata array. */
export function setBatchEntry(
  meta: Uint32Array,
  i: number,
  offset: number,
  length: number,
  address = 0,
  port = 0,
): void {
  const base = i * META_STRIDE;
  meta[base] = offset;
  meta[base + 1] = length;
  meta[base + 2] = address;
  meta[base + 3] = port;
}

/** Checks receive options and returns them with defaults applied. */
export function receiveShape(options: ReceiveOptions | undefined, slotDefault = DEFAULT_SLOT_SIZE): Required<ReceiveOptions> {
  const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
  const slotSize = options?.slotSize ?? slotDefault;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1024) {
    throw new RangeError(`batchSize must be 1..1024, got ${batchSize}`);
  }
  if (!Number.isInteger(slotSize) || slotSize < 20 || slotSize > 65535) {
    throw new RangeError(`slotSize must be 20..65535, got ${slotSize}`);
  }
  return { batchSize, slotSize };
}
