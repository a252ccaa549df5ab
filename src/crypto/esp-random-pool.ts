/**
 * Random bytes for ESP IVs without a system call per packet: a block filled by `randomFillSync` is handed out
 * a few bytes at a time and refilled when used up (the idea of ws's mask `randomPool`). Each byte is used once.
 */
import { randomFillSync } from 'node:crypto';

/** Where an ESP SA gets the explicit IV of each outbound packet (injectable for known-answer tests). */
export interface IvSource {
  /** Write `length` fresh unpredictable bytes into `dst` at `offset`. */
  fill(dst: Buffer, offset: number, length: number): void;
}

/** Default size of the pooled block: 512 AES-CBC IVs per refill. */
export const RANDOM_POOL_SIZE = 8192;

/** A pooled CSPRNG block; allocation-free after construction. */
export class RandomPool implements IvSource {
  private readonly pool: Buffer;
  private pos: number;

  /** @param size bytes per refill; must be at least the largest IV asked for. */
  constructor(size: number = RANDOM_POOL_SIZE) {
    this.pool = Buffer.allocUnsafeSlow(size);
    this.pos = size; // empty: the first fill() refills
  }

  fill(dst: Buffer, offset: number, length: number): void {
    if (this.pos + length > this.pool.length) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    this.pool.copy(dst, offset, this.pos, this.pos + length);
    this.pos += length;
  }
}
