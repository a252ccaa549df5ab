import { describe, expect, it } from 'vitest';
import { CfgAttribute } from '../../../src/ike/constants.js';
import {
  attributeIpv4,
  attributeNumber,
  attributeString,
  attributeU16,
  attributeU32,
  findAttribute,
  ipv4Attribute,
  stringAttribute,
  tlvAttribute,
  tvAttribute,
  u32Attribute,
} from '../../../src/ike/payloads/attributes.js';
import { DecodeError, EncodeError } from '../../../src/wire/errors.js';

describe('data attribute helpers', () => {
  it('build and read values', () => {
    expect(attributeU16(tvAttribute(1, 0xfde9))).toBe(0xfde9);
    expect(attributeNumber(tvAttribute(1, 7))).toBe(7);
    expect(attributeU32(u32Attribute(12, 2147483))).toBe(2147483);
    expect(attributeNumber(u32Attribute(12, 2147483))).toBe(2147483);
    expect(attributeNumber(tlvAttribute(12, Buffer.from('010000000000', 'hex')))).toBe(2 ** 40);
    expect(attributeIpv4(ipv4Attribute(1, '192.0.2.10'))).toBe('192.0.2.10');
    expect(attributeString(stringAttribute(0x7000, 'Welcome ü'))).toBe('Welcome ü');
    expect(tlvAttribute(1).value.length).toBe(0);
  });

  it('finds the first attribute of a type', () => {
    const attrs = [ipv4Attribute(3, '192.0.2.1'), ipv4Attribute(3, '192.0.2.2')];
    expect(attributeIpv4(findAttribute(attrs, CfgAttribute.INTERNAL_IP4_DNS)!)).toBe('192.0.2.1');
    expect(findAttribute(attrs, 1)).toBeUndefined();
  });

  it('reject values of the wrong size with DecodeError', () => {
    expect(() => attributeU32(tvAttribute(2, 1))).toThrow(new DecodeError('attribute 2: expected 4-byte value, got 2'));
    expect(() => attributeIpv4(tlvAttribute(1, Buffer.alloc(0)))).toThrow(DecodeError);
    expect(() => attributeU16(u32Attribute(1, 1))).toThrow(DecodeError);
    expect(() => attributeNumber(tlvAttribute(12))).toThrow('attribute 12: 0-byte value is not a number');
    expect(() => attributeNumber(tlvAttribute(12, Buffer.alloc(8)))).toThrow('attribute 12: 8-byte value is not a number');
  });

  it('refuse bad IPv4 text with EncodeError', () => {
    expect(ipv4Attribute(1, '0.0.0.0').value.toString('hex')).toBe('00000000');
    for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1.2.3.-1', '', '010.0.0.1']) {
      expect(() => ipv4Attribute(1, bad)).toThrow(EncodeError);
    }
  });
});
