/**
 * A PacketEndpoint over one descriptor held by the addon. Owns the receive arena and its metadata array;
 * the addon fills them on readiness and calls back once per batch. Nothing here allocates per packet.
 */
import {
  EndpointCounters,
  META_STRIDE,
  PacketBatch,
  type EndpointErrorHandler,
  type EndpointKind,
  type EndpointStats,
  type PacketEndpoint,
  type PacketHandler,
} from './endpoint.js';
import { receiveError } from './errors.js';
import type { NativeEndpoint } from './native.js';
import type { NetworkError } from './network-error.js';

/** The PacketEndpoint behind TunDevice, UdpEndpoint and RawEspEndpoint. */
export class NativePacketEndpoint implements PacketEndpoint {
  readonly stats: EndpointStats;
  /** The reused batch view over the arena. */
  private readonly batch: PacketBatch;
  private readonly slotSize: number;
  private started = false;
  private isClosed = false;

  constructor(
    protected readonly handle: NativeEndpoint,
    readonly kind: EndpointKind,
    /** For messages, e.g. `tun device tun0`. */
    readonly label: string,
    receive: { batchSize: number; slotSize: number },
  ) {
    this.stats = new EndpointCounters(handle.counters);
    this.slotSize = receive.slotSize;
    const arena = Buffer.alloc(receive.batchSize * receive.slotSize);
    this.batch = new PacketBatch(arena, new Uint32Array(receive.batchSize * META_STRIDE));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The descriptor (-1 once closed); for diagnostics and benchmarks. */
  get fd(): number {
    return this.handle.fd;
  }

  start(onPackets: PacketHandler, onError?: EndpointErrorHandler): void {
    if (this.isClosed) throw new Error(`${this.label}: start() after close()`);
    if (this.started) throw new Error(`${this.label}: already started`);
    const batch = this.batch;
    this.handle.start(batch.buffer, batch.meta, this.slotSize, (count, errno) => {
      if (count > 0) {
        batch.count = count;
        onPackets(batch);
      }
      if (errno !== 0) {
        this.started = false;
        const error = receiveError(this.label, errno);
        if (onError === undefined) throw error;
        onError(error);
      }
    });
    this.started = true;
  }

  stop(): void {
    this.started = false;
    this.handle.stop();
  }

  send(data: Uint8Array, offset: number, length: number, address = 0, port = 0): boolean {
    return this.handle.send(data, offset, length, address, port);
  }

  sendBatch(data: Uint8Array, meta: Uint32Array, count: number): number {
    return this.handle.sendBatch(data, meta, count);
  }

  /** Hears what the network reports about packets sent from this socket (ICMP errors; sockets opened with them). */
  onNetworkError(handler: (e: NetworkError) => void): void {
    this.handle.setErrorSink((origin, type, code, info, errno, from, destination, destinationPort) =>
      handler({ origin, type, code, info, errno, from, destination, destinationPort }),
    );
  }

  ref(): this {
    this.handle.ref();
    return this;
  }

  unref(): this {
    this.handle.unref();
    return this;
  }

  close(): void {
    this.started = false;
    this.isClosed = true;
    this.handle.close();
  }
}
