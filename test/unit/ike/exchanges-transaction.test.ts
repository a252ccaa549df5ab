/**
 * XAUTH and mode config (transaction exchanges) after aggressive mode: the test responder drives XAUTH
 * (request, reply, SET status, ACK) and answers the mode config request, every message protected with
 * HASH(1) under its own message id. Then the pure parsers' refusals.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { CfgAttribute, CfgType, ExchangeType, NotifyType, PayloadType, XauthStatus } from '../../../src/ike/constants.js';
import { buildModeConfigRequest, parseModeConfigReply } from '../../../src/ike/exchanges/mode-config.js';
import { buildAck, buildXauthReply, isSecretField, parseXauthRequest, parseXauthStatus, xauthPrompt, type XauthField } from '../../../src/ike/exchanges/xauth.js';
import type { IkeSa } from '../../../src/ike/ike-sa.js';
import { ipv4Attribute, stringAttribute, tlvAttribute, tvAttribute, type AttributePayload, type DataAttribute } from '../../../src/ike/payloads/index.js';
import { establish } from './established.js';
import type { FakeResponder } from './fake-responder.js';
import { thrown as thrownBy } from '../../helpers/thrown.js';

const attrPayload = (cfgType: number, identifier: number, attributes: DataAttribute[]): AttributePayload => ({ type: PayloadType.ATTRIBUTE, cfgType, identifier, attributes });

/** The client's side of one transaction message: open, check HASH(1), return the one attribute payload. */
function clientOpen(sa: IkeSa, d: Buffer): { msgId: number; attr: AttributePayload } {
  const msg = sa.open(d);
  sa.verifyHash(msg);
  expect(msg.header.exchangeType).toBe(ExchangeType.TRANSACTION);
  expect(msg.payloads).toHaveLength(2);
  return { msgId: msg.header.messageId, attr: msg.payloads[1] as AttributePayload };
}

/** The responder's side: open, check HASH(1), return the one attribute payload. */
function gatewayOpen(resp: FakeResponder, d: Buffer, msgId: number): AttributePayload {
  const m = resp.open(d);
  expect(m.header).toMatchObject({ exchangeType: ExchangeType.TRANSACTION, messageId: msgId });
  const rest = resp.verify(m);
  expect(rest).toHaveLength(1);
  return rest[0] as AttributePayload;
}

function thrown(fn: () => unknown): ProtocolError {
  const err = thrownBy(fn);
  expect(err).toBeInstanceOf(ProtocolError);
  return err as ProtocolError;
}

const splitEntry = (addr: number[], mask: number[], proto = 0, sport = 0, dport = 0): Buffer => {
  const b = Buffer.alloc(14);
  Buffer.from([...addr, ...mask]).copy(b);
  b.writeUInt16BE(proto, 8);
  b.writeUInt16BE(sport, 10);
  b.writeUInt16BE(dport, 12);
  return b;
};

