/**
 * IPv4 addresses, netmasks and CIDR networks as the config file writes them, as unsigned 32-bit numbers.
 * Errors are plain Errors whose message the config parser puts after the file and line.
 */
import { formatIpv4Address, parseIpv4Address } from '../io/ipv4.js';

/** A network: address (host bits cleared), prefix length and mask. */
export interface Ipv4Network {
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
}

/** Parses a dotted quad. */
export function parseIpv4(text: string): number {
  return parseIpv4Address(text);
}

/** Formats an unsigned 32-bit address. */
export function formatIpv4(address: number): string {
  return formatIpv4Address(address >>> 0);
}

/** The mask of a prefix length (0..32). */
export function prefixToMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses a contiguous dotted netmask (255.255.255.0); throws for 255.0.255.0. */
export function parseNetmask(text: string): number {
  const mask = parseIpv4(text);
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) throw new Error(`"${text}" is not a contiguous netmask`);
  return mask;
}

/** Parses `A.B.C.D/N` (or a bare address as /32); host bits must be clear. */
export function parseIpv4Cidr(text: string): Ipv4Network {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) throw new Error(`"${text}" is not ADDRESS/PREFIX`);
  const prefixLength = len === undefined ? 32 : /^\d{1,2}$/.test(len) && Number(len) <= 32 ? Number(len) : NaN;
  if (Number.isNaN(prefixLength)) throw new Error(`"${text}": prefix length must be 0..32`);
  const address = parseIpv4(addr);
  const mask = prefixToMask(prefixLength);
  if ((address & ~mask) >>> 0 !== 0) throw new Error(`"${text}" has host bits set (did you mean ${formatIpv4((address & mask) >>> 0)}/${prefixLength}?)`);
  return { address, prefixLength, mask };
}

/** 4 bytes, big-endian. */
export function ipv4Bytes(address: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(address >>> 0);
  return b;
}
