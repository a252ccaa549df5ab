/**
 * IPv4 addresses, the one module every layer uses for them: dotted-quad text, numbers, the 4-byte wire form,
 * netmasks and prefix lengths, networks. An address is an unsigned 32-bit number (0..0xffffffff).
 *
 * What a dotted quad is, everywhere: exactly four decimal numbers 0-255 joined by dots, without leading zeros
 * (inet_pton's rule). "010.0.0.1" is refused, not read as 10.0.0.1 nor, as inet_aton and so vpnc's
 * gethostbyname would read it, as octal 8.0.0.1; inet_aton's other forms ("127.1", "0x7f.0.0.1",
 * "2130706433") are refused too, and nothing is trimmed. A prefix length is written the same way (0..32).
 *
 * It lives in wire/, the bottom layer (it imports nothing), so config, session, ike, io, script and the gateway
 * can all import it. Parsers that throw take `fail`, which makes the caller's typed error (its layer's code)
 * from the message; without one they throw a RangeError.
 */

/** Makes the caller's error from a message. */
export type Ipv4Fail = (message: string) => Error;

const rangeError: Ipv4Fail = (message) => new RangeError(message);

/** The address `text` is, or why it is not a strict dotted quad. */
function scan(text: string): number | string {
  if (!/^[0-9.]+$/.test(text)) return 'a dotted quad has only digits and dots';
  const parts = text.split('.');
  if (parts.length !== 4) return `${parts.length} ${parts.length === 1 ? 'number' : 'numbers'}; a dotted quad has 4`;
  let value = 0;
  for (const part of parts) {
    if (part === '') return 'a number is missing';
    if (part.length > 1 && part.startsWith('0')) return `leading zero in ${JSON.stringify(part)}`;
    const octet = Number(part);
    if (octet > 255) return `${part} is above 255`;
    value = value * 256 + octet;
  }
  return value;
}

/** The address, or undefined when `text` is not a strict dotted quad. */
export function tryParseIpv4(text: string): number | undefined {
  const r = scan(text);
  return typeof r === 'number' ? r : undefined;
}

export function isIpv4(text: string): boolean {
  return typeof scan(text) === 'number';
}

/** Why `text` is not a strict dotted quad ("leading zero in \"010\""), or undefined when it is one. */
export function ipv4Problem(text: string): string | undefined {
  const r = scan(text);
  return typeof r === 'number' ? undefined : r;
}

/** Parses a strict dotted quad. The message: `not an IPv4 address: "010.0.0.1" (leading zero in "010")`. */
export function parseIpv4(text: string, fail: Ipv4Fail = rangeError): number {
  const r = scan(text);
  if (typeof r !== 'number') throw fail(`not an IPv4 address: ${JSON.stringify(text)} (${r})`);
  return r;
}

/** The address as an unsigned number; a signed 32-bit one (the result of `&`, `|`, `<<`) is taken as its bits. */
function u32(address: number): number {
  if (!Number.isInteger(address) || address < -0x80000000 || address > 0xffffffff) throw new RangeError(`not a 32-bit IPv4 address: ${address}`);
  return address >>> 0;
}

/** The dotted quad of an address. */
export function formatIpv4(address: number): string {
  const a = u32(address);
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** The 4 bytes of an address, network order. */
export function ipv4ToBytes(address: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(u32(address));
  return b;
}

/** The address in `bytes[offset .. offset + 4)`, network order. */
export function ipv4FromBytes(bytes: Uint8Array, offset = 0): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + 4 > bytes.length) {
    throw new RangeError(`an IPv4 address is 4 bytes, ${bytes.length - offset} at offset ${offset}`);
  }
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** The dotted quad of the 4 bytes at `offset`. */
export function formatIpv4Bytes(bytes: Uint8Array, offset = 0): string {
  return formatIpv4(ipv4FromBytes(bytes, offset));
}

/** The 4 bytes of a strict dotted quad; `fail` as for parseIpv4. */
export function ipv4TextToBytes(text: string, fail: Ipv4Fail = rangeError): Buffer {
  return ipv4ToBytes(parseIpv4(text, fail));
}

/**
 * Whether host text is a number rather than a name: its last label is decimal digits, or 0x and hex digits,
 * which no host name's is (RFC 1123 2.1) but which resolvers read with inet_aton ("010.0.0.1" as 8.0.0.1,
 * "127.1" as 127.0.0.1). Such text is a strict dotted quad or nothing; never hand it to a resolver.
 */
export function isNumericHost(text: string): boolean {
  return /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)\.?$/i.test(text);
}

/** The mask of a prefix length (0..32). */
export function prefixToMask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) throw new RangeError(`an IPv4 prefix length is 0..32, got ${prefixLength}`);
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a contiguous mask, or undefined for one such as 255.0.255.0. */
export function maskToPrefix(mask: number): number | undefined {
  const inverted = ~u32(mask) >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

/**
 * The prefix length vpnc gives a mask (`mask_to_masklen`): 32 minus its trailing zero bits, 0 for 0.0.0.0.
 * The same as maskToPrefix for a contiguous mask; 255.0.255.0 gives 24. For what vpnc exports to scripts.
 */
export function maskToMasklen(mask: number): number {
  const m = u32(mask);
  if (m === 0) return 0;
  return 32 - (31 - Math.clz32(m & -m));
}

/** Parses a contiguous dotted netmask (255.255.255.0); 255.0.255.0 is refused. */
export function parseNetmask(text: string, fail: Ipv4Fail = rangeError): number {
  const mask = parseIpv4(text, fail);
  if (maskToPrefix(mask) === undefined) throw fail(`"${text}" is not a contiguous netmask`);
  return mask;
}

/** A prefix length written as a dotted quad's numbers are (no leading zeros), 0..32; undefined otherwise. */
function prefixLengthOf(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]?)$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 32 ? n : undefined;
}

/** An address and the prefix length of its network. */
export interface Ipv4Prefix {
  readonly address: number;
  readonly prefixLength: number;
}

/** A network: address (host bits clear), prefix length and mask. */
export interface Ipv4Cidr extends Ipv4Prefix {
  readonly mask: number;
}

/**
 * `a.b.c.d/len` or `a.b.c.d/m.m.m.m` (a contiguous mask), as vpnc's target network is written; undefined when
 * malformed. Host bits are kept.
 */
export function tryParseIpv4Network(text: string): Ipv4Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIpv4(text.slice(0, slash));
  if (address === undefined) return undefined;
  const maskText = text.slice(slash + 1);
  const mask = maskText.includes('.') ? tryParseIpv4(maskText) : undefined;
  const prefixLength = mask === undefined ? prefixLengthOf(maskText) : maskToPrefix(mask);
  return prefixLength === undefined ? undefined : { address, prefixLength };
}

/** Parses `A.B.C.D/N` (or a bare address, as /32); host bits must be clear. */
export function parseIpv4Cidr(text: string, fail: Ipv4Fail = rangeError): Ipv4Cidr {
  const [addressText, lengthText, extra] = text.split('/');
  if (extra !== undefined || addressText === undefined) throw fail(`"${text}" is not ADDRESS/PREFIX`);
  const prefixLength = lengthText === undefined ? 32 : prefixLengthOf(lengthText);
  if (prefixLength === undefined) throw fail(`"${text}": prefix length must be 0..32`);
  const address = parseIpv4(addressText, fail);
  const mask = prefixToMask(prefixLength);
  const network = (address & mask) >>> 0;
  if (network !== address) throw fail(`"${text}" has host bits set (did you mean ${formatIpv4(network)}/${prefixLength}?)`);
  return { address, prefixLength, mask };
}
