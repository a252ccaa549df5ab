/**
 * XAUTH and mode config under fuzzing, both ends: the client's XauthClient and ModeConfigClient on validly
 * sealed, HASH(1)-authenticated messages whose attribute payloads are mutated; the parsers they use on
 * arbitrary attribute payloads; and the gateway's peer in each XAUTH / mode config stage on mutated replies.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { ModeConfigClient } from '../../../src/ike/exchanges/mode-config-client.js';
import { parseModeConfigReply } from '../../../src/ike/exchanges/mode-config.js';
import { XauthClient } from '../../../src/ike/exchanges/xauth-client.js';
import { parseXauthRequest, parseXauthStatus, type XauthField } from '../../../src/ike/exchanges/xauth.js';
import { CfgAttribute, CfgType } from '../../../src/ike/mode-cfg-constants.js';
import { decodeHeader } from '../../../src/ike/message.js';
import type { AttributePayload, DataAttribute } from '../../../src/ike/payloads/index.js';
import { anyPayload, attributes, mutatedAttributes, payloadOf } from './mutate.js';
import { caseOf, outcome, seeded, target } from './runs.js';
import { handshake, messageId, peek, plainMutations, plainOf, sealFor, sentOne, type Handshake, type Plain } from './sessions.js';

let shared: Handshake | undefined;
const session = (): Handshake => (shared ??= handshake());
const tlv = (type: number, ...value: number[]): DataAttribute => ({ type, tv: false, value: Buffer.from(value) });
const tv = (type: number, v: number): DataAttribute => ({ type, tv: true, value: Buffer.from([v >> 8, v & 0xff]) });
const text = (type: number, s: string): DataAttribute => ({ type, tv: false, value: Buffer.from(s) });
const ALL_FIELDS = new Map<XauthField, string>([['username', 'u'], ['password', 'p'], ['passcode', '1'], ['answer', 'a'], ['next-pin', '2'], ['domain', 'd']]);

const XAUTH_REQUEST: AttributePayload = {
  type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: 7,
  attributes: [tv(CfgAttribute.XAUTH_TYPE, 0), tlv(CfgAttribute.XAUTH_USER_NAME), tlv(CfgAttribute.XAUTH_USER_PASSWORD), text(CfgAttribute.XAUTH_MESSAGE, 'hi')],
};
const XAUTH_STATUS: AttributePayload = { type: PayloadType.ATTRIBUTE, cfgType: CfgType.SET, identifier: 8, attributes: [tv(CfgAttribute.XAUTH_STATUS, 1)] };
const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
const MODE_CONFIG_REPLY: AttributePayload = {
  type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: 9,
  attributes: [
    tlv(CfgAttribute.INTERNAL_IP4_ADDRESS, 192, 0, 2, 10), tlv(CfgAttribute.INTERNAL_IP4_NETMASK, 255, 255, 255, 0), tlv(CfgAttribute.INTERNAL_IP4_DNS, 203, 0, 113, 53),
    tlv(CfgAttribute.INTERNAL_IP4_NBNS, 203, 0, 113, 54), text(CfgAttribute.UNITY_DEF_DOMAIN, 'example.test\0'), text(CfgAttribute.UNITY_BANNER, 'hello'),
    tlv(CfgAttribute.UNITY_SPLIT_INCLUDE, 203, 0, 113, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0), tlv(CfgAttribute.UNITY_LOCAL_LAN, 10, 0, 0, 0, 255, 0, 0, 0, 0, 6, 0, 0, 0, 80),
    tv(CfgAttribute.UNITY_PFS, 1), tv(CfgAttribute.UNITY_SAVE_PASSWD, 0), tv(CfgAttribute.UNITY_NATT_PORT, 10000), text(CfgAttribute.UNITY_SPLITDNS_NAME, 'a.test,b.test'),
    text(CfgAttribute.UNITY_BACKUP_SERVERS, 'gw2.example.test, 198.51.100.9'), text(CfgAttribute.APPLICATION_VERSION, 'gw 1.0'),
    tlv(CfgAttribute.INTERNAL_IP6_ADDRESS, ...v6, 64), tlv(CfgAttribute.INTERNAL_IP6_NETMASK, ...Array(8).fill(0xff), ...Array(8).fill(0)),
    tlv(CfgAttribute.INTERNAL_IP6_DNS, ...v6), tlv(CfgAttribute.INTERNAL_IP6_SUBNET, ...v6, 48),
  ],
};

/** Attribute payloads near `base`: its attributes edited, another CFG type or identifier, or arbitrary. */
function near(base: AttributePayload): fc.Arbitrary<AttributePayload> {
  return fc.oneof(
    { weight: 4, arbitrary: mutatedAttributes(base.attributes, 4).map((a) => ({ ...base, attributes: a })) },
    fc.record({ cfgType: fc.nat({ max: 6 }), identifier: fc.oneof(fc.constant(base.identifier), fc.nat({ max: 0xffff })), attributes: fc.oneof(mutatedAttributes(base.attributes), attributes(10)) }).map((r) => ({ ...base, ...r })),
    payloadOf(PayloadType.ATTRIBUTE) as fc.Arbitrary<AttributePayload>,
  );
}

