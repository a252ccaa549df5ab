/**
 * TAP mode (`--ifmode tap`), as vpnc does it (vpnc.md 3.6): the kernel sends Ethernet frames; ARP requests
 * are answered locally with a made-up MAC address (the TAP's own with bit 0x80 of the first byte flipped;
 * no answer for our own address or gratuitous ARP), IPv4/IPv6 frames lose their Ethernet header before
 * ESP, and packets from the tunnel get one (destination: the TAP's MAC, source: the made-up MAC).
 * Pure functions over buffers; no allocation per packet except ARP replies.
 */
export const ETHERNET_HEADER_LENGTH = 14;
export const EtherType = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

/** The peer MAC vpnc invents: our TAP MAC with bit 0x80 of byte 0 flipped. */
export function fakePeerMac(tapMac: Buffer): Buffer {
  const mac = Buffer.from(tapMac);
  mac[0] = mac[0]! ^ 0x80;
  return mac;
}

/** What to do with a frame read from the TAP device. */
export type FrameAction =
  | { kind: 'ip'; offset: number; length: number }
  | { kind: 'arp-reply'; frame: Buffer }
  | { kind: 'drop'; reason: string };

/**
 * Classifies a frame from the TAP device. `ourAddress` is the tunnel address (unsigned 32-bit): ARP for it is
 * not answered (the kernel owns it).
 */
export function classifyFrame(buf: Buffer, off: number, len: number, peerMac: Buffer, ourAddress: number): FrameAction {
  if (len < ETHERNET_HEADER_LENGTH) return { kind: 'drop', reason: 'runt Ethernet frame' };
  const type = buf.readUInt16BE(off + 12);
  if (type === EtherType.IPV4 || type === EtherType.IPV6) {
    return { kind: 'ip', offset: off + ETHERNET_HEADER_LENGTH, length: len - ETHERNET_HEADER_LENGTH };
  }
  if (type !== EtherType.ARP) return { kind: 'drop', reason: `Ethernet type 0x${type.toString(16)} not carried` };
  const a = off + ETHERNET_HEADER_LENGTH;
  if (len < ETHERNET_HEADER_LENGTH + 28) return { kind: 'drop', reason: 'short ARP packet' };
  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
  if (buf.readUInt16BE(a) !== 1 || buf.readUInt16BE(a + 2) !== EtherType.IPV4 || buf[a + 4] !== 6 || buf[a + 5] !== 4) {
    return { kind: 'drop', reason: 'ARP for another protocol' };
  }
  if (buf.readUInt16BE(a + 6) !== 1) return { kind: 'drop', reason: 'ARP that is not a request' };
  const senderIp = buf.readUInt32BE(a + 14);
  const targetIp = buf.readUInt32BE(a + 24);
  if (targetIp === ourAddress || targetIp === senderIp) return { kind: 'drop', reason: 'ARP for our own address or gratuitous' };
  const reply = Buffer.alloc(ETHERNET_HEADER_LENGTH + 28);
  buf.copy(reply, 0, a + 8, a + 14); // destination: the requester's MAC
  peerMac.copy(reply, 6);
  reply.writeUInt16BE(EtherType.ARP, 12);
  reply.writeUInt16BE(1, 14);
  reply.writeUInt16BE(EtherType.IPV4, 16);
  reply[18] = 6;
  reply[19] = 4;
  reply.writeUInt16BE(2, 20); // reply
  peerMac.copy(reply, 22); // sender MAC: the made-up peer
  reply.writeUInt32BE(targetIp, 28); // sender IP: the address asked about
  buf.copy(reply, 32, a + 8, a + 14); // target MAC: the requester
  reply.writeUInt32BE(senderIp, 38);
  return { kind: 'arp-reply', frame: reply };
}

/** Writes the Ethernet header for an inner packet that starts at `ipOffset` (the 14 bytes before it). */
export function writeEthernetHeader(buf: Buffer, ipOffset: number, tapMac: Buffer, peerMac: Buffer): number {
  const start = ipOffset - ETHERNET_HEADER_LENGTH;
  tapMac.copy(buf, start);
  peerMac.copy(buf, start + 6);
  buf.writeUInt16BE(buf[ipOffset]! >> 4 === 6 ? EtherType.IPV6 : EtherType.IPV4, start + 12);
  return start;
}
