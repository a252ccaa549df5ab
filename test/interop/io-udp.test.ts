/**
 * The addon UDP endpoint inside namespaces: batched receive from an independent sender (node:dgram),
 * answers back, and a full send queue provoked on purpose (counted drops, never a throw).
 * Needs root; fails (never skips) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_STRIDE, setBatchEntry } from '../../src/io/endpoint.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import { openUdp } from '../../src/io/udp.js';
import { createNetns, deleteNetns, linkNetns, requireRoot } from '../helpers/netns.js';
import { dgramReceiver, dgramSend, receive } from './io-helpers.js';

requireRoot();

let nsA = '';
let nsB = '';

beforeAll(() => {
  nsA = createNetns('io-udpa');
  nsB = createNetns('io-udpb');
  linkNetns(nsA, '198.51.100.1/24', nsB, '198.51.100.2/24');
});

afterAll(() => {
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

describe('addon UDP endpoint across namespaces', () => {
  it('receives 200 datagrams from node:dgram in batches, with the sender address and port', async () => {
    const udp = openUdp({ localAddress: '198.51.100.2', localPort: 4500, netns: nsB, receiveBufferSize: 1 << 20 });
    try {
      // Sent while nobody polls: the backlog then arrives in batches of up to 64.
      await dgramSend(nsA, '198.51.100.1', 5000, '198.51.100.2', 4500, 'natt', 200);
      const got = await receive(udp, 200);
      expect(got.packets.map((p) => p.toString())).toEqual(Array.from({ length: 200 }, (_, i) => `natt ${i}`));
      expect(new Set(got.sources)).toEqual(new Set([parseIpv4('198.51.100.1')]));
      expect(new Set(got.ports)).toEqual(new Set([5000]));
      expect(Math.max(...got.batchSizes)).toBe(64);
      expect(got.batchSizes.length).toBeLessThanOrEqual(5);
      expect(udp.stats.rxPackets).toBe(200);
    } finally {
      udp.close();
    }
  });

  it('sends a batch with sendmmsg to a node:dgram receiver in the other namespace', async () => {
    const receiver = dgramReceiver(nsB, '198.51.100.2', 500);
    const udp = openUdp({ localAddress: '198.51.100.1', localPort: 500, netns: nsA });
    try {
      await receiver.ready;
      const data = Buffer.from('ike-0ike-1ike-2');
      const meta = new Uint32Array(3 * META_STRIDE);
      for (let i = 0; i < 3; i++) setBatchEntry(meta, i, i * 5, 5, parseIpv4('198.51.100.2'), 500);
      expect(udp.sendBatch(data, meta, 3)).toBe(3);
      const lines = (await receiver.next(3)).map((l) => JSON.parse(l) as { text: string; address: string; port: number });
      expect(lines).toEqual([0, 1, 2].map((i) => ({ text: `ike-${i}`, address: '198.51.100.1', port: 500 })));
    } finally {
      udp.close();
      receiver.child.kill('SIGKILL');
    }
  });

  it('counts drops and returns false when the send queue is full, never throws', () => {
    // 198.51.100.99 is on-link but nobody answers ARP: datagrams wait in the neighbour queue, still
    // charged to the socket's small send buffer, until sendto() meets EAGAIN.
    const udp = openUdp({ localAddress: '198.51.100.1', netns: nsA, sendBufferSize: 4096 });
    try {
      const silent = parseIpv4('198.51.100.99');
      const payload = Buffer.alloc(1200);
      let refused = 0;
      for (let i = 0; i < 200; i++) if (!udp.send(payload, 0, payload.length, silent, 9)) refused++;
      expect(refused).toBeGreaterThan(0);
      expect(udp.stats.txDropped).toBe(refused);
      expect(udp.stats.txErrors).toBe(0);
      expect(udp.stats.lastErrno).toBe(11); // EAGAIN
      const meta = new Uint32Array(8 * META_STRIDE);
      for (let i = 0; i < 8; i++) setBatchEntry(meta, i, 0, payload.length, silent, 9);
      expect(udp.sendBatch(payload, meta, 8)).toBe(0);
      expect(udp.stats.txDropped).toBe(refused + 8);
    } finally {
      udp.close();
    }
  });
});
