/**
 * Mode config's IPv6 side (ours; vpnc asks for none of it): what the request asks for, and how the reply's
 * INTERNAL_IP6_ADDRESS (16 bytes as strongSwan sends it, 17 with a prefix byte), INTERNAL_IP6_NETMASK,
 * INTERNAL_IP6_DNS and INTERNAL_IP6_SUBNET are read; a malformed one leaves IPv6 out (said, not fatal); no bytes
 * make it throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CfgAttribute, CfgType, PayloadType } from '../../../src/ike/constants.js';
import { buildModeConfigRequest, parseModeConfigReply } from '../../../src/ike/exchanges/mode-config.js';
import { ipv4Attribute, tlvAttribute, type AttributePayload, type DataAttribute } from '../../../src/ike/payloads/index.js';
import { parseIpv6 } from '../../../src/wire/ipv6-text.js';

const reply = (attributes: DataAttribute[]): AttributePayload => ({
  type: PayloadType.ATTRIBUTE,
  cfgType: CfgType.REPLY,
  identifier: 1,
  attributes: [ipv4Attribute(CfgAttribute.INTERNAL_IP4_ADDRESS, '192.0.2.10'), ...attributes],
});
const v6 = (type: number, text: string, prefix?: number) => tlvAttribute(type, prefix === undefined ? parseIpv6(text) : Buffer.concat([parseIpv6(text), Buffer.from([prefix])]));

describe('mode config request: IPv6', () => {
  it('asks for the IPv6 address, DNS and subnets only when told to, after the IPv4 attributes', () => {
    const base = { identifier: 1, ciscoUdp: false, applicationVersion: 'v', hostname: 'h' };
    const without = buildModeConfigRequest(base).attributes.map((a) => a.type);
    const withV6 = buildModeConfigRequest({ ...base, ipv6: true }).attributes.map((a) => a.type);
    expect(without).not.toContain(CfgAttribute.INTERNAL_IP6_ADDRESS);
    expect(withV6.filter((t) => !without.includes(t))).toEqual([CfgAttribute.INTERNAL_IP6_ADDRESS, CfgAttribute.INTERNAL_IP6_DNS, CfgAttribute.INTERNAL_IP6_SUBNET]);
    expect(withV6.indexOf(CfgAttribute.INTERNAL_IP6_ADDRESS)).toBe(withV6.indexOf(CfgAttribute.UNITY_DEF_DOMAIN) + 1);
  });
});

describe('mode config reply: IPv6', () => {
  it('reads a 16-byte address (prefix 128), DNS servers and subnets', () => {
    const mc = parseModeConfigReply(reply([
      v6(CfgAttribute.INTERNAL_IP6_ADDRESS, '2001:db8:1::10'),
      v6(CfgAttribute.INTERNAL_IP6_DNS, '2001:db8:2::53'),
      v6(CfgAttribute.INTERNAL_IP6_DNS, '2001:db8:2::54'),
      v6(CfgAttribute.INTERNAL_IP6_SUBNET, '2001:db8:2::', 64),
      v6(CfgAttribute.INTERNAL_IP6_SUBNET, '2001:db8:3::', 48),
    ]));
    expect(mc.address6).toEqual({ address: '2001:db8:1::10', prefixLength: 128 });
    expect(mc.dns6).toEqual(['2001:db8:2::53', '2001:db8:2::54']);
    expect(mc.splitInclude6).toEqual([{ address: '2001:db8:2::', prefixLength: 64 }, { address: '2001:db8:3::', prefixLength: 48 }]);
    expect(mc.address).toBe('192.0.2.10');
  });

  it('takes the prefix from a 17th byte, or from INTERNAL_IP6_NETMASK (which wins), whatever the order', () => {
    expect(parseModeConfigReply(reply([v6(CfgAttribute.INTERNAL_IP6_ADDRESS, '2001:db8:1::10', 64)])).address6).toEqual({ address: '2001:db8:1::10', prefixLength: 64 });
    const netmaskFirst = reply([v6(CfgAttribute.INTERNAL_IP6_NETMASK, 'ffff:ffff:ffff:ffff:ffff:ffff::'), v6(CfgAttribute.INTERNAL_IP6_ADDRESS, '2001:db8:1::10', 64)]);
    expect(parseModeConfigReply(netmaskFirst).address6).toEqual({ address: '2001:db8:1::10', prefixLength: 96 });
  });

  it('an empty address (not given), no IPv6 at all, and short DNS values leave IPv6 out', () => {
    const mc = parseModeConfigReply(reply([tlvAttribute(CfgAttribute.INTERNAL_IP6_ADDRESS), tlvAttribute(CfgAttribute.INTERNAL_IP6_DNS, Buffer.alloc(4))]));
    expect(mc.address6).toBeUndefined();
    expect(mc.dns6).toEqual([]);
    expect(parseModeConfigReply(reply([])).splitInclude6).toEqual([]);
  });

  it.each([
    [tlvAttribute(CfgAttribute.INTERNAL_IP6_ADDRESS, Buffer.alloc(4)), 'IPv6 address of 4 bytes, not 16 or 17'],
    [tlvAttribute(CfgAttribute.INTERNAL_IP6_ADDRESS, Buffer.alloc(18)), 'IPv6 address of 18 bytes, not 16 or 17'],
    [v6(CfgAttribute.INTERNAL_IP6_ADDRESS, '2001:db8::1', 129), 'IPv6 address with prefix length 129'],
    [v6(CfgAttribute.INTERNAL_IP6_SUBNET, '2001:db8::', 200), 'IPv6 subnet with prefix length 200'],
    [tlvAttribute(CfgAttribute.INTERNAL_IP6_SUBNET, Buffer.alloc(32)), 'IPv6 subnet of 32 bytes, not 16 or 17'],
    [v6(CfgAttribute.INTERNAL_IP6_NETMASK, 'ffff::ffff'), 'IPv6 netmask ffff::ffff is not contiguous'],
  ])('a malformed IPv6 attribute (%#) leaves IPv6 out and says why, IPv4 stands: %s', (attribute, problem) => {
    const mc = parseModeConfigReply(reply([v6(CfgAttribute.INTERNAL_IP6_ADDRESS, '2001:db8:1::10'), attribute]));
    expect(mc.ipv6Problem).toBe(problem);
    expect(mc.address6).toBeUndefined();
    expect(mc.address).toBe('192.0.2.10');
  });

  it('any bytes in the IPv6 attributes: a reading (with or without IPv6), never an exception', () => {
    const types = [CfgAttribute.INTERNAL_IP6_ADDRESS, CfgAttribute.INTERNAL_IP6_NETMASK, CfgAttribute.INTERNAL_IP6_DNS, CfgAttribute.INTERNAL_IP6_SUBNET];
    fc.assert(
      fc.property(fc.array(fc.record({ type: fc.constantFrom(...types), value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 6 }), (attrs) => {
        const mc = parseModeConfigReply(reply(attrs.map((a) => tlvAttribute(a.type, Buffer.from(a.value)))));
        if (mc.address6) expect(mc.address6.prefixLength).toBeLessThanOrEqual(128);
        if (mc.ipv6Problem) expect(mc.address6).toBeUndefined();
        for (const n of mc.splitInclude6) expect(parseIpv6(n.address)).toHaveLength(16);
      }),
      { numRuns: 3000 },
    );
  });
});