describe('XAUTH and mode config against the test responder', () => {
  it('request -> reply -> SET(OK) -> ACK, then mode config request -> reply', () => {
    const { result, resp } = establish();
    const sa = result.sa;

    // XAUTH request under message id 0x1111
    const request = attrPayload(CfgType.REQUEST, 0x4242, [
      tvAttribute(CfgAttribute.XAUTH_TYPE, 0),
      tlvAttribute(CfgAttribute.XAUTH_USER_NAME),
      tlvAttribute(CfgAttribute.XAUTH_USER_PASSWORD),
      stringAttribute(CfgAttribute.XAUTH_MESSAGE, 'Enter your credentials\n'),
      tvAttribute(CfgAttribute.CISCO_UNKNOWN_0015, 1),
    ]);
    const got = clientOpen(sa, resp.seal(ExchangeType.TRANSACTION, 0x1111, [request]));
    const req = parseXauthRequest(got.attr);
    expect(req).toMatchObject({ identifier: 0x4242, fields: ['username', 'password'], messages: ['Enter your credentials\n'], challenge: false });
    const answers = new Map<XauthField, string>([['username', 'alice'], ['password', 'pässword']]);
    const reply = gatewayOpen(resp, sa.sealHashed(ExchangeType.TRANSACTION, got.msgId, [buildXauthReply(req, answers)]), 0x1111);
    expect(reply).toEqual(attrPayload(CfgType.REPLY, 0x4242, [
      tvAttribute(CfgAttribute.XAUTH_TYPE, 0),
      stringAttribute(CfgAttribute.XAUTH_USER_NAME, 'alice'),
      stringAttribute(CfgAttribute.XAUTH_USER_PASSWORD, 'pässword'),
      tvAttribute(CfgAttribute.CISCO_UNKNOWN_0015, 1),
    ]));

    // XAUTH status under a new message id
    const set = attrPayload(CfgType.SET, 0x4243, [tvAttribute(CfgAttribute.XAUTH_STATUS, XauthStatus.OK)]);
    const status = clientOpen(sa, resp.seal(ExchangeType.TRANSACTION, 0x2222, [set]));
    expect(parseXauthStatus(status.attr)).toBe(true);
    const ack = gatewayOpen(resp, sa.sealHashed(ExchangeType.TRANSACTION, status.msgId, [buildAck(status.attr)]), 0x2222);
    expect(ack).toEqual(attrPayload(CfgType.ACK, 0x4243, [tvAttribute(CfgAttribute.XAUTH_STATUS, 1)]));
    sa.ivs.forget(status.msgId);

    // Mode config pull under a third message id: the reply continues that id's IV chain.
    const mcReq = buildModeConfigRequest({ identifier: 0x0707, ciscoUdp: false, applicationVersion: 'Cisco Systems VPN Client 0.5.3:Linux', hostname: 'laptop' });
    const asked = gatewayOpen(resp, sa.sealHashed(ExchangeType.TRANSACTION, 0x3333, [mcReq]), 0x3333);
    expect(asked.cfgType).toBe(CfgType.REQUEST);
    // vpnc's list, and UNITY_BACKUP_SERVERS (0x7009), which vpnc never asked for.
    expect(asked.attributes.map((a) => a.type)).toEqual([1, 2, 3, 4, 0x7002, 0x7008, 0x7007, 0x7000, 0x7001, 0x7004, 0x7006, 0x7003, 0x7009, 0x700a, 7]);
    expect(asked.attributes.at(-2)!.value.toString()).toBe('laptop');
    const mcReply = attrPayload(CfgType.REPLY, 0x0707, [
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_ADDRESS, '192.0.2.10'),
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_NETMASK, '255.255.255.0'),
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_DNS, '192.0.2.53'),
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_DNS, '192.0.2.54'),
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_NBNS, '192.0.2.137'),
      stringAttribute(CfgAttribute.UNITY_DEF_DOMAIN, 'example.test\0'),
      stringAttribute(CfgAttribute.UNITY_BANNER, 'Welcome'),
      stringAttribute(CfgAttribute.UNITY_SPLITDNS_NAME, 'corp.test,lab.test'),
      tlvAttribute(CfgAttribute.UNITY_SPLIT_INCLUDE, Buffer.concat([splitEntry([203, 0, 113, 0], [255, 255, 255, 0]), splitEntry([10, 0, 0, 0], [255, 0, 0, 0], 6, 0, 443)])),
      tvAttribute(CfgAttribute.UNITY_PFS, 1),
      tvAttribute(CfgAttribute.UNITY_SAVE_PASSWD, 0),
      stringAttribute(CfgAttribute.APPLICATION_VERSION, 'strongSwan'),
      stringAttribute(CfgAttribute.UNITY_BACKUP_SERVERS, '198.51.100.7,vpn2.example'),
      tlvAttribute(CfgAttribute.INTERNAL_ADDRESS_EXPIRY, Buffer.alloc(4)),
    ]);
    const mc = clientOpen(sa, resp.seal(ExchangeType.TRANSACTION, 0x3333, [mcReply]));
    expect(parseModeConfigReply(mc.attr, 0x0707)).toEqual({
      address: '192.0.2.10', netmask: '255.255.255.0', dns: ['192.0.2.53', '192.0.2.54'], nbns: ['192.0.2.137'],
      defaultDomain: 'example.test', banner: 'Welcome', splitDns: ['corp.test,lab.test'],
      splitInclude: [
        { address: '203.0.113.0', mask: '255.255.255.0', prefixLength: 24, protocol: 0, sourcePort: 0, destinationPort: 0 },
        { address: '10.0.0.0', mask: '255.0.0.0', prefixLength: 8, protocol: 6, sourcePort: 0, destinationPort: 443 },
      ],
      splitExclude: [], pfs: 1, udpEncapPort: undefined, savePassword: false, applicationVersion: 'strongSwan', backupServers: ['198.51.100.7', 'vpn2.example'], address6: undefined, dns6: [], splitInclude6: [], ipv6Problem: undefined,
    });
  });

  it('a SET with XAUTH_STATUS FAIL reads as false and is still ACKed', () => {
    const { result, resp } = establish();
    const got = clientOpen(result.sa, resp.seal(ExchangeType.TRANSACTION, 9, [attrPayload(CfgType.SET, 1, [tvAttribute(CfgAttribute.XAUTH_STATUS, XauthStatus.FAIL)])]));
    expect(parseXauthStatus(got.attr)).toBe(false);
    expect(buildAck(got.attr)).toEqual(attrPayload(CfgType.ACK, 1, [tvAttribute(CfgAttribute.XAUTH_STATUS, 0)]));
  });
});

