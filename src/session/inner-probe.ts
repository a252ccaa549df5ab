/**
 * The inner probe of black-hole detection: a DNS query for the root's NS records (RFC 1035 4.1), from our
 * tunnel address to a resolver mode config gave, as an IPv4/UDP packet to send through the tunnel. Any
 * resolver answers it (with the records, or a refusal), so an answer proves ESP comes back.
 */
import { encodeIpv4Header, IPV4_HEADER_LENGTH, IpProtocol } from '../io/index.js';
import { parseIpv4 } from '../wire/ipv4-text.js';

const UDP_HEADER_LENGTH = 8;
const DNS_PORT = 53;
/** Header (id, flags RD, one question) and the question: root name, type NS (2), class IN (1). */
const QUERY_LENGTH = 12 + 5;

/** The probe packet from `source` to the resolver `dns` (dotted quads), query id `id`, from UDP port `port`. */
export function buildDnsProbe(source: string, dns: string, id: number, port: number): Buffer {
  const total = IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH + QUERY_LENGTH;
  const p = Buffer.alloc(total);
  encodeIpv4Header(p, 0, { totalLength: total, protocol: IpProtocol.UDP, source: parseIpv4(source), destination: parseIpv4(dns), identification: id });
  let o = IPV4_HEADER_LENGTH;
  p.writeUInt16BE(port, o);
  p.writeUInt16BE(DNS_PORT, o + 2);
  p.writeUInt16BE(UDP_HEADER_LENGTH + QUERY_LENGTH, o + 4);
  // UDP checksum 0: none (allowed over IPv4, RFC 768).
  o += UDP_HEADER_LENGTH;
  p.writeUInt16BE(id, o);
  p.writeUInt16BE(0x0100, o + 2); // RD
  p.writeUInt16BE(1, o + 4); // QDCOUNT
  o += 12;
  p.writeUInt8(0, o); // the root name
  p.writeUInt16BE(2, o + 1); // NS
  p.writeUInt16BE(1, o + 3); // IN
  return p;
}
