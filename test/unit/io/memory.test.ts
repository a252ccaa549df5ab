import { describe, expect, it } from 'vitest';
import { META_STRIDE, PacketBatch, setBatchEntry } from '../../../src/io/endpoint.js';
import { createMemoryPair } from '../../../src/io/memory.js';

/** Resolves with the batches delivered to `onPackets` until `total` packets have arrived. */
function collect(
  start: (handler: (batch: PacketBatch) => void) => void,
  total: number,
): Promise<{ batches: number[]; packets: Array<{ hex: string; address: number; port: number }> }> {
  return new Promise((resolve) => {
    const batches: number[] = [];
    const packets: Array<{ hex: string; address: number; port: number }> = [];
    start((batch) => {
      batches.push(batch.count);
      for (let i = 0; i < batch.count; i++) {
        packets.push({ hex: batch.packet(i).toString('hex'), address: batch.address(i), port: batch.port(i) });
      }
      if (packets.length >= total) resolve({ batches, packets });
    });
  });
}

describe('memory endpoint pair', () => {
  it('delivers what one side sends to the other, with the sender as source, both ways', async () => {
    const [a, b] = createMemoryPair({ address: 0xc0000201, port: 500 }, { address: 0xc6336401, port: 4500 });
    const atB = collect((h) => b.start(h), 1);
    const atA = collect((h) => a.start(h), 1);
    expect(a.send(Buffer.from([0xaa, 1, 2, 3, 4, 0xbb]), 1, 4)).toBe(true);
    expect(b.send(Buffer.from([9, 8, 7]), 0, 3)).toBe(true);
    const [gotB, gotA] = await Promise.all([atB, atA]);
    expect(gotB.packets).toEqual([{ hex: '01020304', address: 0xc0000201, port: 500 }]);
    expect(gotA.packets).toEqual([{ hex: '090807', address: 0xc6336401, port: 4500 }]);
    expect(a.stats.txPackets).toBe(1);
    expect(a.stats.txBytes).toBe(4);
    expect(b.stats.rxPackets).toBe(1);
    expect(b.stats.rxBytes).toBe(4);
    a.close();
    b.close();
  });

  it('batches everything queued before start into one callback, up to the batch size', async () => {
    const [a, b] = createMemoryPair({}, { receive: { batchSize: 4, slotSize: 64 } });
    for (let i = 0; i < 10; i++) expect(a.send(Buffer.from([i]), 0, 1)).toBe(true);
    expect(b.queued).toBe(10);
    const got = await collect((h) => b.start(h), 10);
    expect(got.batches).toEqual([4, 4, 2]);
    expect(got.packets.map((p) => p.hex)).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09']);
    b.close();
  });

  it('reuses the arena: packets are at fixed slots of the same buffer', async () => {
    const [a, b] = createMemoryPair({}, { receive: { batchSize: 2, slotSize: 32 } });
    const buffers = new Set<Buffer>();
    const offsets: number[] = [];
    a.send(Buffer.from('one'), 0, 3);
    a.send(Buffer.from('two'), 0, 3);
    a.send(Buffer.from('three'), 0, 5);
    await collect((h) =>
      b.start((batch) => {
        buffers.add(batch.buffer);
        for (let i = 0; i < batch.count; i++) offsets.push(batch.offset(i));
        h(batch);
      }), 3);
    expect(buffers.size).toBe(1);
    expect(offsets).toEqual([0, 32, 0]);
    b.close();
  });

  it('drops and counts when the queue is full, without throwing', () => {
    const [a, b] = createMemoryPair({}, { queueLimit: 2 });
    expect(a.send(Buffer.from([1]), 0, 1)).toBe(true);
    expect(a.send(Buffer.from([2]), 0, 1)).toBe(true);
    expect(a.send(Buffer.from([3]), 0, 1)).toBe(false);
    expect(a.stats.txDropped).toBe(1);
    expect(a.stats.txPackets).toBe(2);
    expect(b.queued).toBe(2);
  });

  it('counts packets longer than a slot as truncated on the receiving side', async () => {
    const [a, b] = createMemoryPair({}, { receive: { batchSize: 4, slotSize: 20 } });
    a.send(Buffer.alloc(21), 0, 21);
    a.send(Buffer.alloc(20, 1), 0, 20);
    const got = await collect((h) => b.start(h), 1);
    expect(got.packets).toHaveLength(1);
    expect(b.stats.rxTruncated).toBe(1);
    expect(b.stats.rxPackets).toBe(1);
    b.close();
  });

  it('sends a batch described by metadata entries', async () => {
    const [a, b] = createMemoryPair({}, { queueLimit: 3 });
    const data = Buffer.from('aabbbcccc');
    const meta = new Uint32Array(4 * META_STRIDE);
    setBatchEntry(meta, 0, 0, 2);
    setBatchEntry(meta, 1, 2, 3);
    setBatchEntry(meta, 2, 5, 4);
    setBatchEntry(meta, 3, 0, 1);
    expect(a.sendBatch(data, meta, 4)).toBe(3);
    expect(a.stats.txDropped).toBe(1);
    const got = await collect((h) => b.start(h), 3);
    expect(got.packets.map((p) => Buffer.from(p.hex, 'hex').toString())).toEqual(['aa', 'bbb', 'cccc']);
    expect(() => a.sendBatch(data, meta, 5)).toThrow(RangeError);
    b.close();
  });

  it('stops delivering after stop() and resumes with the queue kept', async () => {
    const [a, b] = createMemoryPair();
    let calls = 0;
    b.start(() => calls++);
    b.stop();
    a.send(Buffer.from([1]), 0, 1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(0);
    expect(b.queued).toBe(1);
    const got = await collect((h) => b.start(h), 1);
    expect(got.packets).toHaveLength(1);
    b.close();
  });

  it('closes cleanly: twice is harmless, sends to or from a closed side fail and count', () => {
    const [a, b] = createMemoryPair();
    b.close();
    b.close();
    expect(b.closed).toBe(true);
    expect(a.send(Buffer.from([1]), 0, 1)).toBe(false);
    expect(a.stats.txErrors).toBe(1);
    expect(b.send(Buffer.from([1]), 0, 1)).toBe(false);
    expect(b.stats.txErrors).toBe(1);
    expect(() => b.start(() => {})).toThrow(/after close/);
  });

  it('rejects a second start and a send range outside the buffer', () => {
    const [a, b] = createMemoryPair();
    b.start(() => {});
    expect(() => b.start(() => {})).toThrow(/already started/);
    expect(() => a.send(Buffer.alloc(4), 2, 3)).toThrow(RangeError);
    b.close();
  });

  it('reports the kind it stands in for and validates the arena shape', () => {
    const [a] = createMemoryPair({ kind: 'tun' });
    expect(a.kind).toBe('tun');
    expect(() => createMemoryPair({ receive: { batchSize: 0 } })).toThrow(/batchSize/);
    expect(() => createMemoryPair({ receive: { slotSize: 70000 } })).toThrow(/slotSize/);
  });
});