/** Transaction plaintexts: one (near-valid) attribute payload mostly, sometimes a mutated or longer chain. */
function transactionPlain(base: AttributePayload): fc.Arbitrary<Plain> {
  return fc.oneof({ weight: 4, arbitrary: near(base).map((p) => plainOf([p])) }, { weight: 1, arbitrary: plainMutations([base], fc.oneof(near(base), anyPayload)) });
}

function checkModeConfig(mc: ReturnType<typeof parseModeConfigReply>): void {
  expect(mc.address).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
  for (const n of [...mc.splitInclude, ...mc.splitExclude]) expect(n.prefixLength).toBeLessThanOrEqual(32);
  if (mc.address6) expect(mc.address6.prefixLength).toBeLessThanOrEqual(128);
  if (mc.ipv6Problem !== undefined) expect(mc.address6).toBeUndefined();
}

describe('fuzz: the client reads XAUTH and mode config', () => {
  const xauthPlain = fc.oneof(transactionPlain(XAUTH_REQUEST), transactionPlain(XAUTH_STATUS), transactionPlain({ ...MODE_CONFIG_REPLY, cfgType: CfgType.SET }));
  target('XauthClient.receive: mutated XAUTH messages, validly sealed', [xauthPlain, messageId], (plain, msgId) => {
    const { sa } = session();
    const xauth = new XauthClient(sa);
    const d = sealFor(sa, { exchangeType: ExchangeType.TRANSACTION, msgId }, plain);
    expect(xauth.accepts(d)).toBe(true);
    const step = outcome(() => xauth.receive(d));
    if (!step.ok) return caseOf(step.error);
    if (step.value.kind === 'ask') {
      for (const f of step.value.request.fields) expect(ALL_FIELDS.has(f)).toBe(true);
      const reply = xauth.answer(ALL_FIELDS);
      expect(decodeHeader(reply).messageId).toBe(msgId);
    } else {
      expect(decodeHeader(step.value.send).messageId).toBe(msgId);
      if (step.value.kind === 'pushed') checkModeConfig(step.value.modeConfig);
    }
    return step.value.kind;
  });

  target('ModeConfigClient.receive: mutated replies, validly sealed', [transactionPlain(MODE_CONFIG_REPLY), fc.boolean()], (plain, ourIdentifier) => {
    const { sa } = session();
    const pull = new ModeConfigClient(sa, { ciscoUdp: true, applicationVersion: 'fuzz', hostname: 'fuzz', ipv6: true }, seeded(`pull/${plain.chain.length}`));
    const attr = ourIdentifier ? withIdentifier(plain, pull.identifier) : plain;
    const d = sealFor(sa, { exchangeType: ExchangeType.TRANSACTION, msgId: pull.msgId }, attr);
    expect(pull.accepts(d)).toBe(true);
    const mc = outcome(() => pull.receive(d));
    if (!mc.ok) return caseOf(mc.error);
    checkModeConfig(mc.value);
    return 'configured';
  });

  const anyAttr = fc.oneof(near(XAUTH_REQUEST), near(XAUTH_STATUS), near(MODE_CONFIG_REPLY));
  target('parseXauthRequest, parseXauthStatus, parseModeConfigReply: arbitrary attribute payloads', [anyAttr, fc.option(fc.nat({ max: 0xffff }), { nil: undefined })], (p, id) => {
    const cases: string[] = [];
    const req = outcome(() => parseXauthRequest(p));
    if (req.ok) expect(req.value.fields.length).toBeLessThanOrEqual(p.attributes.length);
    cases.push(req.ok ? 'request' : 'no request');
    const status = outcome(() => parseXauthStatus(p));
    if (status.ok && status.value !== undefined) expect(p.cfgType).toBe(CfgType.SET);
    const mc = outcome(() => parseModeConfigReply(p, id));
    if (mc.ok) checkModeConfig(mc.value);
    cases.push(mc.ok ? 'config' : 'no config');
    return cases.join(', ');
  });
});

