/**
 * IPv4 header (RFC 791) encoding and decoding with the Internet checksum (RFC 1071); address text is
 * src/wire/ipv4-text.ts. Used for the outer header of raw ESP packets, which the raw socket sends as written
 * (IP_HDRINCL), and for reading the header of received ones. Addresses are unsigned 32-bit numbers.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options                    |    Padding    |
 */
import { VpncError } from '../errors.js';

/** Length of a header without options. */
export const IPV4_HEADER_LENGTH = 20;

/** IP protocol numbers used by this project. */
export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ESP: 50,
} as const;
export type IpProtocol = (typeof IpProtocol)[keyof typeof IpProtocol];

/** A decoded header. `fragmentOffset` is in RFC 791 units of 8 octets. */
export interface Ipv4Header {
  readonly headerLength: number;
  readonly tos: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly checksum: number;
  readonly source: number;
  readonly destination: number;
}

/** Fields for encodeIpv4Header; the header has no options. */
export interface Ipv4HeaderFields {
  /** Header plus payload, 20..65535. */
  totalLength: number;
  protocol: number;
  source: number;
  destination: number;
  /** Default 0. */
  tos?: number;
  /** Default 0. */
  identification?: number;
  /** Default false (vpnc leaves DF clear on the outer header). */
  dontFragment?: boolean;
  /** Default 64. */
  ttl?: number;
}

/** A received header is malformed; `reason` says how. */
export class Ipv4DecodeError extends VpncError {
  constructor(readonly reason: string) {
    super('VPNC_ERR_IPV4_DECODE', `malformed IPv4 header: ${reason}`);
  }
}

const DF = 0x4000;
const MF = 0x2000;

/** The Internet checksum (RFC 1071) of `buf[offset .. offset + length)`: ~(one's-complement sum). */
export function ipv4Checksum(buf: Uint8Array, offset: number, length: number): number {
  let sum = 0;
  const end = offset + length - 1;
  let i = offset;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`IPv4 ${name} must be 0..${max}, got ${value}`);
}

/** Writes a 20-byte header with its checksum at `offset`; returns the offset after it. */
export function encodeIpv4Header(buf: Uint8Array, offset: number, fields: Ipv4HeaderFields): number {
  const tos = fields.tos ?? 0;
  const identification = fields.identification ?? 0;
  const ttl = fields.ttl ?? 64;
  if (fields.totalLength < IPV4_HEADER_LENGTH) throw new RangeError(`IPv4 total length must be >= 20, got ${fields.totalLength}`);
  checkField('total length', fields.totalLength, 0xffff);
  checkField('protocol', fields.protocol, 0xff);
  checkField('source', fields.source, 0xffffffff);
  checkField('destination', fields.destination, 0xffffffff);
  checkField('TOS', tos, 0xff);
  checkField('identification', identification, 0xffff);
  checkField('TTL', ttl, 0xff);
  if (offset < 0 || offset + IPV4_HEADER_LENGTH > buf.length) throw new RangeError('IPv4 header does not fit in the buffer');
  const view = new DataView(buf.buffer, buf.byteOffset + offset, IPV4_HEADER_LENGTH);
  view.setUint8(0, 0x45);
  view.setUint8(1, tos);
  view.setUint16(2, fields.totalLength);
  view.setUint16(4, identification);
  view.setUint16(6, fields.dontFragment === true ? DF : 0);
  view.setUint8(8, ttl);
  view.setUint8(9, fields.protocol);
  view.setUint16(10, 0);
  view.setUint32(12, fields.source);
  view.setUint32(16, fields.destination);
  view.setUint16(10, ipv4Checksum(buf, offset, IPV4_HEADER_LENGTH));
  return offset + IPV4_HEADER_LENGTH;
}

/**
 * Length of the well-formed IPv4 header at `offset` within `length` bytes, or 0 if it is not one
 * (wrong version, IHL below 5, header or total length beyond the bytes). Does not check the checksum.
 * Never throws: for the receive path.
 */
export function ipv4HeaderLength(buf: Uint8Array, offset: number, length: number): number {
  if (length < IPV4_HEADER_LENGTH || offset + length > buf.length) return 0;
  const first = buf[offset];
  if (first >> 4 !== 4) return 0;
  const headerLength = (first & 0x0f) * 4;
  const totalLength = (buf[offset + 2] << 8) | buf[offset + 3];
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > length || totalLength < headerLength || totalLength > length) return 0;
  return headerLength;
}

/**
 * Decodes the header at `buf[offset .. offset + length)`. Throws Ipv4DecodeError when it is malformed,
 * including a wrong checksum unless `verifyChecksum` is false.
 */
export function decodeIpv4Header(buf: Uint8Array, offset: number, length: number, verifyChecksum = true): Ipv4Header {
  if (offset < 0 || length < 0 || offset + length > buf.length) throw new RangeError('IPv4 decode range outside the buffer');
  if (length < IPV4_HEADER_LENGTH) throw new Ipv4DecodeError(`${length} bytes, a header needs at least ${IPV4_HEADER_LENGTH}`);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, length);
  const first = view.getUint8(0);
  const version = first >> 4;
  if (version !== 4) throw new Ipv4DecodeError(`version ${version}, expected 4`);
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) throw new Ipv4DecodeError(`header length ${headerLength} below ${IPV4_HEADER_LENGTH}`);
  if (headerLength > length) throw new Ipv4DecodeError(`header length ${headerLength} exceeds the ${length} bytes available`);
  const totalLength = view.getUint16(2);
  if (totalLength < headerLength) throw new Ipv4DecodeError(`total length ${totalLength} below header length ${headerLength}`);
  if (totalLength > length) throw new Ipv4DecodeError(`total length ${totalLength} exceeds the ${length} bytes available`);
  if (verifyChecksum && ipv4Checksum(buf, offset, headerLength) !== 0) throw new Ipv4DecodeError('bad header checksum');
  const flagsAndOffset = view.getUint16(6);
  return {
    headerLength,
    tos: view.getUint8(1),
    totalLength,
    identification: view.getUint16(4),
    dontFragment: (flagsAndOffset & DF) !== 0,
    moreFragments: (flagsAndOffset & MF) !== 0,
    fragmentOffset: flagsAndOffset & 0x1fff,
    ttl: view.getUint8(8),
    protocol: view.getUint8(9),
    checksum: view.getUint16(10),
    source: view.getUint32(12),
    destination: view.getUint32(16),
  };
}
