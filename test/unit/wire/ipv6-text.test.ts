/** IPv6 text: RFC 4291 forms read, RFC 5952 written; node:net agrees on what is an address; masks as bigint. */
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigIntToIpv6, formatIpv6, ipv6MaskToPrefix, ipv6PrefixMask, ipv6ToBigInt, isIpv6, parseIpv6, tryParseIpv6 } from '../../../src/wire/ipv6-text.js';

describe('IPv6 text', () => {
  it.each([
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:c000:201'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['fe80::', 'fe80::'],
  ])('reads %s and writes %s', (text, canonical) => {
    expect(formatIpv6(parseIpv6(text))).toBe(canonical);
    expect(isIpv6(text)).toBe(true);
  });

  it.each(['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', '2001:db8::/64', ' ::1', '::1 ', 'g::', '::1.2.3', '::256.0.0.1', '::01.2.3.4', '1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', ':1::', '1::2:'])(
    'refuses %j as node:net does',
    (text) => {
      expect(tryParseIpv6(text)).toBeUndefined();
      expect(isIPv6(text)).toBe(false);
      expect(() => parseIpv6(text)).toThrow(`not an IPv6 address: ${JSON.stringify(text)}`);
    },
  );

  it('refuses a zone index (node:net accepts one; no gateway sends it)', () => {
    expect(isIPv6('fe80::1%eth0')).toBe(true);
    expect(tryParseIpv6('fe80::1%eth0')).toBeUndefined();
  });

  it('round-trips every 16 bytes, and node:net reads what it writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 8 }), (bytes, zeros) => {
        const b = Buffer.from(bytes);
        b.fill(0, 0, zeros * 2); // runs of zero groups, where `::` matters
        const text = formatIpv6(b);
        expect(isIPv6(text)).toBe(true);
        expect(parseIpv6(text).equals(b)).toBe(true);
        expect(bigIntToIpv6(ipv6ToBigInt(b)).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with node:net on arbitrary strings of address characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 }), (text) => {
        expect(isIpv6(text)).toBe(isIPv6(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('masks and prefix lengths', () => {
    expect(formatIpv6(bigIntToIpv6(ipv6PrefixMask(64)))).toBe('ffff:ffff:ffff:ffff::');
    for (const len of [0, 1, 63, 64, 127, 128]) expect(ipv6MaskToPrefix(bigIntToIpv6(ipv6PrefixMask(len)))).toBe(len);
    expect(ipv6MaskToPrefix(parseIpv6('ffff::ffff'))).toBeUndefined();
  });
});