describe('XAUTH parsing', () => {
  const req = (attrs: DataAttribute[], cfgType: number = CfgType.REQUEST) => attrPayload(cfgType, 5, attrs);

  it('ANSWER and NEXT_PIN make a challenge; PASSCODE and DOMAIN are fields; TV messages are two characters', () => {
    expect(parseXauthRequest(req([tlvAttribute(CfgAttribute.XAUTH_ANSWER), tvAttribute(CfgAttribute.XAUTH_MESSAGE, 0x4f4b)]))).toMatchObject({ fields: ['answer'], messages: ['OK'], challenge: true });
    expect(parseXauthRequest(req([tlvAttribute(CfgAttribute.XAUTH_NEXT_PIN)])).challenge).toBe(true);
    expect(parseXauthRequest(req([tlvAttribute(CfgAttribute.XAUTH_PASSCODE), tlvAttribute(CfgAttribute.XAUTH_DOMAIN), tlvAttribute(CfgAttribute.CISCO_EXT_VENDOR)]))).toMatchObject({ fields: ['passcode', 'domain'], challenge: false });
    expect(['username', 'password', 'passcode', 'answer', 'next-pin', 'domain'].map((f) => isSecretField(f as XauthField))).toEqual([false, true, true, true, true, false]);
    expect(xauthPrompt('password', 'alice', 'vpn.example')).toBe('Password for VPN alice@vpn.example: ');
    expect(xauthPrompt('answer', 'alice', 'gw')).toBe('Answer for VPN alice@gw: ');
    expect(xauthPrompt('passcode', 'alice', 'gw')).toBe('Passcode for VPN alice@gw: ');
  });

  it('refuses an XAUTH type other than generic (0)', () => {
    const err = thrown(() => parseXauthRequest(req([tvAttribute(CfgAttribute.XAUTH_TYPE, 1)])));
    expect([err.message, err.notify]).toEqual(['gateway asks for XAUTH type 1; only generic (0) is supported', NotifyType.ATTRIBUTES_NOT_SUPPORTED]);
  });

  it('refuses an unsupported attribute', () => {
    const err = thrown(() => parseXauthRequest(req([tlvAttribute(CfgAttribute.XAUTH_USER_NAME), tlvAttribute(CfgAttribute.XAUTH_CHALLENGE)])));
    expect([err.message, err.notify]).toEqual(['gateway\'s XAUTH request holds unsupported attribute 16525', NotifyType.ATTRIBUTES_NOT_SUPPORTED]);
  });

  it('refuses a message that is not a request', () => {
    const err = thrown(() => parseXauthRequest(req([], CfgType.SET)));
    expect([err.message, err.notify]).toEqual(['expected an XAUTH request, got CFG type 3', NotifyType.INVALID_PAYLOAD_TYPE]);
  });

  it('cannot reply without a value for every requested field', () => {
    const r = parseXauthRequest(req([tlvAttribute(CfgAttribute.XAUTH_USER_NAME), tlvAttribute(CfgAttribute.XAUTH_USER_PASSWORD)]));
    expect(thrown(() => buildXauthReply(r, new Map([['username', 'bob']]))).message).toBe('no value for the requested XAUTH password');
  });

  it('status: only a SET with XAUTH_STATUS counts', () => {
    expect(parseXauthStatus(attrPayload(CfgType.SET, 1, [ipv4Attribute(CfgAttribute.INTERNAL_IP4_ADDRESS, '192.0.2.1')]))).toBeUndefined();
    expect(parseXauthStatus(attrPayload(CfgType.REQUEST, 1, [tvAttribute(CfgAttribute.XAUTH_STATUS, 1)]))).toBeUndefined();
  });
});

