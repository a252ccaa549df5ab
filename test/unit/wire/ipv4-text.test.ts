/**
 * The one IPv4 module (src/wire/ipv4-text.ts): strict dotted quads, bytes, masks, networks; and every layer that
 * reads IPv4 text agrees with it (regression: five parsers did not, "010.0.0.1" passed some and failed others).
 */
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/config/args.js';
import { parseIpv4Network, validateSettings } from '../../../src/config/validate.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import { ipv4Attribute } from '../../../src/ike/payloads/attributes.js';
import { invocationVariables } from '../../../src/script/env.js';
import { resolveGateway, resolveLocalAddress } from '../../../src/session/route.js';
import {
  formatIpv4,
  formatIpv4Bytes,
  ipv4FromBytes,
  ipv4Problem,
  ipv4TextToBytes,
  ipv4ToBytes,
  isIpv4,
  isNumericHost,
  maskToMasklen,
  maskToPrefix,
  parseIpv4,
  parseIpv4Cidr,
  parseNetmask,
  prefixToMask,
  tryParseIpv4,
  tryParseIpv4Network,
} from '../../../src/wire/ipv4-text.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('dotted quads', () => {
  it('parses and formats', () => {
    expect(parseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(tryParseIpv4('0.0.0.0')).toBe(0);
    expect(tryParseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIpv4(0xcb007101)).toBe('203.0.113.1');
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(isIpv4('10.0.0.1')).toBe(true);
  });

  it.each([
    ['010.0.0.1', 'leading zero in "010"'],
    ['1.2.3.04', 'leading zero in "04"'],
    ['00.0.0.0', 'leading zero in "00"'],
    ['01.2.3.4', 'leading zero in "01"'],
    ['256.0.0.1', '256 is above 255'],
    ['1.2.3.1000', '1000 is above 255'],
    ['1.2.3', '3 numbers; a dotted quad has 4'],
    ['127.1', '2 numbers; a dotted quad has 4'],
    ['2130706433', '1 number; a dotted quad has 4'],
    ['1.2.3.4.5', '5 numbers; a dotted quad has 4'],
    ['1..2.3', 'a number is missing'],
    ['1.2.3.', 'a number is missing'],
    ['1.2.3.-4', 'a dotted quad has only digits and dots'],
    [' 1.2.3.4', 'a dotted quad has only digits and dots'],
    ['1.2.3.4 ', 'a dotted quad has only digits and dots'],
    ['0x7f.0.0.1', 'a dotted quad has only digits and dots'],
    ['1.2.3.4/32', 'a dotted quad has only digits and dots'],
    ['a.b.c.d', 'a dotted quad has only digits and dots'],
    ['١.٢.٣.٤', 'a dotted quad has only digits and dots'],
    ['', 'a dotted quad has only digits and dots'],
  ])('refuses %j: %s', (text, why) => {
    expect(tryParseIpv4(text)).toBeUndefined();
    expect(isIpv4(text)).toBe(false);
    expect(ipv4Problem(text)).toBe(why);
    expect(() => parseIpv4(text)).toThrow(new RangeError(`not an IPv4 address: ${JSON.stringify(text)} (${why})`));
  });

  it('makes the caller\'s error', () => {
    class Mine extends Error {}
    expect(() => parseIpv4('1.2.3', (m) => new Mine(m))).toThrow(Mine);
    expect(() => ipv4TextToBytes('1.2.3', (m) => new Mine(m))).toThrow(Mine);
  });

  it('formats 32-bit numbers only (a signed one as its bits)', () => {
    expect(formatIpv4(-1)).toBe('255.255.255.255');
    expect(formatIpv4(0xc0000201 | 0)).toBe('192.0.2.1');
    for (const bad of [NaN, 1.5, 2 ** 32, -(2 ** 31) - 1]) expect(() => formatIpv4(bad), String(bad)).toThrow(RangeError);
  });

  it('property: format then parse gives the number back; what parses formats back to the same text', () => {
    fc.assert(fc.property(u32, (n) => {
      expect(parseIpv4(formatIpv4(n))).toBe(n);
    }));
    fc.assert(fc.property(fc.ipV4(), (text) => {
      expect(formatIpv4(parseIpv4(text))).toBe(text);
    }));
    const octet = fc.oneof(fc.nat({ max: 300 }).map(String), fc.nat({ max: 255 }).map((n) => `0${n}`));
    const quadish = fc.oneof(fc.array(octet, { minLength: 3, maxLength: 5 }).map((a) => a.join('.')), fc.stringMatching(/^[0-9.x ]{0,18}$/));
    fc.assert(
      fc.property(fc.oneof(quadish, fc.ipV4Extended(), fc.string()), (text) => {
        const v = tryParseIpv4(text);
        expect(v !== undefined, text).toBe(isIPv4(text)); // Node's isIPv4 is inet_pton's rule too
        if (v !== undefined) expect(formatIpv4(v)).toBe(text);
        else expect(ipv4Problem(text)).toBeTypeOf('string');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bytes', () => {
  it('4 bytes in network order, at an offset', () => {
    expect(ipv4ToBytes(0xc0000201).toString('hex')).toBe('c0000201');
    expect(ipv4TextToBytes('0.0.0.0').toString('hex')).toBe('00000000');
    expect(ipv4FromBytes(Buffer.from('ffc0000201', 'hex'), 1)).toBe(0xc0000201);
    expect(formatIpv4Bytes(Uint8Array.from([192, 0, 2, 1]))).toBe('192.0.2.1');
    expect(formatIpv4Bytes(Uint8Array.from([255, 255, 255, 255]))).toBe('255.255.255.255');
  });

  it('refuses fewer than 4 bytes and addresses out of range', () => {
    expect(() => ipv4FromBytes(Uint8Array.from([1, 2, 3]))).toThrow('an IPv4 address is 4 bytes, 3 at offset 0');
    expect(() => formatIpv4Bytes(Buffer.alloc(8), 5)).toThrow(RangeError);
    expect(() => ipv4FromBytes(Buffer.alloc(8), -1)).toThrow(RangeError);
    expect(() => ipv4ToBytes(2 ** 32)).toThrow(RangeError);
  });

  it('property: bytes round-trip', () => {
    fc.assert(fc.property(u32, (n) => {
      expect(ipv4FromBytes(ipv4ToBytes(n))).toBe(n);
    }));
  });
});

describe('masks and prefix lengths', () => {
  it('contiguous masks only have a prefix length', () => {
    expect(maskToPrefix(0xffffff00)).toBe(24);
    expect(maskToPrefix(0)).toBe(0);
    expect(maskToPrefix(0xffffffff)).toBe(32);
    expect(maskToPrefix(0xff00ff00)).toBeUndefined();
    expect(maskToPrefix(0x000000ff)).toBeUndefined();
    expect(prefixToMask(0)).toBe(0);
    expect(prefixToMask(1)).toBe(0x80000000);
    expect(prefixToMask(32)).toBe(0xffffffff);
    for (const bad of [-1, 33, 1.5, NaN]) expect(() => prefixToMask(bad), String(bad)).toThrow('an IPv4 prefix length is 0..32');
  });

  it('vpnc\'s masklen: 32 minus the trailing zeros', () => {
    expect(maskToMasklen(parseIpv4('255.255.255.0'))).toBe(24);
    expect(maskToMasklen(parseIpv4('255.0.255.0'))).toBe(24);
    expect(maskToMasklen(parseIpv4('255.255.0.255'))).toBe(32);
    expect(maskToMasklen(parseIpv4('0.0.0.128'))).toBe(25);
    expect(maskToMasklen(parseIpv4('128.0.0.0'))).toBe(1);
    expect(maskToMasklen(0)).toBe(0);
  });

  it('property: prefix and mask round-trip; masklen is the prefix length of contiguous masks, vpnc\'s loop of others', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 32 }), (len) => {
      expect(maskToPrefix(prefixToMask(len))).toBe(len);
      expect(maskToMasklen(prefixToMask(len))).toBe(len);
    }));
    const vpncLoop = (mask: number) => {
      if (mask === 0) return 0;
      let len = 32;
      for (let m = mask; (m & 1) === 0; m >>>= 1) len--;
      return len;
    };
    fc.assert(fc.property(u32, (m) => {
      expect(maskToMasklen(m)).toBe(vpncLoop(m));
    }));
  });

  it('netmask text', () => {
    expect(parseNetmask('255.255.255.0')).toBe(0xffffff00);
    expect(() => parseNetmask('255.0.255.0')).toThrow('"255.0.255.0" is not a contiguous netmask');
    expect(() => parseNetmask('255.255.255.00')).toThrow('not an IPv4 address: "255.255.255.00" (leading zero in "00")');
  });
});

