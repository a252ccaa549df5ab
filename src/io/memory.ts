/**
 * An in-memory PacketEndpoint pair for unit tests of the layers above (ESP, session): what one side sends,
 * the other receives, in batches, on a later turn of the event loop, with the sender's address and port
 * as the source. Like a socket, a stopped side queues (up to `queueLimit`, then drops and counts).
 * This is a test double: it copies each packet once and is not meant to be fast.
 */
import {
  COUNTER_NAMES,
  EndpointCounters,
  META_STRIDE,
  PacketBatch,
  receiveShape,
  type EndpointErrorHandler,
  type EndpointKind,
  type PacketEndpoint,
  type PacketHandler,
  type ReceiveOptions,
} from './endpoint.js';

/** Options of one side of a memory pair. */
export interface MemoryEndpointOptions {
  /** The kind to report (default `memory`); e.g. `tun` to stand in for a device. */
  kind?: EndpointKind;
  /** This side's address, seen as the source by the other side (default 0). */
  address?: number;
  /** This side's port, seen as the source port by the other side (default 0). */
  port?: number;
  /** Receive arena shape (default 64 slots of 4096 bytes). */
  receive?: ReceiveOptions;
  /** Packets queued for this side before further sends to it are dropped (default 1024). */
  queueLimit?: number;
}

interface Queued {
  readonly data: Buffer;
  readonly address: number;
  readonly port: number;
}

const C = Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, i])) as Record<(typeof COUNTER_NAMES)[number], number>;

/** One side of a memory pair. */
export class MemoryEndpoint implements PacketEndpoint {
  readonly kind: EndpointKind;
  readonly address: number;
  readonly port: number;
  readonly stats: EndpointCounters;
  /** The other side; set by createMemoryPair. */
  peer: MemoryEndpoint | undefined;
  private readonly batch: PacketBatch;
  private readonly slotSize: number;
  private readonly queueLimit: number;
  private readonly queue: Queued[] = [];
  private onPackets: PacketHandler | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private refed = true;
  private isClosed = false;

  constructor(options: MemoryEndpointOptions = {}) {
    const shape = receiveShape(options.receive);
    this.kind = options.kind ?? 'memory';
    this.address = options.address ?? 0;
    this.port = options.port ?? 0;
    this.slotSize = shape.slotSize;
    this.queueLimit = options.queueLimit ?? 1024;
    this.stats = new EndpointCounters(new Float64Array(COUNTER_NAMES.length));
    this.batch = new PacketBatch(Buffer.alloc(shape.batchSize * shape.slotSize), new Uint32Array(shape.batchSize * META_STRIDE));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Packets waiting for this side to start (or for the next delivery). */
  get queued(): number {
    return this.queue.length;
  }

  start(onPackets: PacketHandler, _onError?: EndpointErrorHandler): void {
    if (this.isClosed) throw new Error('memory endpoint: start() after close()');
    if (this.onPackets !== undefined) throw new Error('memory endpoint: already started');
    this.onPackets = onPackets;
    this.schedule();
  }

  stop(): void {
    this.onPackets = undefined;
    this.cancel();
  }

  send(data: Uint8Array, offset: number, length: number, _address = 0, _port = 0): boolean {
    if (offset < 0 || length < 0 || offset + length > data.length) throw new RangeError('send: offset/length outside the buffer');
    const counters = this.stats.values;
    const peer = this.peer;
    if (this.isClosed || peer === undefined || peer.isClosed) {
      counters[C.txErrors] += 1;
      return false;
    }
    if (!peer.accept(Buffer.from(data.subarray(offset, offset + length)), this.address, this.port)) {
      counters[C.txDropped] += 1;
      return false;
    }
    counters[C.txPackets] += 1;
    counters[C.txBytes] += length;
    return true;
  }

  sendBatch(data: Uint8Array, meta: Uint32Array, count: number): number {
    if (count * META_STRIDE > meta.length) throw new RangeError('sendBatch: count exceeds the metadata array');
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const base = i * META_STRIDE;
      if (this.send(data, meta[base], meta[base + 1], meta[base + 2], meta[base + 3])) sent++;
    }
    return sent;
  }

  ref(): this {
    this.refed = true;
    this.immediate?.ref();
    return this;
  }

  unref(): this {
    this.refed = false;
    this.immediate?.unref();
    return this;
  }

  close(): void {
    this.isClosed = true;
    this.stop();
    this.queue.length = 0;
  }

  /** Queues one packet from the peer; false when the queue is full. */
  private accept(data: Buffer, address: number, port: number): boolean {
    if (this.queue.length >= this.queueLimit) return false;
    this.queue.push({ data, address, port });
    this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.immediate !== undefined || this.onPackets === undefined || this.queue.length === 0) return;
    this.immediate = setImmediate(() => this.deliver());
    if (!this.refed) this.immediate.unref();
  }

  private cancel(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  /** One readiness event: moves up to a batch of queued packets into the arena and calls back once. */
  private deliver(): void {
    this.immediate = undefined;
    const onPackets = this.onPackets;
    if (onPackets === undefined) return;
    const { buffer, meta } = this.batch;
    const slots = meta.length / META_STRIDE;
    const counters = this.stats.values;
    let count = 0;
    while (count < slots && this.queue.length > 0) {
      const packet = this.queue.shift() as Queued;
      if (packet.data.length > this.slotSize) {
        counters[C.rxTruncated] += 1;
        continue;
      }
      const offset = count * this.slotSize;
      packet.data.copy(buffer, offset);
      const base = count * META_STRIDE;
      meta[base] = offset;
      meta[base + 1] = packet.data.length;
      meta[base + 2] = packet.address;
      meta[base + 3] = packet.port;
      counters[C.rxPackets] += 1;
      counters[C.rxBytes] += packet.data.length;
      count++;
    }
    this.schedule();
    if (count === 0) return;
    this.batch.count = count;
    onPackets(this.batch);
  }
}

/** Two connected memory endpoints: what `a` sends, `b` receives, and the other way round. */
export function createMemoryPair(
  a: MemoryEndpointOptions = {},
  b: MemoryEndpointOptions = {},
): [MemoryEndpoint, MemoryEndpoint] {
  const left = new MemoryEndpoint(a);
  const right = new MemoryEndpoint(b);
  left.peer = right;
  right.peer = left;
  return [left, right];
}
