/**
 * A fixed set of packet buffers cut from one arena, handed out and taken back through a free list (a stack of
 * preallocated views), so the steady state allocates nothing. Each buffer is big enough for an inner packet at
 * offset ESP_HEADROOM plus ESP_TAILROOM, or for a received ESP datagram.
 */
import { VpncError } from '../errors.js';
import { ESP_BUFFER_SIZE } from './constants.js';

/** A programming error in buffer ownership (foreign buffer, or put twice). */
export class BufferPoolError extends VpncError {
  constructor(message: string) {
    super('VPNC_ERR_BUFFER_POOL', message);
  }
}

/** Fixed-size pool of equal packet buffers. */
export class BufferPool {
  /** Bytes per buffer. */
  readonly bufferSize: number;
  /** Buffers owned by the pool. */
  readonly capacity: number;
  private readonly arena: Buffer;
  private readonly views: Buffer[];
  /** Free stack: indexes into `views`, valid below `freeCount`. */
  private readonly freeStack: Uint32Array;
  private freeCount: number;
  /** 1 where the buffer of that index is in the pool, to catch double puts. */
  private readonly isFree: Uint8Array;

  constructor(capacity: number, bufferSize: number = ESP_BUFFER_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1 || !Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new RangeError('BufferPool: capacity and bufferSize must be positive integers');
    }
    this.capacity = capacity;
    this.bufferSize = bufferSize;
    this.arena = Buffer.allocUnsafeSlow(capacity * bufferSize);
    this.views = [];
    this.freeStack = new Uint32Array(capacity);
    this.isFree = new Uint8Array(capacity).fill(1);
    for (let i = 0; i < capacity; i++) {
      this.views.push(this.arena.subarray(i * bufferSize, (i + 1) * bufferSize));
      this.freeStack[i] = capacity - 1 - i; // hand out index 0 first
    }
    this.freeCount = capacity;
  }

  /** Buffers currently free. */
  get available(): number {
    return this.freeCount;
  }

  /** Take a buffer, or undefined when all are in use (the caller drops the packet). Contents are stale. */
  get(): Buffer | undefined {
    if (this.freeCount === 0) return undefined;
    const index = this.freeStack[--this.freeCount]!;
    this.isFree[index] = 0;
    return this.views[index];
  }

  /** Give a buffer back. Throws BufferPoolError for a buffer not from this pool or already returned. */
  put(buf: Buffer): void {
    const index = this.indexOf(buf);
    if (index < 0) throw new BufferPoolError('buffer does not belong to this pool');
    if (this.isFree[index] === 1) throw new BufferPoolError('buffer returned to the pool twice');
    this.isFree[index] = 1;
    this.freeStack[this.freeCount++] = index;
  }

  /** Index of a pool buffer, or -1. */
  private indexOf(buf: Buffer): number {
    if (buf.buffer !== this.arena.buffer || buf.length !== this.bufferSize) return -1;
    const rel = buf.byteOffset - this.arena.byteOffset;
    if (rel < 0 || rel % this.bufferSize !== 0) return -1;
    const index = rel / this.bufferSize;
    return index < this.capacity ? index : -1;
  }
}