describe('mode config parsing', () => {
  const reply = (attrs: DataAttribute[], cfgType: number = CfgType.REPLY, id = 3) => attrPayload(cfgType, id, attrs);
  const addr = ipv4Attribute(CfgAttribute.INTERNAL_IP4_ADDRESS, '192.0.2.7');

  it.each([
    ['0.0.0.0', 'the unspecified address'],
    ['0.1.2.3', 'in 0.0.0.0/8 ("this network")'],
    ['127.0.0.9', 'a loopback address'],
    ['224.0.0.5', 'a multicast address'],
    ['250.1.1.1', 'in the reserved 240.0.0.0/4'],
    ['255.255.255.255', 'the broadcast address'],
  ])('refuses an assigned address %s (%s) in one line (the hostile campaign found 0.0.0.0 taken)', (address, why) => {
    const err = thrownBy(() => parseModeConfigReply(reply([ipv4Attribute(CfgAttribute.INTERNAL_IP4_ADDRESS, address)])));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.message).toBe(`the gateway assigned ${address} as our address, ${why}: no tunnel can use it`);
  });

  it('asks for UNITY_NATT_PORT only in cisco-udp mode, and reads it', () => {
    const q = buildModeConfigRequest({ identifier: 1, ciscoUdp: true, applicationVersion: 'v', hostname: 'h' });
    expect(q.attributes[5]!.type).toBe(CfgAttribute.UNITY_NATT_PORT);
    expect(parseModeConfigReply(reply([addr, tvAttribute(CfgAttribute.UNITY_NATT_PORT, 10000)])).udpEncapPort).toBe(10000);
  });

  it('accepts a netscreen SET, ignores an empty netmask, reads split exclude', () => {
    const mc = parseModeConfigReply(reply([addr, tlvAttribute(CfgAttribute.INTERNAL_IP4_NETMASK), tlvAttribute(CfgAttribute.UNITY_LOCAL_LAN, splitEntry([192, 168, 1, 0], [255, 255, 255, 128]))], CfgType.SET));
    expect(mc.netmask).toBeUndefined();
    expect(mc.splitExclude).toEqual([{ address: '192.168.1.0', mask: '255.255.255.128', prefixLength: 25, protocol: 0, sourcePort: 0, destinationPort: 0 }]);
    // Prefix lengths as vpnc's script variables give them (CISCO_SPLIT_*_MASKLEN): 255.0.255.0 is 24, as there.
    const lengths = parseModeConfigReply(reply([addr, tlvAttribute(CfgAttribute.UNITY_SPLIT_INCLUDE, Buffer.concat([splitEntry([10, 0, 0, 0], [255, 255, 240, 0]), splitEntry([0, 0, 0, 0], [0, 0, 0, 0]), splitEntry([10, 0, 0, 0], [255, 0, 255, 0])]))]));
    expect(lengths.splitInclude.map((n) => n.prefixLength)).toEqual([20, 0, 24]);
  });

  it.each([
    ['no address', [ipv4Attribute(CfgAttribute.INTERNAL_IP4_DNS, '192.0.2.53')], 'mode config reply carries no INTERNAL_IP4_ADDRESS', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
    ['a 3-byte address', [tlvAttribute(CfgAttribute.INTERNAL_IP4_ADDRESS, Buffer.from([1, 2, 3]))], 'mode config address of 3 bytes', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
    ['a 2-byte netmask', [addr, tlvAttribute(CfgAttribute.INTERNAL_IP4_NETMASK, Buffer.from([255, 0]))], 'mode config netmask of 2 bytes', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
    ['a split include of 15 bytes', [addr, tlvAttribute(CfgAttribute.UNITY_SPLIT_INCLUDE, Buffer.alloc(15))], 'split network list of 15 bytes is not a multiple of 14', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
    ['a local LAN list of 13 bytes', [addr, tlvAttribute(CfgAttribute.UNITY_LOCAL_LAN, Buffer.alloc(13))], 'split network list of 13 bytes is not a multiple of 14', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
  ])('refuses %s', (_, attrs, message, notify) => {
    const err = thrown(() => parseModeConfigReply(reply(attrs)));
    expect([err.message, err.notify]).toEqual([message, notify]);
  });

  it('refuses a request or ACK, and a reply to another identifier', () => {
    expect(thrown(() => parseModeConfigReply(reply([addr], CfgType.ACK))).message).toBe('expected a mode config reply, got CFG type 4');
    const err = thrown(() => parseModeConfigReply(reply([addr], CfgType.REPLY, 9), 3));
    expect([err.message, err.notify]).toEqual(['mode config reply for identifier 9, expected 3', NotifyType.INVALID_PAYLOAD_TYPE]);
  });
});