/** The plaintext with its (single) attribute payload's identifier set, when it still decodes as one. */
function withIdentifier(plain: Plain, identifier: number): Plain {
  if (plain.first !== PayloadType.ATTRIBUTE || plain.chain.length < 8) return plain;
  const chain = Buffer.from(plain.chain);
  chain.writeUInt16BE(identifier, 6);
  return { first: plain.first, chain };
}

/** A fresh gateway peer per input, taken to `stage`; the message id and identifier it waits under. */
function peerAt(stage: 'xauth-request' | 'xauth-status' | 'ready'): { h: Handshake; msgId: number; identifier: number } {
  const h = handshake();
  const xauth = new XauthClient(h.sa);
  const asked = xauth.receive(h.first!);
  if (asked.kind !== 'ask') throw new Error('fixture: no XAUTH request');
  if (stage === 'xauth-request') return { h, msgId: decodeHeader(h.first!).messageId, identifier: asked.request.identifier };
  const status = sentOne(h.peer.receive(xauth.answer(ALL_FIELDS)));
  const set = peek(h.sa, status)[1] as AttributePayload;
  if (stage === 'xauth-status') return { h, msgId: decodeHeader(status).messageId, identifier: set.identifier };
  const done = xauth.receive(status);
  if (done.kind !== 'status' || !done.ok) throw new Error('fixture: XAUTH refused');
  h.peer.receive(done.send);
  return { h, msgId: 0x4d4d4d4d, identifier: 3 };
}

describe('fuzz: the gateway reads XAUTH and mode config', () => {
  const reply = (identifier: number): AttributePayload => ({ type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier, attributes: [text(CfgAttribute.XAUTH_USER_NAME, 'u'), text(CfgAttribute.XAUTH_USER_PASSWORD, 'p')] });
  const ack = (identifier: number): AttributePayload => ({ type: PayloadType.ATTRIBUTE, cfgType: CfgType.ACK, identifier, attributes: [tv(CfgAttribute.XAUTH_STATUS, 1)] });
  const request: AttributePayload = {
    type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: 3,
    attributes: [tlv(CfgAttribute.INTERNAL_IP4_ADDRESS), tlv(CfgAttribute.INTERNAL_IP4_DNS), tlv(CfgAttribute.UNITY_SPLIT_INCLUDE), tlv(CfgAttribute.UNITY_NATT_PORT), text(CfgAttribute.UNITY_DDNS_HOSTNAME, 'h'), text(CfgAttribute.APPLICATION_VERSION, 'v')],
  };
  const stages = [
    ['xauth-request', reply(0)],
    ['xauth-status', ack(0)],
    ['ready', request],
  ] as const;
  for (const [stage, base] of stages) {
    target(`GatewayPeer.receive in ${stage}: mutated client messages, validly sealed`, [transactionPlain(base), fc.boolean()], (plain, sameIds) => {
      const { h, msgId, identifier } = peerAt(stage);
      const d = sealFor(h.gatewaySa, { exchangeType: ExchangeType.TRANSACTION, msgId: sameIds ? msgId : (msgId ^ 1) >>> 0 }, sameIds ? withIdentifier(plain, identifier) : plain);
      const actions = h.peer.receive(d);
      expect(actions.every((a) => a.kind === 'send' || a.kind === 'close')).toBe(true);
      if (h.peer.stageName !== stage) expect(actions.length).toBeGreaterThanOrEqual(stage === 'xauth-request' ? 1 : 0);
      return `${stage} -> ${h.peer.stageName}${actions.length ? ` (${actions.map((a) => a.kind).join(', ')})` : ''}`;
    });
  }
});
