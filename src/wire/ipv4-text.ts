/**
 * IPv4 addresses as text, the one parser every layer uses: strict dotted quads ("192.0.2.1": four decimal
 * octets 0-255, no leading zeros, so "010.0.0.1" is refused rather than read as octal or decimal), netmasks
 * and prefix lengths, CIDR networks, and the 4-byte wire form. Addresses are unsigned 32-bit numbers.
 */

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The address, or undefined when `text` is not a strict dotted quad. */
export function tryParseIpv4(text: string): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function isIpv4(text: string): boolean {
  return tryParseIpv4(text) !== undefined;
}

/** Parses a strict dotted quad; `fail` makes the caller's typed error (its layer's code) from the message. */
export function parseIpv4(text: string, fail: (message: string) => Error = (m) => new RangeError(m)): number {
  const value = tryParseIpv4(text);
  if (value === undefined) throw fail(`not an IPv4 address: ${JSON.stringify(text)}`);
  return value;
}

/** Formats an unsigned 32-bit address as a dotted quad. */
export function formatIpv4(address: number): string {
  const a = address >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** The mask of a prefix length (0..32). */
export function prefixToMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a contiguous mask, or undefined for one such as 255.0.255.0. */
export function maskToPrefix(mask: number): number | undefined {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

/** `a.b.c.d/len` or `a.b.c.d/m.m.m.m` (contiguous mask); undefined when malformed. Host bits are kept. */
export function tryParseIpv4Network(text: string): { address: number; prefixLength: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIpv4(text.slice(0, slash));
  const maskText = text.slice(slash + 1);
  if (address === undefined) return undefined;
  if (/^(0|[1-9]\d?)$/.test(maskText)) {
    const prefixLength = Number(maskText);
    return prefixLength <= 32 ? { address, prefixLength } : undefined;
  }
  const mask = tryParseIpv4(maskText);
  const prefixLength = mask === undefined ? undefined : maskToPrefix(mask);
  return prefixLength === undefined ? undefined : { address, prefixLength };
}

/** A network: address (host bits clear), prefix length and mask. */
export interface Ipv4Cidr {
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
}

/** Parses a contiguous dotted netmask (255.255.255.0); throws for 255.0.255.0. */
export function parseNetmask(text: string, fail: (message: string) => Error = (m) => new RangeError(m)): number {
  const mask = parseIpv4(text, fail);
  if (maskToPrefix(mask) === undefined) throw fail(`"${text}" is not a contiguous netmask`);
  return mask;
}

/** Parses `A.B.C.D/N` (or a bare address as /32); host bits must be clear. */
export function parseIpv4Cidr(text: string, fail: (message: string) => Error = (m) => new RangeError(m)): Ipv4Cidr {
  const [addr, len, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) throw fail(`"${text}" is not ADDRESS/PREFIX`);
  const prefixLength = len === undefined ? 32 : /^(0|[1-9]\d?)$/.test(len) && Number(len) <= 32 ? Number(len) : NaN;
  if (Number.isNaN(prefixLength)) throw fail(`"${text}": prefix length must be 0..32`);
  const address = parseIpv4(addr, fail);
  const mask = prefixToMask(prefixLength);
  if ((address & ~mask) >>> 0 !== 0) throw fail(`"${text}" has host bits set (did you mean ${formatIpv4((address & mask) >>> 0)}/${prefixLength}?)`);
  return { address, prefixLength, mask };
}

/** 4 bytes, network order. */
export function ipv4ToBytes(address: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(address >>> 0);
  return b;
}