describe('networks', () => {
  it('a.b.c.d/len and a.b.c.d/mask, host bits kept (the target network)', () => {
    expect(tryParseIpv4Network('203.0.113.0/24')).toEqual({ address: 0xcb007100, prefixLength: 24 });
    expect(tryParseIpv4Network('203.0.113.0/255.255.255.0')).toEqual({ address: 0xcb007100, prefixLength: 24 });
    expect(tryParseIpv4Network('203.0.113.9/24')).toEqual({ address: 0xcb007109, prefixLength: 24 });
    expect(tryParseIpv4Network('0.0.0.0/0.0.0.0')).toEqual({ address: 0, prefixLength: 0 });
    for (const bad of ['203.0.113.0/33', '203.0.113.0/024', '203.0.113.0/255.0.255.0', '203.0.113.0/255.255.255.00', '203.0.113.0', '203.0.113.0/', '010.0.0.0/8', '10.0.0.0/8/8']) {
      expect(tryParseIpv4Network(bad), bad).toBeUndefined();
    }
  });

  it('CIDR: host bits refused, a bare address is /32, messages say what is wrong', () => {
    expect(parseIpv4Cidr('203.0.113.0/24')).toEqual({ address: 0xcb007100, prefixLength: 24, mask: 0xffffff00 });
    expect(parseIpv4Cidr('192.0.2.7')).toEqual({ address: 0xc0000207, prefixLength: 32, mask: 0xffffffff });
    expect(parseIpv4Cidr('0.0.0.0/0')).toEqual({ address: 0, prefixLength: 0, mask: 0 });
    expect(() => parseIpv4Cidr('203.0.113.1/24')).toThrow('"203.0.113.1/24" has host bits set (did you mean 203.0.113.0/24?)');
    expect(() => parseIpv4Cidr('1.2.3.0/24/8')).toThrow('"1.2.3.0/24/8" is not ADDRESS/PREFIX');
    expect(() => parseIpv4Cidr('1.2.3.0/08')).toThrow('"1.2.3.0/08": prefix length must be 0..32');
    expect(() => parseIpv4Cidr('1.2.3.0/33')).toThrow('"1.2.3.0/33": prefix length must be 0..32');
    expect(() => parseIpv4Cidr('01.2.3.0/24')).toThrow('not an IPv4 address: "01.2.3.0" (leading zero in "01")');
  });

  it('property: network text never throws from the try-parser; CIDR of any address and length round-trips', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => {
      tryParseIpv4Network(`${a}/${b}`);
    }), { numRuns: 1000 });
    fc.assert(fc.property(u32, fc.integer({ min: 0, max: 32 }), (n, len) => {
      const network = (n & prefixToMask(len)) >>> 0;
      expect(parseIpv4Cidr(`${formatIpv4(network)}/${len}`)).toEqual({ address: network, prefixLength: len, mask: prefixToMask(len) });
    }));
  });
});

