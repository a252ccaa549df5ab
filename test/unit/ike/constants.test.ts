import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CfgAttribute,
  EncapsulationMode,
  EspTransformId,
  ExchangeType,
  IkeAuthMethod,
  KNOWN_VENDOR_IDS,
  NotifyType,
  PayloadType,
  VendorId,
  cfgAttributeName,
  exchangeTypeName,
  ikeAuthMethodName,
  notifyTypeName,
  payloadTypeName,
  vendorIdName,
} from '../../../src/ike/constants.js';

const md5 = (s: string) => createHash('md5').update(s).digest();

describe('number tables', () => {
  it('carry the RFC and draft numbers', () => {
    expect([ExchangeType.AGGRESSIVE, ExchangeType.INFORMATIONAL, ExchangeType.TRANSACTION, ExchangeType.QUICK]).toEqual([4, 5, 6, 32]);
    expect([PayloadType.ATTRIBUTE, PayloadType.NAT_D, PayloadType.NAT_D_DRAFT, PayloadType.NAT_OA, PayloadType.NAT_OA_DRAFT]).toEqual([14, 20, 130, 21, 131]);
    expect([NotifyType.RESPONDER_LIFETIME, NotifyType.INITIAL_CONTACT, NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK]).toEqual([24576, 24578, 36136, 36137]);
    expect([NotifyType.CISCO_LOAD_BALANCE, NotifyType.CISCO_PRESHARED_KEY_HASH]).toEqual([40501, 40503]);
    expect([IkeAuthMethod.HybridInitRSA, IkeAuthMethod.XAUTHInitPreShared]).toEqual([64221, 65001]);
    expect([EspTransformId.NULL, EspTransformId.AES, EspTransformId.AES_GCM_16]).toEqual([11, 12, 20]);
    expect([EncapsulationMode.UDP_TUNNEL, EncapsulationMode.UDP_TUNNEL_DRAFT]).toEqual([3, 61443]);
    expect([CfgAttribute.XAUTH_TYPE, CfgAttribute.XAUTH_ANSWER, CfgAttribute.UNITY_LOCAL_LAN, CfgAttribute.UNITY_DDNS_HOSTNAME]).toEqual([
      16520, 16529, 0x7006, 0x700a,
    ]);
  });

  it('name numbers for logs, unknown ones included', () => {
    expect(exchangeTypeName(4)).toBe('AGGRESSIVE');
    expect(payloadTypeName(130)).toBe('NAT_D_DRAFT');
    expect(notifyTypeName(24578)).toBe('INITIAL_CONTACT');
    expect(notifyTypeName(9999)).toBe('UNKNOWN(9999)');
    expect(ikeAuthMethodName(65001)).toBe('XAUTHInitPreShared');
    expect(cfgAttributeName(0x7004)).toBe('UNITY_SPLIT_INCLUDE');
  });
});

describe('vendor IDs', () => {
  it('are the MD5 hashes their comments name', () => {
    expect(VendorId.NATT_RFC3947.equals(md5('RFC 3947'))).toBe(true);
    expect(VendorId.NATT_DRAFT_03.equals(md5('draft-ietf-ipsec-nat-t-ike-03'))).toBe(true);
    expect(VendorId.NATT_DRAFT_02N.equals(md5('draft-ietf-ipsec-nat-t-ike-02\n'))).toBe(true);
    expect(VendorId.NATT_DRAFT_02.equals(md5('draft-ietf-ipsec-nat-t-ike-02'))).toBe(true);
    expect(VendorId.NATT_DRAFT_01.equals(md5('draft-ietf-ipsec-nat-t-ike-01'))).toBe(true);
    expect(VendorId.NATT_DRAFT_00.equals(md5('draft-ietf-ipsec-nat-t-ike-00'))).toBe(true);
    expect(VendorId.XAUTH.equals(md5('draft-ietf-ipsra-isakmp-xauth-06.txt').subarray(0, 8))).toBe(true);
    expect(VendorId.CISCO_UNITY.subarray(0, 14).equals(md5('CISCO-UNITY').subarray(0, 14))).toBe(true);
    expect(VendorId.CISCO_FRAGMENTATION.subarray(0, 16).equals(md5('FRAGMENTATION'))).toBe(true);
    expect(VendorId.HEARTBEAT_NOTIFY.subarray(0, 16).toString()).toBe('HeartBeat_Notify');
  });

  it('are named, with any Unity version recognised', () => {
    expect(KNOWN_VENDOR_IDS.every((v) => vendorIdName(v.data) === v.name)).toBe(true);
    expect(new Set(KNOWN_VENDOR_IDS.map((v) => v.name)).size).toBe(KNOWN_VENDOR_IDS.length);
    const unity11 = Buffer.from(VendorId.CISCO_UNITY);
    unity11[15] = 1;
    expect(vendorIdName(unity11)).toBe('Cisco Unity 1.1');
    expect(vendorIdName(Buffer.from('00', 'hex'))).toBeUndefined();
  });
});
