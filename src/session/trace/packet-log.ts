/**
 * One-line descriptions of packets for the debug log (level 3, vpnc's packet dumps): ISAKMP headers and
 * cleartext payload chains, ESP headers, inner IP packets, and hex dumps. Only wire bytes are described:
 * nothing here can reveal a key or a password (XAUTH travels encrypted). None of these functions throws.
 */
import { exchangeTypeName, IsakmpFlag, payloadTypeName, PayloadType } from '../../ike/constants.js';
import { IpProtocol } from '../../io/index.js';
import { formatIpv4 } from '../../wire/ipv4-text.js';
import { COOKIE_LENGTH, formatCookiePair, formatSpi, readCookie, readSpi } from '../../wire/sa-ids.js';

const ISAKMP_HEADER_LENGTH = 28;
/** Most payloads listed for one message (a malformed chain could otherwise loop long). */
const MAX_LISTED_PAYLOADS = 32;

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The payload types of a cleartext chain starting with `first` at `off`; `...` marks a malformed tail. */
function payloadChain(buf: Buffer, first: number, off: number, end: number): string {
  const names: string[] = [];
  let next = first;
  while (next !== PayloadType.NONE && names.length < MAX_LISTED_PAYLOADS) {
    if (off + 4 > end) return `${names.join(' ')} ...`;
    const length = buf.readUInt16BE(off + 2);
    names.push(payloadTypeName(next));
    if (length < 4) return `${names.join(' ')} ...`;
    next = buf[off]!;
    off += length;
  }
  return names.join(' ');
}

/** An ISAKMP message (without the non-ESP marker): header fields and, unless encrypted, its payload types. */
export function describeIsakmp(buf: Buffer, off: number, len: number): string {
  if (len < ISAKMP_HEADER_LENGTH) return `short ISAKMP datagram (${len} bytes)`;
  const cookies = formatCookiePair(readCookie(buf, off), readCookie(buf, off + COOKIE_LENGTH));
  const first = buf[off + 16]!;
  const exchange = buf[off + 18]!;
  const flags = buf[off + 19]!;
  const msgId = buf.readUInt32BE(off + 20);
  const head = `${exchangeTypeName(exchange)}(${exchange}) msgid ${hex32(msgId)} flags 0x${flags.toString(16).padStart(2, '0')} cookies ${cookies}`;
  if (flags & IsakmpFlag.ENCRYPTION) return `${head} [encrypted, ${len - ISAKMP_HEADER_LENGTH} bytes]`;
  return `${head} [${payloadChain(buf, first, off + ISAKMP_HEADER_LENGTH, off + len)}]`;
}

/** An ESP packet: SPI, sequence number, length. */
export function describeEsp(buf: Buffer, off: number, len: number): string {
  if (len < 8) return `short ESP packet (${len} bytes)`;
  return `SPI ${formatSpi(readSpi(buf, off))} seq ${buf.readUInt32BE(off + 4)}, ${len} bytes`;
}

const ICMP_TYPES: Readonly<Record<number, string>> = { 0: 'echo reply', 3: 'unreachable', 8: 'echo request', 11: 'time exceeded' };

function transportDetail(buf: Buffer, protocol: number, at: number, end: number): string {
  if (protocol === IpProtocol.ICMP && at + 8 <= end) {
    const type = buf[at]!;
    const name = ICMP_TYPES[type] ?? `type ${type}`;
    return type === 0 || type === 8 ? ` ${name} id ${buf.readUInt16BE(at + 4)} seq ${buf.readUInt16BE(at + 6)}` : ` ${name}`;
  }
  if ((protocol === IpProtocol.TCP || protocol === IpProtocol.UDP) && at + 4 <= end) {
    return ` ports ${buf.readUInt16BE(at)} > ${buf.readUInt16BE(at + 2)}`;
  }
  return '';
}

const PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(IpProtocol).map(([name, n]) => [n, name]));

/** An inner IP packet: version, protocol, addresses, length, and ICMP type or ports. */
export function describeIp(buf: Buffer, off: number, len: number): string {
  if (len < 1) return 'empty packet';
  const version = buf[off]! >> 4;
  if (version === 6) return `IPv6, ${len} bytes`;
  if (version !== 4 || len < 20) return `not an IP packet (${len} bytes)`;
  const protocol = buf[off + 9]!;
  const ihl = (buf[off]! & 0x0f) * 4;
  const src = formatIpv4(buf.readUInt32BE(off + 12));
  const dst = formatIpv4(buf.readUInt32BE(off + 16));
  const name = PROTOCOL_NAMES.get(protocol) ?? `protocol ${protocol}`;
  return `IPv4 ${name} ${src} > ${dst}, ${len} bytes${transportDetail(buf, protocol, off + ihl, off + len)}`;
}

/** A hex dump, 16 bytes a line, each line prefixed with its offset. */
export function hexDump(buf: Buffer, off: number, len: number): string {
  const lines: string[] = [];
  for (let i = 0; i < len; i += 16) {
    const row = buf.subarray(off + i, off + Math.min(len, i + 16));
    lines.push(`  ${i.toString(16).padStart(4, '0')}: ${row.toString('hex').replace(/(..)(?!$)/g, '$1 ')}`);
  }
  return lines.join('\n');
}
