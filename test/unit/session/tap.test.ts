import { describe, expect, it } from 'vitest';
import { classifyFrame, ETHERNET_HEADER_LENGTH, EtherType, fakePeerMac, writeEthernetHeader } from '../../../src/session/tap.js';

const TAP_MAC = Buffer.from('02aabbccddee', 'hex');
const PEER = fakePeerMac(TAP_MAC);
const OUR = 0xc000020a; // 192.0.2.10

function arpRequest(senderIp: number, targetIp: number, opts: { op?: number; htype?: number; ptype?: number } = {}): Buffer {
  const f = Buffer.alloc(42);
  Buffer.from('ffffffffffff', 'hex').copy(f, 0);
  TAP_MAC.copy(f, 6);
  f.writeUInt16BE(EtherType.ARP, 12);
  f.writeUInt16BE(opts.htype ?? 1, 14);
  f.writeUInt16BE(opts.ptype ?? EtherType.IPV4, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(opts.op ?? 1, 20);
  TAP_MAC.copy(f, 22);
  f.writeUInt32BE(senderIp, 28);
  f.writeUInt32BE(targetIp, 38);
  return f;
}

describe('TAP mode framing', () => {
  it('makes the peer MAC by flipping bit 0x80 of the first byte', () => {
    expect(PEER.toString('hex')).toBe('82aabbccddee');
  });

  it('answers an ARP request for another address with the made-up MAC', () => {
    const req = arpRequest(OUR, 0xcb007102); // who has 203.0.113.2, tell 192.0.2.10
    const a = classifyFrame(req, 0, req.length, PEER, OUR);
    expect(a.kind).toBe('arp-reply');
    if (a.kind !== 'arp-reply') return;
    const r = a.frame;
    expect(r.subarray(0, 6)).toEqual(TAP_MAC);
    expect(r.subarray(6, 12)).toEqual(PEER);
    expect(r.readUInt16BE(12)).toBe(EtherType.ARP);
    expect(r.readUInt16BE(20)).toBe(2);
    expect(r.subarray(22, 28)).toEqual(PEER);
    expect(r.readUInt32BE(28)).toBe(0xcb007102);
    expect(r.subarray(32, 38)).toEqual(TAP_MAC);
    expect(r.readUInt32BE(38)).toBe(OUR);
  });

  it('does not answer ARP for our own address, gratuitous ARP, replies, other protocols or short packets', () => {
    const cases: Array<[Buffer, string]> = [
      [arpRequest(0xcb007102, OUR), 'ARP for our own address or gratuitous'],
      [arpRequest(0xcb007105, 0xcb007105), 'ARP for our own address or gratuitous'],
      [arpRequest(OUR, 0xcb007102, { op: 2 }), 'ARP that is not a request'],
      [arpRequest(OUR, 0xcb007102, { htype: 6 }), 'ARP for another protocol'],
      [arpRequest(OUR, 0xcb007102, { ptype: 0x86dd }), 'ARP for another protocol'],
      [arpRequest(OUR, 0xcb007102).subarray(0, 30), 'short ARP packet'],
      [Buffer.alloc(10), 'runt Ethernet frame'],
    ];
    for (const [frame, reason] of cases) expect(classifyFrame(frame, 0, frame.length, PEER, OUR)).toEqual({ kind: 'drop', reason });
    const other = Buffer.alloc(60);
    other.writeUInt16BE(0x88cc, 12);
    expect(classifyFrame(other, 0, 60, PEER, OUR)).toEqual({ kind: 'drop', reason: 'Ethernet type 0x88cc not carried' });
  });

  it('strips the Ethernet header of IPv4 and IPv6 frames, at an offset', () => {
    const f = Buffer.alloc(100);
    f.writeUInt16BE(EtherType.IPV4, 10 + 12);
    expect(classifyFrame(f, 10, 80, PEER, OUR)).toEqual({ kind: 'ip', offset: 24, length: 66 });
    f.writeUInt16BE(EtherType.IPV6, 10 + 12);
    expect(classifyFrame(f, 10, 80, PEER, OUR)).toEqual({ kind: 'ip', offset: 24, length: 66 });
  });

  it('writes the header in front of an inner packet with the right EtherType', () => {
    const b = Buffer.alloc(64);
    b[30] = 0x45;
    expect(writeEthernetHeader(b, 30, TAP_MAC, PEER)).toBe(30 - ETHERNET_HEADER_LENGTH);
    expect(b.subarray(16, 22)).toEqual(TAP_MAC);
    expect(b.subarray(22, 28)).toEqual(PEER);
    expect(b.readUInt16BE(28)).toBe(EtherType.IPV4);
    b[30] = 0x60;
    writeEthernetHeader(b, 30, TAP_MAC, PEER);
    expect(b.readUInt16BE(28)).toBe(EtherType.IPV6);
  });
});
