/**
 * Raw ESP (IP protocol 50) through the addon between two namespaces joined by a veth pair. Each side
 * builds the outer IPv4 header itself (IP_HDRINCL); received packets carry their header and source.
 * The kernel has no ESP of its own here, so nothing else claims protocol 50. Needs root; never skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { META_STRIDE, setBatchEntry } from '../../src/io/endpoint.js';
import { decodeIpv4Header, encodeIpv4Header, IpProtocol, IPV4_HEADER_LENGTH } from '../../src/io/ipv4.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import { openRawEsp, type RawEspEndpoint } from '../../src/io/raw-esp.js';
import { createNetns, deleteNetns, linkNetns, nsRun, requireRoot } from '../helpers/netns.js';
import { receive } from './io-helpers.js';

requireRoot();

const A = parseIpv4('198.51.100.1');
const B = parseIpv4('198.51.100.2');
let nsA = '';
let nsB = '';
let espA: RawEspEndpoint;
let espB: RawEspEndpoint;

/** An ESP-shaped packet (RFC 4303 SPI and sequence number, then opaque bytes) behind an outer header. */
function espPacket(src: number, dst: number, spi: number, seq: number, body: string, identification: number): Buffer {
  const payload = Buffer.from(body);
  const packet = Buffer.alloc(IPV4_HEADER_LENGTH + 8 + payload.length);
  encodeIpv4Header(packet, 0, { totalLength: packet.length, protocol: IpProtocol.ESP, source: src, destination: dst, identification, tos: 0x10 });
  packet.writeUInt32BE(spi, 20);
  packet.writeUInt32BE(seq, 24);
  payload.copy(packet, 28);
  return packet;
}

beforeAll(() => {
  nsA = createNetns('io-espa');
  nsB = createNetns('io-espb');
  linkNetns(nsA, '198.51.100.1/24', nsB, '198.51.100.2/24');
  espA = openRawEsp({ localAddress: '198.51.100.1', netns: nsA });
  espB = openRawEsp({ localAddress: '198.51.100.2', netns: nsB });
});

afterAll(() => {
  espA?.close();
  espB?.close();
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

describe('raw ESP between two namespaces', () => {
  it('carries a packet from A to B with its IPv4 header and source address', async () => {
    const got = receive(espB, 1);
    const packet = espPacket(A, B, 0x1000, 1, 'esp a->b', 0x4242);
    expect(espA.send(packet, 0, packet.length, B)).toBe(true);
    const { packets, sources } = await got;
    expect(sources[0]).toBe(A);
    const header = decodeIpv4Header(packets[0], 0, packets[0].length);
    expect(header).toMatchObject({ protocol: IpProtocol.ESP, source: A, destination: B, identification: 0x4242, tos: 0x10, totalLength: packet.length });
    expect(packets[0].readUInt32BE(header.headerLength)).toBe(0x1000);
    expect(packets[0].readUInt32BE(header.headerLength + 4)).toBe(1);
    expect(packets[0].subarray(header.headerLength + 8).toString()).toBe('esp a->b');
  });

  it('carries a batch from B to A (sendmmsg) and delivers it as one batch', async () => {
    const packets = [1, 2, 3, 4].map((seq) => espPacket(B, A, 0x2000, seq, `esp b->a ${seq}`, seq));
    const data = Buffer.concat(packets);
    const meta = new Uint32Array(4 * META_STRIDE);
    let offset = 0;
    packets.forEach((p, i) => {
      setBatchEntry(meta, i, offset, p.length, A);
      offset += p.length;
    });
    expect(espB.sendBatch(data, meta, 4)).toBe(4);
    expect(espB.stats.txPackets).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 50)); // let all four arrive before A looks
    const got = await receive(espA, 4);
    expect(got.batchSizes).toEqual([4]);
    expect(got.sources).toEqual([B, B, B, B]);
    expect(got.packets.map((p) => p.subarray(28).toString())).toEqual([1, 2, 3, 4].map((s) => `esp b->a ${s}`));
  });

  it('the kernel in B delivered the packets to the socket, none dropped as an unknown protocol', () => {
    const snmp = nsRun(nsB, 'cat', ['/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Ip:'));
    const names = snmp[0].split(/\s+/);
    const values = snmp[1].split(/\s+/);
    expect(Number(values[names.indexOf('InUnknownProtos')])).toBe(0);
    expect(Number(values[names.indexOf('InDelivers')])).toBeGreaterThan(0);
  });

  it('a socket bound to another address does not receive A->B packets', async () => {
    const other = openRawEsp({ localAddress: '127.0.0.1', netns: nsB });
    try {
      let seen = 0;
      other.start((batch) => (seen += batch.count));
      const got = receive(espB, 1);
      const packet = espPacket(A, B, 0x1000, 2, 'only for B', 7);
      espA.send(packet, 0, packet.length, B);
      await got;
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toBe(0);
    } finally {
      other.close();
    }
  });
});