describe('numeric host text', () => {
  it('a last label of digits or 0x-hex is a number, never a name', () => {
    for (const t of ['010.0.0.1', '127.1', '2130706433', '0x7f.0.0.1', '0x7f000001', '1.2.3.4.', 'vpn.1', '192.0.2.1']) expect(isNumericHost(t), t).toBe(true);
    for (const t of ['vpn.example.com', 'vpn1', '1.example', 'localhost', '0xdead.example']) expect(isNumericHost(t), t).toBe(false);
  });
});

describe('every layer refuses the same text, and says why', () => {
  const cli = (...argv: string[]) => parseArgs(argv).settings;
  const gatewayConfigError = (line: string): string => {
    try {
      parseGatewayConfig(['Listen 198.51.100.1', 'Group g', 'Group secret s', 'Pool 192.0.2.10-192.0.2.50', line].join('\n'), 'gw.conf');
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it.each(['010.0.0.1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-4', ' 1.2.3.4', '1..2.3', '0x7f.0.0.1', '127.1', ''])('%j', async (text) => {
    const why = `not an IPv4 address: ${JSON.stringify(text)} (${ipv4Problem(text)})`;
    // The gateway's file trims its values (and an empty one is missing): only text without blanks reaches the parser.
    if (!/^$|\s/.test(text)) expect(gatewayConfigError(`DNS ${text}`)).toBe(`gw.conf:5: DNS: ${why}`);
    expect(() => invocationVariables({ reason: 'connect', vpnPid: 1, tunDev: 'tun0', gateway: text, tunnel: { address: '192.0.2.10' } }))
      .toThrow(expect.objectContaining({ code: 'VPNC_ERR_SCRIPT_INPUT', message: why }));
    expect(() => ipv4Attribute(1, text)).toThrow(expect.objectContaining({ code: 'VPNC_ERR_ENCODE', message: why }));
    expect(parseIpv4Network(`${text}/24`)).toBeNull();
    expect(() => validateSettings(cli('--target-network', `${text}/24`))).toThrow('--target-network: invalid value');
  });

  it('a number that is not a strict dotted quad is no host name either: refused, never resolved (getaddrinfo reads 010 as octal)', async () => {
    expect(() => validateSettings(cli('--gateway', '010.0.0.1'))).toThrow(
      '--gateway: invalid value "010.0.0.1" (accepted: an IPv4 address or a host name; read as an address: leading zero in "010")',
    );
    expect(() => validateSettings(cli('--local-addr', '127.1'))).toThrow(
      '--local-addr: invalid value "127.1" (accepted: an IPv4 address or a host name; read as an address: 2 numbers; a dotted quad has 4)',
    );
    // A name that ends in a number is told so (the dotted quad's reasons would not fit it; review finding).
    for (const name of ['host.123', '0xdead', '192.168.1.1.']) {
      expect(() => validateSettings(cli('--gateway', name))).toThrow(
        `--gateway: invalid value "${name}" (accepted: an IPv4 address or a host name; a name ending in a number, which resolvers would read as an address)`,
      );
    }
    for (const name of ['123vpn.example.com', '1and1.de', '10.0.0.1.nip.io', 'vpn.corp.local.']) expect(validateSettings(cli('--gateway', name)).gateway).toBe(name);
    expect(validateSettings(cli('--gateway', '192.0.2.1')).gateway).toBe('192.0.2.1');
    expect(validateSettings(cli('--gateway', 'vpn1.example.com')).gateway).toBe('vpn1.example.com');
    await expect(resolveGateway('010.0.0.1')).rejects.toThrow("the gateway '010.0.0.1' is neither a host name nor an IPv4 address (leading zero in \"010\")");
    await expect(resolveLocalAddress('0x7f.0.0.1')).rejects.toThrow(expect.objectContaining({ code: 'VPNC_ERR_CONFIG' }));
    await expect(resolveGateway('192.0.2.1')).resolves.toBe('192.0.2.1');
  });
});
