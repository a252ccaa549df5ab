/**
 * IPv6 addresses as text and as their 16-byte wire form (RFC 4291 2.2 for what is read, RFC 5952 for what is
 * written: lower case, no leading zeros, the longest run of two or more zero groups as `::`). An embedded
 * dotted quad ("::ffff:192.0.2.1") is read too. Prefixes of 0..128 bits as bigint masks for range checks.
 */

const GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The 8 groups of `text`, or undefined when it is not an IPv6 address. */
function groupsOf(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(last);
    if (!m) return undefined;
    const o = m.slice(1).map(Number);
    if (o.some((x) => x > 255)) return undefined;
    body = `${body.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    if (!parts.every((p) => GROUP.test(p))) return undefined;
    return parts.map((p) => parseInt(p, 16));
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 1) return given === 8 ? head : undefined;
  if (given > 7) return undefined;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
}

/** The 16 bytes of an IPv6 address, or undefined when `text` is not one. */
export function tryParseIpv6(text: string): Buffer | undefined {
  const groups = groupsOf(text);
  if (!groups) return undefined;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

export function isIpv6(text: string): boolean {
  return tryParseIpv6(text) !== undefined;
}

/** Parses an IPv6 address; `fail` makes the caller's typed error from the message. */
export function parseIpv6(text: string, fail: (message: string) => Error = (m) => new RangeError(m)): Buffer {
  const b = tryParseIpv6(text);
  if (!b) throw fail(`not an IPv6 address: ${JSON.stringify(text)}`);
  return b;
}

/** RFC 5952 text of 16 bytes. */
export function formatIpv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IPv6 address is 16 bytes, got ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** 16 bytes as one unsigned 128-bit number. */
export function ipv6ToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** An unsigned 128-bit number as 16 bytes. */
export function bigIntToIpv6(value: bigint): Buffer {
  const b = Buffer.alloc(16);
  let v = value;
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

const ALL_ONES_128 = (1n << 128n) - 1n;

/** The mask of a prefix length 0..128 as a 128-bit number. */
export function ipv6PrefixMask(prefixLength: number): bigint {
  return prefixLength === 0 ? 0n : (ALL_ONES_128 << BigInt(128 - prefixLength)) & ALL_ONES_128;
}

/** The prefix length of a contiguous 16-byte mask, or undefined. */
export function ipv6MaskToPrefix(mask: Uint8Array): number | undefined {
  const v = ipv6ToBigInt(mask);
  for (let len = 0; len <= 128; len++) if (ipv6PrefixMask(len) === v) return len;
  return undefined;
}
