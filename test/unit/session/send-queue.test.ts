/**
 * SendQueue (esp-transport.ts): the packets of one TUN batch go to the endpoint in one sendBatch, in order,
 * with the address and port of each, and drops are counted from what the endpoint refused.
 */
import { describe, expect, it } from 'vitest';
import { META_STRIDE } from '../../../src/io/endpoint.js';
import { createMemoryPair, MemoryEndpoint } from '../../../src/io/memory.js';
import { SEND_QUEUE_LENGTH, SendQueue } from '../../../src/session/esp-transport.js';

/** A memory endpoint that also records each sendBatch call (count, and address/port of every entry). */
class RecordingEndpoint extends MemoryEndpoint {
  readonly calls: { count: number; addresses: number[]; ports: number[] }[] = [];
  override sendBatch(data: Uint8Array, meta: Uint32Array, count: number): number {
    const addresses: number[] = [];
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      addresses.push(meta[i * META_STRIDE + 2]!);
      ports.push(meta[i * META_STRIDE + 3]!);
    }
    this.calls.push({ count, addresses, ports });
    return super.sendBatch(data, meta, count);
  }
}

function pair(queueLimit = 1024): { tx: RecordingEndpoint; rx: MemoryEndpoint; received: Buffer[] } {
  const tx = new RecordingEndpoint();
  const [, rx] = createMemoryPair({}, { queueLimit });
  tx.peer = rx;
  rx.peer = tx;
  const received: Buffer[] = [];
  rx.start((b) => {
    for (let i = 0; i < b.count; i++) received.push(Buffer.from(b.packet(i)));
  });
  return { tx, rx, received };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('SendQueue', () => {
  it('sends everything queued with one sendBatch, in order, with address and port', async () => {
    const { tx, received } = pair();
    const q = new SendQueue();
    const arena = Buffer.from('aaaa-bbbbbb-cc');
    expect(q.add(tx, arena, 0, 4, 0xc6336401, 4500)).toBe(0);
    expect(q.add(tx, arena, 5, 6, 0xc6336401, 4500)).toBe(0);
    expect(q.add(tx, arena, 12, 2, 0xc6336401, 4500)).toBe(0);
    expect(q.length).toBe(3);
    expect(tx.calls).toEqual([]);
    expect(q.flush(tx)).toBe(0);
    expect(q.length).toBe(0);
    expect(tx.calls).toEqual([{ count: 3, addresses: [0xc6336401, 0xc6336401, 0xc6336401], ports: [4500, 4500, 4500] }]);
    await settle();
    expect(received.map((b) => b.toString())).toEqual(['aaaa', 'bbbbbb', 'cc']);
    expect(q.flush(tx)).toBe(0); // nothing left: no call
    expect(tx.calls.length).toBe(1);
  });

  it('flushes by itself when full or when a packet lies in another buffer', () => {
    const { tx } = pair();
    const q = new SendQueue();
    const a = Buffer.alloc(SEND_QUEUE_LENGTH + 1, 1);
    for (let i = 0; i < SEND_QUEUE_LENGTH; i++) q.add(tx, a, i, 1, 1, 2);
    expect(tx.calls.length).toBe(0);
    q.add(tx, a, SEND_QUEUE_LENGTH, 1, 1, 2);
    expect(tx.calls.map((c) => c.count)).toEqual([SEND_QUEUE_LENGTH]);
    q.add(tx, Buffer.alloc(4), 0, 4, 1, 2);
    expect(tx.calls.map((c) => c.count)).toEqual([SEND_QUEUE_LENGTH, 1]);
    expect(q.length).toBe(1);
  });

  it('returns the packets the endpoint refused', () => {
    const { tx } = pair(2);
    const q = new SendQueue();
    const a = Buffer.alloc(10);
    for (let i = 0; i < 5; i++) q.add(tx, a, i, 1, 0, 0);
    expect(q.flush(tx)).toBe(3);
    expect(tx.stats.txDropped).toBe(3);
  });
});
