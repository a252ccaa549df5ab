/**
 * The outer headers the trace rebuilds in front of what the session hands it: IPv4 + UDP for IKE and
 * ESP-in-UDP, IPv4 with protocol 50 for raw ESP. The addresses and ports are the real ones; the UDP
 * checksum is 0 ("none", allowed for IPv4), the IP header checksum is correct, TTL 64.
 */
import { encodeIpv4Header, IPV4_HEADER_LENGTH, IpProtocol } from '../../io/index.js';

export const UDP_HEADER_LENGTH = 8;
/** Largest header this module writes. */
export const MAX_OUTER_HEADER_LENGTH = IPV4_HEADER_LENGTH + UDP_HEADER_LENGTH;

/** One side of a packet: an IPv4 address as a number and a port (ignored for raw ESP). */
export interface OuterEndpoint {
  readonly address: number;
  readonly port: number;
}

/**
 * Writes IPv4 (+ UDP when `udp`) headers for a payload of `payloadLength` bytes into `out` at 0; returns
 * the header length. Throws RangeError when the packet would exceed 65535 bytes.
 */
export function encodeOuterHeaders(out: Buffer, udp: boolean, src: OuterEndpoint, dst: OuterEndpoint, payloadLength: number): number {
  const headerLength = udp ? MAX_OUTER_HEADER_LENGTH : IPV4_HEADER_LENGTH;
  const total = headerLength + payloadLength;
  if (total > 0xffff) throw new RangeError(`outer packet of ${total} bytes exceeds 65535`);
  encodeIpv4Header(out, 0, {
    totalLength: total,
    protocol: udp ? IpProtocol.UDP : IpProtocol.ESP,
    source: src.address,
    destination: dst.address,
    ttl: 64,
  });
  if (udp) {
    out.writeUInt16BE(src.port, IPV4_HEADER_LENGTH);
    out.writeUInt16BE(dst.port, IPV4_HEADER_LENGTH + 2);
    out.writeUInt16BE(UDP_HEADER_LENGTH + payloadLength, IPV4_HEADER_LENGTH + 4);
    out.writeUInt16BE(0, IPV4_HEADER_LENGTH + 6);
  }
  return headerLength;
}
