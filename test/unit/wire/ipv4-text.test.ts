/** The one IPv4 text parser: strict dotted quads, masks, networks; every layer agrees (regression: five did not). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4Network } from '../../../src/config/validate.js';
import { parseIpv4 as gatewayParse } from '../../../src/gateway/ipv4-text.js';
import { ipv4ToBuffer } from '../../../src/ike/payloads/attributes.js';
import { parseIpv4Address } from '../../../src/io/ipv4.js';
import { parseIpv4 as scriptParse } from '../../../src/script/env.js';
import { formatIpv4, isIpv4, maskToPrefix, parseIpv4Cidr, parseNetmask, tryParseIpv4, tryParseIpv4Network } from '../../../src/wire/ipv4-text.js';

describe('dotted quads', () => {
  it('parses and formats', () => {
    expect(tryParseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(tryParseIpv4('0.0.0.0')).toBe(0);
    expect(tryParseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(0xc0000201)).toBe('192.0.2.1');
  });

  it.each(['010.0.0.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '1..2.3', '0x7f.0.0.1', '1.2.3.4/32', '', '١.٢.٣.٤'])(
    'refuses %j in every layer alike',
    (text) => {
      expect(tryParseIpv4(text)).toBeUndefined();
      expect(isIpv4(text)).toBe(false);
      expect(() => parseIpv4Address(text)).toThrow(RangeError);
      expect(() => gatewayParse(text)).toThrow(`not an IPv4 address: ${JSON.stringify(text)}`);
      expect(() => scriptParse(text)).toThrow(expect.objectContaining({ code: 'VPNC_ERR_SCRIPT_INPUT' }));
      expect(() => ipv4ToBuffer(text)).toThrow(expect.objectContaining({ code: 'VPNC_ERR_ENCODE' }));
      expect(parseIpv4Network(`${text}/24`)).toBeNull();
    },
  );

  it('fuzz: any string either parses to an address that formats back to the same text, or is refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV4Extended()), (text) => {
        const v = tryParseIpv4(text);
        if (v !== undefined) expect(formatIpv4(v)).toBe(text);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(tryParseIpv4(formatIpv4(n))).toBe(n);
      }),
    );
  });
});

describe('masks and networks', () => {
  it('prefix lengths of contiguous masks only', () => {
    expect(maskToPrefix(0xffffff00)).toBe(24);
    expect(maskToPrefix(0)).toBe(0);
    expect(maskToPrefix(0xffffffff)).toBe(32);
    expect(maskToPrefix(0xff00ff00)).toBeUndefined();
    expect(parseNetmask('255.255.255.0')).toBe(0xffffff00);
    expect(() => parseNetmask('255.0.255.0')).toThrow('"255.0.255.0" is not a contiguous netmask');
  });

  it('a.b.c.d/len and a.b.c.d/mask; CIDR with host bits refused', () => {
    expect(tryParseIpv4Network('203.0.113.0/24')).toEqual({ address: 0xcb007100, prefixLength: 24 });
    expect(tryParseIpv4Network('203.0.113.0/255.255.255.0')).toEqual({ address: 0xcb007100, prefixLength: 24 });
    for (const bad of ['203.0.113.0/33', '203.0.113.0/024', '203.0.113.0/255.0.255.0', '203.0.113.0', '203.0.113.0/']) {
      expect(tryParseIpv4Network(bad), bad).toBeUndefined();
    }
    expect(parseIpv4Cidr('203.0.113.0/24')).toEqual({ address: 0xcb007100, prefixLength: 24, mask: 0xffffff00 });
    expect(parseIpv4Cidr('192.0.2.7')).toMatchObject({ prefixLength: 32 });
    expect(() => parseIpv4Cidr('203.0.113.1/24')).toThrow('has host bits set (did you mean 203.0.113.0/24?)');
    expect(() => parseIpv4Cidr('1.2.3.0/24/8')).toThrow('is not ADDRESS/PREFIX');
  });

  it('fuzz: network text never throws from the try-parser', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      tryParseIpv4Network(`${a}/${b}`);
    }), { numRuns: 1000 });
  });
});
