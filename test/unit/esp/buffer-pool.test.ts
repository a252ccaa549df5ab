import { describe, expect, it } from 'vitest';
import { BufferPool, BufferPoolError } from '../../../src/esp/buffer-pool.js';
import { ESP_BUFFER_SIZE, ESP_DEFAULT_MAX_INNER, ESP_HEADROOM, ESP_TAILROOM } from '../../../src/esp/constants.js';

describe('BufferPool', () => {
  it('hands out distinct, non-overlapping buffers of the configured size until empty', () => {
    const pool = new BufferPool(4, 100);
    const got = [pool.get(), pool.get(), pool.get(), pool.get()];
    expect(pool.get()).toBeUndefined();
    expect(pool.available).toBe(0);
    const offsets = new Set<number>();
    for (const b of got) {
      expect(b).toBeDefined();
      expect(b!.length).toBe(100);
      offsets.add(b!.byteOffset);
    }
    expect(offsets.size).toBe(4);
    got[0]!.fill(1);
    got[1]!.fill(2);
    expect(got[0]!.every((x) => x === 1)).toBe(true); // no overlap
  });

  it('defaults to ESP-sized buffers: headroom + 1500 + tailroom', () => {
    const pool = new BufferPool(2);
    expect(pool.bufferSize).toBe(ESP_BUFFER_SIZE);
    expect(ESP_BUFFER_SIZE).toBe(ESP_HEADROOM + ESP_DEFAULT_MAX_INNER + ESP_TAILROOM);
    expect(pool.get()!.length).toBe(ESP_BUFFER_SIZE);
  });

  it('reuses returned buffers (LIFO) and keeps the count right', () => {
    const pool = new BufferPool(3, 64);
    const a = pool.get()!;
    const b = pool.get()!;
    pool.put(a);
    expect(pool.available).toBe(2);
    expect(pool.get()).toBe(a);
    pool.put(b);
    pool.put(a);
    expect(pool.available).toBe(3);
  });

  it('refuses double puts and foreign buffers', () => {
    const pool = new BufferPool(2, 64);
    const other = new BufferPool(2, 64);
    const a = pool.get()!;
    pool.put(a);
    expect(() => pool.put(a)).toThrow(BufferPoolError);
    expect(() => pool.put(other.get()!)).toThrow(/does not belong/);
    expect(() => pool.put(Buffer.alloc(64))).toThrow(BufferPoolError);
    const b = pool.get()!;
    expect(() => pool.put(b.subarray(0, 32))).toThrow(BufferPoolError);
    expect(() => new BufferPool(0)).toThrow(RangeError);
  });

  it('cycles without growing the heap', () => {
    const pool = new BufferPool(8, 2048);
    const held: Buffer[] = [];
    const cycle = (n: number): void => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < 8; j++) held[j] = pool.get()!;
        for (let j = 0; j < 8; j++) pool.put(held[j]!);
      }
    };
    cycle(10_000); // warm up (JIT)
    const before = process.memoryUsage().arrayBuffers;
    cycle(100_000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024);
    expect(pool.available).toBe(8);
  });
});
