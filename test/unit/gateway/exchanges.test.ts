/**
 * The responder exchanges: vpnc's real AM1 answered, and a whole session (aggressive mode, XAUTH, mode config,
 * quick mode, DPD, DELETE) driven through GatewayPeer by a small initiator built from the key schedule, so
 * both ends' keys, hashes and IV chains must agree.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDh } from '../../../src/crypto/dh-groups.js';
import { ProtocolError } from '../../../src/errors.js';
import {
  CfgAttribute, CfgType, Doi, EncapsulationMode, ExchangeType, IdType, IkeAuthMethod, IpsecAttribute, IpsecSituation,
  LifeType, NotifyType, PayloadType, ProtocolId, VendorId, XauthStatus
} from '../../../src/ike/constants.js';
import { natdHash } from '../../../src/ike/exchanges/aggressive-mode.js';
import { IkeSa, type OpenedMessage } from '../../../src/ike/ike-sa.js';
import { derivePhase1Keys, hash3, hashI, hashR, keymat } from '../../../src/ike/keys.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import {
  attributeNumber, encodePayloadBody, findAttribute, stringAttribute, tlvAttribute, tvAttribute,
  u32Attribute, type AttributePayload, type IdPayload, type Payload, type SaPayload
} from '../../../src/ike/payloads/index.js';
import { buildPhase1Sa, selectPhase1Suite } from '../../../src/ike/proposals.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import { AggressiveModeResponder } from '../../../src/gateway/exchanges/aggressive-mode.js';
import { GatewayPeer, type PeerAction } from '../../../src/gateway/peer.js';
import { responderParams } from '../../../src/gateway/phase1-setup.js';
import { formatIpv4, ipv4TextToBytes, parseIpv4 } from '../../../src/wire/ipv4-text.js';
import { copyCookie, randomCookie, spiFromBytes, zeroCookie } from '../../../src/wire/sa-ids.js';

const GW = { address: '198.51.100.1', port: 500 };
const CLIENT = { address: '198.51.100.2', port: 500 };
const CONFIG_TEXT = [
  'Listen 198.51.100.1',
  'Group mygroup',
  'Group secret s',
  'User u p',
  'Pool 192.0.2.10-192.0.2.11',
  'DNS 203.0.113.53',
  'Banner hello',
  'Split include 203.0.113.0/24',
  'Cisco UDP port 10000',
].join('\n');
const config = parseGatewayConfig(CONFIG_TEXT, 'unit.conf');

function vector(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`../../vectors/${name}.hex`, import.meta.url), 'utf8').trim(), 'hex');
}

/** A counter-based "random" source, so cookies and nonces are predictable. */
function counterRandom(seed: number): (n: number) => Buffer {
  let i = seed;
  return (n) => Buffer.alloc(n, (i++ % 250) + 1);
}

describe('AggressiveModeResponder answering vpnc\'s real AM1', () => {
  it('picks psk+xauth aes256-sha1 dh2 and answers SA, KE, Nr, IDir, HASH_R, VIDs, NAT-D(them), NAT-D(us)', () => {
    const am1 = vector('vpnc-am1');
    const r = AggressiveModeResponder.start(am1, responderParams(config, CLIENT, 500, counterRandom(7)));
    const am2 = decodeMessage(r.am2);
    expect(am2.header.exchangeType).toBe(ExchangeType.AGGRESSIVE);
    expect(am2.header.initiatorCookie).toEqual(am1.subarray(0, 8));
    expect(am2.header.responderCookie).toEqual(r.cookieR);
    expect(am2.payloads.map((p) => p.type)).toEqual([
      PayloadType.SA, PayloadType.KE, PayloadType.NONCE, PayloadType.ID, PayloadType.HASH,
      PayloadType.VENDOR_ID, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID,
      PayloadType.NAT_D, PayloadType.NAT_D,
    ]);
    const sa = am2.payloads[0] as SaPayload;
    // What vpnc's client code accepts: one proposal, one KEY_IKE transform we offered in AM1.
    const suite = selectPhase1Suite(sa, { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false });
    expect(suite.name).toBe('psk+xauth-aes256-sha1');
    expect(r.features).toMatchObject({ xauth: true, unity: true, dpd: true, natt: { natdType: PayloadType.NAT_D } });
    const vids = am2.payloads.filter((p) => p.type === PayloadType.VENDOR_ID).map((p) => (p as { data: Buffer }).data);
    expect(vids).toEqual([VendorId.XAUTH, VendorId.CISCO_UNITY, VendorId.DPD, VendorId.NATT_RFC3947]);
    const ke = am2.payloads[1] as { data: Buffer };
    expect(ke.data.length).toBe(128);
    const natd = am2.payloads.slice(-2) as Array<{ hash: Buffer }>;
    expect(natd[0]!.hash).toEqual(natdHash('sha1', r.cookieI, r.cookieR, CLIENT));
    expect(natd[1]!.hash).toEqual(natdHash('sha1', r.cookieI, r.cookieR, GW));
    const id = am2.payloads[3] as IdPayload;
    expect([id.idType, id.protocol, id.port, formatIpv4(id.data.readUInt32BE(0))]).toEqual([IdType.IPV4_ADDR, 17, 500, GW.address]);
  });

  it('sends neither NAT-T VID nor NAT-D to vpnc --natt-mode none, and answers dh14 in kind', () => {
    const none = AggressiveModeResponder.start(vector('vpnc-am1-natt-none'), responderParams(config, CLIENT, 500));
    const types = decodeMessage(none.am2).payloads.map((p) => p.type);
    expect(types).not.toContain(PayloadType.NAT_D);
    expect(none.features.natt.natdType).toBe(0);
    const dh14 = AggressiveModeResponder.start(vector('vpnc-am1-dh14'), responderParams(config, CLIENT, 500));
    const ke = decodeMessage(dh14.am2).payloads[1] as { data: Buffer };
    expect(ke.data.length).toBe(256);
  });

  it('refuses an unknown group with INVALID_ID_INFORMATION', () => {
    const other = parseGatewayConfig(CONFIG_TEXT.replace('Group mygroup', 'Group othergroup'), 'unit.conf');
    expect(() => AggressiveModeResponder.start(vector('vpnc-am1'), responderParams(other, CLIENT, 500))).toThrow(
      expect.objectContaining({ notify: NotifyType.INVALID_ID_INFORMATION, message: expect.stringContaining('unknown group "mygroup"') }),
    );
  });

  it('refuses with NO_PROPOSAL_CHOSEN, listing the offer, when no transform fits', () => {
    const strict = parseGatewayConfig(`${CONFIG_TEXT}\nIKE DH groups dh14`, 'unit.conf');
    let err: unknown;
    try {
      AggressiveModeResponder.start(vector('vpnc-am1'), responderParams(strict, CLIENT, 500));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).notify).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
    expect((err as Error).message).toMatch(/psk\+xauth with aes256-sha1\/aes192-sha1\/aes128-sha1 and dh14\); the client offered: enc 7\/256 hash 2 group 2 auth XAUTHInitPreShared;/);
  });

  it('refuses truncated, non-aggressive and cookie-carrying first messages', () => {
    const am1 = vector('vpnc-am1');
    const params = responderParams(config, CLIENT, 500);
    expect(() => AggressiveModeResponder.start(am1.subarray(0, 40), params)).toThrow(/exceeds datagram/);
    const main = Buffer.from(am1);
    main[18] = ExchangeType.IDENTITY_PROTECTION;
    expect(() => AggressiveModeResponder.start(main, params)).toThrow(expect.objectContaining({ notify: NotifyType.INVALID_EXCHANGE_TYPE }));
    const withCookie = Buffer.from(am1);
    withCookie[8] = 1;
    expect(() => AggressiveModeResponder.start(withCookie, params)).toThrow(expect.objectContaining({ notify: NotifyType.INVALID_COOKIE }));
  });
});

/** The client half, written from RFC 2409 with the shared key schedule: just enough to drive the gateway. */
class TestInitiator {
  readonly cookieI = randomCookie();
  readonly nonceI = randomBytes(20);
  readonly dh = createDh(2);
  readonly sa = buildPhase1Sa({ authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false });
  readonly id: IdPayload = { type: PayloadType.ID, idType: IdType.KEY_ID, protocol: 17, port: 500, data: Buffer.from('mygroup') };
  ike: IkeSa | undefined;
  am3: Buffer | undefined;

  constructor(private readonly psk = 's') {}

  am1(): Buffer {
    const vids = [VendorId.XAUTH, VendorId.CISCO_UNITY, VendorId.NATT_RFC3947, VendorId.DPD].map((data): Payload => ({ type: PayloadType.VENDOR_ID, data }));
    return encodeMessage(
      { initiatorCookie: this.cookieI, responderCookie: zeroCookie(), exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 },
      [this.sa, { type: PayloadType.KE, data: this.dh.publicValue }, { type: PayloadType.NONCE, data: this.nonceI }, this.id, ...vids],
    );
  }

  /** Checks AM2 like a client does and returns AM3 claiming to come from `seenAs` (a NAT rewrites it). */
  receiveAm2(am2: Buffer, seenAs = CLIENT, forgeHashI = false): Buffer {
    const msg = decodeMessage(am2);
    const get = <T extends Payload['type']>(t: T) => msg.payloads.find((p) => p.type === t) as Extract<Payload, { type: T }>;
    const suite = selectPhase1Suite(get(PayloadType.SA), { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false });
    const gxr = get(PayloadType.KE).data;
    const ckyR = msg.header.responderCookie;
    const keys = derivePhase1Keys({
      hash: suite.hash, cipher: suite.cipher, auth: { method: 'psk', psk: Buffer.from(this.psk) }, nonceI: this.nonceI,
      nonceR: get(PayloadType.NONCE).data, gxi: this.dh.publicValue, gxr, gxy: this.dh.computeSecret(gxr), ckyI: this.cookieI, ckyR,
    });
    this.ike = new IkeSa(this.cookieI, copyCookie(ckyR), suite, keys);
    const input = { gxi: this.dh.publicValue, gxr, ckyI: this.cookieI, ckyR, saIb: encodePayloadBody(this.sa) };
    if (this.psk === 's') expect(get(PayloadType.HASH).data).toEqual(hashR(this.ike.prf, keys.skeyid, input, get(PayloadType.ID).raw!));
    this.am3 = this.ike.seal(ExchangeType.AGGRESSIVE, 0, [
      { type: PayloadType.HASH, data: forgeHashI ? Buffer.alloc(20) : hashI(this.ike.prf, keys.skeyid, input, encodePayloadBody(this.id)) },
      { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.INITIAL_CONTACT, spi: this.ike.spi, data: Buffer.alloc(0) },
      { type: PayloadType.NAT_D, hash: natdHash('sha1', this.cookieI, ckyR, GW) },
      { type: PayloadType.NAT_D, hash: natdHash('sha1', this.cookieI, ckyR, seenAs) },
    ]);
    return this.am3;
  }

  /** Opens a gateway message and checks its HASH(1) (or HASH(2) with Ni_b). */
  open(data: Buffer, extra?: Buffer): OpenedMessage {
    const msg = this.ike!.open(data);
    this.ike!.verifyHash(msg, extra);
    return msg;
  }

  transaction(msgId: number, p: AttributePayload): Buffer {
    return this.ike!.sealHashed(ExchangeType.TRANSACTION, msgId, [p]);
  }
}

function sent(actions: PeerAction[]): Buffer {
  expect(actions.map((a) => a.kind)).toEqual(['send']);
  return (actions[0] as { data: Buffer }).data;
}

function attrPayload(msg: OpenedMessage): AttributePayload {
  return msg.payloads[1] as AttributePayload;
}

function newPeer(init: TestInitiator, cfg = config, seenAs = CLIENT): { peer: GatewayPeer; am2: Buffer } {
  let next = parseIpv4('192.0.2.10');
  const am1 = init.am1();
  const responder = AggressiveModeResponder.start(am1, responderParams(cfg, seenAs, 500));
  const peer = new GatewayPeer({ config: cfg, allocateAddress: () => next++ }, responder, am1);
  return { peer, am2: responder.am2 };
}

/** Runs AM3 and XAUTH with `password`; returns the peer and the status the gateway set. */
function throughXauth(password: string): { init: TestInitiator; peer: GatewayPeer; status: number; ackActions: PeerAction[] } {
  const init = new TestInitiator();
  const { peer, am2 } = newPeer(init);
  const xauthRequest = init.open(sent(peer.receive(init.receiveAm2(am2))));
  const req = attrPayload(xauthRequest);
  expect(req.cfgType).toBe(CfgType.REQUEST);
  expect(req.attributes.map((a) => a.type)).toEqual([CfgAttribute.XAUTH_TYPE, CfgAttribute.XAUTH_USER_NAME, CfgAttribute.XAUTH_USER_PASSWORD]);
  const reply: AttributePayload = {
    type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: req.identifier,
    attributes: [tvAttribute(CfgAttribute.XAUTH_TYPE, 0), stringAttribute(CfgAttribute.XAUTH_USER_NAME, 'u'), stringAttribute(CfgAttribute.XAUTH_USER_PASSWORD, password)],
  };
  const setMsg = init.open(sent(peer.receive(init.transaction(xauthRequest.header.messageId, reply))));
  const set = attrPayload(setMsg);
  expect(set.cfgType).toBe(CfgType.SET);
  expect(set.attributes).toHaveLength(1);
  expect(set.attributes[0]!.tv).toBe(true);
  const status = attributeNumber(findAttribute(set.attributes, CfgAttribute.XAUTH_STATUS)!);
  const ackActions = peer.receive(init.transaction(setMsg.header.messageId, { ...set, cfgType: CfgType.ACK }));
  return { init, peer, status, ackActions };
}

function espSa(spi: Buffer, encap: number): SaPayload {
  const proposal = (number: number, keyBits: number, auth: number) => ({
    number, protocol: ProtocolId.IPSEC_ESP, spi,
    transforms: [{ number: 0, id: 12, attributes: [
      tvAttribute(IpsecAttribute.KEY_LENGTH, keyBits), tvAttribute(IpsecAttribute.ENCAPSULATION_MODE, encap),
      tvAttribute(IpsecAttribute.AUTHENTICATION_ALGORITHM, auth), tvAttribute(IpsecAttribute.SA_LIFE_TYPE, LifeType.SECONDS),
      u32Attribute(IpsecAttribute.SA_LIFE_DURATION, 2147483),
    ] }],
  });
  // Preference is the gateway's: aes256-sha1 wins although aes128-md5 comes first.
  return { type: PayloadType.SA, doi: Doi.IPSEC, situation: IpsecSituation.IDENTITY_ONLY, proposals: [proposal(0, 128, 1), proposal(1, 256, 2)] };
}

describe('GatewayPeer: a whole session against a client built from the key schedule', () => {
  it('aggressive mode, XAUTH, mode config, quick mode, DPD, keepalive and DELETE', () => {
    const { init, peer, status, ackActions } = throughXauth('p');
    expect(status).toBe(XauthStatus.OK);
    expect(ackActions).toEqual([]);
    expect(peer.username).toBe('u');
    expect(peer.stageName).toBe('ready');

    // Mode config: the address is always first; PFS and the Cisco port are TVs; the split list is 14-byte entries.
    const request: AttributePayload = {
      type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: 20,
      attributes: [CfgAttribute.INTERNAL_IP4_NETMASK, CfgAttribute.INTERNAL_IP4_DNS, CfgAttribute.UNITY_NATT_PORT, CfgAttribute.UNITY_PFS,
        CfgAttribute.UNITY_BANNER, CfgAttribute.UNITY_SPLIT_INCLUDE, CfgAttribute.UNITY_DEF_DOMAIN].map((t) => tlvAttribute(t)),
    };
    const mcId = 0x1234;
    const mc = init.open(sent(peer.receive(init.transaction(mcId, request))));
    expect(mc.header.messageId).toBe(mcId);
    const reply = attrPayload(mc);
    expect([reply.cfgType, reply.identifier]).toEqual([CfgType.REPLY, 20]);
    expect(reply.attributes.map((a) => [a.type, a.tv, a.value.toString('hex')])).toEqual([
      [CfgAttribute.INTERNAL_IP4_ADDRESS, false, 'c000020a'],
      [CfgAttribute.INTERNAL_IP4_DNS, false, 'cb007135'],
      [CfgAttribute.UNITY_NATT_PORT, true, '2710'],
      [CfgAttribute.UNITY_PFS, true, '0000'],
      [CfgAttribute.UNITY_BANNER, false, Buffer.from('hello').toString('hex')],
      [CfgAttribute.UNITY_SPLIT_INCLUDE, false, 'cb007100ffffff00000000000000'],
    ]);
    expect(peer.ciscoUdp).toBe(true);

    // Quick mode without a NAT: tunnel mode; the gateway echoes its preferred transform with its own SPI.
    const spiI = Buffer.from('c0ffee01', 'hex');
    const nonceQ = randomBytes(20);
    const qmId = 0x51;
    const idci: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 0, port: 0, data: ipv4TextToBytes('192.0.2.10') };
    const idcr: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: Buffer.alloc(8) };
    const qm1 = init.ike!.sealHashed(ExchangeType.QUICK, qmId, [espSa(spiI, EncapsulationMode.TUNNEL), { type: PayloadType.NONCE, data: nonceQ }, idci, idcr]);
    const qm2 = init.open(sent(peer.receive(qm1)), nonceQ);
    const answer = qm2.payloads[1] as SaPayload;
    expect(answer.proposals).toHaveLength(1);
    const t = answer.proposals[0]!.transforms[0]!;
    expect(attributeNumber(findAttribute(t.attributes, IpsecAttribute.KEY_LENGTH)!)).toBe(256);
    const spiR = answer.proposals[0]!.spi;
    expect(spiR.length).toBe(4);
    const nonceR = (qm2.payloads[2] as { data: Buffer }).data;
    const qm3 = init.ike!.seal(ExchangeType.QUICK, qmId, [{ type: PayloadType.HASH, data: hash3(init.ike!.prf, init.ike!.keys.skeyidA, qmId, nonceQ, nonceR) }]);
    const installed = peer.receive(qm3);
    expect(installed.map((a) => a.kind)).toEqual(['install']);
    const keys = (installed[0] as Extract<PeerAction, { kind: 'install' }>).keys;
    expect(keys.spiIn).toBe(spiFromBytes(spiR));
    expect(keys.spiOut).toBe(spiFromBytes(spiI));
    expect(keys.suite.name).toBe('AES-CBC-256/HMAC-SHA1-96');
    // The client's outbound KEYMAT (keyed by the gateway's SPI) is the gateway's inbound one, and vice versa.
    const km = (spi: Buffer) => keymat(init.ike!.prf, init.ike!.keys.skeyidD, { protocol: ProtocolId.IPSEC_ESP, spi, nonceI: nonceQ, nonceR }, keys.suite.keymatLength);
    expect(keys.keymatIn).toEqual(km(spiR));
    expect(keys.keymatOut).toEqual(km(spiI));

    // DPD: R-U-THERE answered with an ACK echoing the sequence number.
    const seq = Buffer.from('0000abcd', 'hex');
    const dpd = init.ike!.sealHashed(ExchangeType.INFORMATIONAL, 0x777, [
      { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.R_U_THERE, spi: init.ike!.spi, data: seq },
    ]);
    const ack = init.open(sent(peer.receive(dpd)));
    expect(ack.payloads[1]).toMatchObject({ messageType: NotifyType.R_U_THERE_ACK, data: seq });

    // vpnc's hash-only IKE keepalive (hash over 0 | M-ID) is accepted silently.
    const kaId = 0x99;
    const kaHash = init.ike!.prf.compute(init.ike!.keys.skeyidA, Buffer.from([0, 0, 0, 0, kaId]));
    expect(peer.receive(init.ike!.seal(ExchangeType.INFORMATIONAL, kaId, [{ type: PayloadType.HASH, data: kaHash }]))).toEqual([]);

    // DELETE of the ESP SAs, then of the ISAKMP SA.
    const delEsp = init.ike!.sealHashed(ExchangeType.INFORMATIONAL, 0x100, [{ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [spiI, spiR] }]);
    expect(peer.receive(delEsp)).toEqual([{ kind: 'delete-esp', spis: [spiI, spiR].map(spiFromBytes) }]);
    const delIsakmp = init.ike!.sealHashed(ExchangeType.INFORMATIONAL, 0x101, [{ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [init.ike!.spi] }]);
    expect(peer.receive(delIsakmp)).toEqual([{ kind: 'close', reason: 'the client deleted the ISAKMP SA' }]);
  });

  it('repeats its last answer to a retransmitted datagram without decrypting it again', () => {
    const init = new TestInitiator();
    const { peer, am2 } = newPeer(init);
    const am3 = init.receiveAm2(am2);
    const first = sent(peer.receive(am3));
    expect(sent(peer.receive(am3))).toEqual(first);
    expect(init.open(first).header.exchangeType).toBe(ExchangeType.TRANSACTION);
  });

  it('a wrong XAUTH password gets status FAIL, and the ACK closes the peer', () => {
    const { status, ackActions, peer } = throughXauth('wrong');
    expect(status).toBe(XauthStatus.FAIL);
    expect(ackActions).toEqual([{ kind: 'close', reason: 'XAUTH refused for "u"' }]);
    expect(peer.stageName).toBe('closed');
  });

  it('a client with another group secret cannot get past AM3 (it does not decrypt)', () => {
    const init = new TestInitiator('not-s');
    const { peer, am2 } = newPeer(init);
    expect(peer.receive(init.receiveAm2(am2))).toEqual([]);
    expect(peer.stageName).toBe('phase1');
  });

  it('an AM3 that decrypts but carries a wrong HASH_I closes the peer', () => {
    const init = new TestInitiator();
    const { peer, am2 } = newPeer(init);
    expect(peer.receive(init.receiveAm2(am2, CLIENT, true))).toEqual([{ kind: 'close', reason: 'authentication failed' }]);
  });

  it('detects the NAT from AM3 and then wants UDP-encapsulated tunnel mode in quick mode', () => {
    const init = new TestInitiator();
    const { peer, am2 } = newPeer(init, config, { address: '198.51.100.7', port: 4500 });
    peer.floated = true;
    sent(peer.receive(init.receiveAm2(am2, { address: '10.0.0.2', port: 500 })));
    expect(peer.encapModes()).toEqual([EncapsulationMode.UDP_TUNNEL, EncapsulationMode.UDP_TUNNEL_DRAFT]);
  });

  it('without XAUTH users it negotiates plain PSK and is ready right after AM3', () => {
    const plain = parseGatewayConfig(CONFIG_TEXT.replace('User u p\n', ''), 'unit.conf');
    const init = new TestInitiator();
    const am1 = init.am1();
    const responder = AggressiveModeResponder.start(am1, responderParams(plain, CLIENT, 500));
    const suite = selectPhase1Suite(decodeMessage(responder.am2).payloads[0] as SaPayload, { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false });
    expect(suite.authMethod).toBe(IkeAuthMethod.PRESHARED_KEY);
    const peer = new GatewayPeer({ config: plain, allocateAddress: () => 1 }, responder, am1);
    expect(peer.receive(init.receiveAm2(responder.am2))).toEqual([]);
    expect(peer.stageName).toBe('ready');
  });

  it('refuses quick mode before mode config and a transaction with a bad hash, keeping the session', () => {
    const { init, peer } = throughXauth('p');
    const qm1 = init.ike!.sealHashed(ExchangeType.QUICK, 0x61, [espSa(Buffer.from('00001000', 'hex'), 1), { type: PayloadType.NONCE, data: randomBytes(20) }]);
    expect(peer.receive(qm1)).toEqual([]);
    const forged = init.ike!.seal(ExchangeType.TRANSACTION, 0x62, [
      { type: PayloadType.HASH, data: Buffer.alloc(20) },
      { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: 1, attributes: [] },
    ]);
    expect(peer.receive(forged)).toEqual([]);
    expect(peer.stageName).toBe('ready');
  });

  it('answers NO_PROPOSAL_CHOSEN (no action, logged) for a tunnel-mode offer from a floated client', () => {
    const { init, peer } = throughXauth('p');
    const mcReq: AttributePayload = { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: 1, attributes: [tlvAttribute(CfgAttribute.INTERNAL_IP4_ADDRESS)] };
    init.open(sent(peer.receive(init.transaction(0x70, mcReq))));
    peer.floated = true;
    const qm1 = init.ike!.sealHashed(ExchangeType.QUICK, 0x71, [espSa(Buffer.from('00001000', 'hex'), EncapsulationMode.TUNNEL), { type: PayloadType.NONCE, data: randomBytes(20) }]);
    expect(peer.receive(qm1)).toEqual([]);
    const ok = init.ike!.sealHashed(ExchangeType.QUICK, 0x72, [espSa(Buffer.from('00001000', 'hex'), EncapsulationMode.UDP_TUNNEL), { type: PayloadType.NONCE, data: randomBytes(20) }]);
    expect(peer.receive(ok).map((a) => a.kind)).toEqual(['send']);
  });
});

describe('GatewayPeer: a token user (passcode, then a new PIN)', () => {
  const tokenConfig = parseGatewayConfig(CONFIG_TEXT.replace('User u p\n', 'Token user u 123456 4321\n'), 'unit.conf');
  /** AM3, then the passcode round; returns what the gateway sent next. */
  function passcode(code: string) {
    const init = new TestInitiator();
    const { peer, am2 } = newPeer(init, tokenConfig);
    const first = init.open(sent(peer.receive(init.receiveAm2(am2))));
    const req = attrPayload(first);
    expect(req.attributes.map((a) => a.type)).toEqual([CfgAttribute.XAUTH_TYPE, CfgAttribute.XAUTH_USER_NAME, CfgAttribute.XAUTH_PASSCODE]);
    const reply: AttributePayload = {
      type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: req.identifier,
      attributes: [stringAttribute(CfgAttribute.XAUTH_USER_NAME, 'u'), stringAttribute(CfgAttribute.XAUTH_PASSCODE, code)],
    };
    return { init, peer, next: init.open(sent(peer.receive(init.transaction(first.header.messageId, reply)))) };
  }
  const statusOf = (m: OpenedMessage) => attributeNumber(findAttribute(attrPayload(m).attributes, CfgAttribute.XAUTH_STATUS)!);

  it('the right passcode brings the next-PIN request with its message; the right PIN the status OK', () => {
    const { init, peer, next } = passcode('123456');
    const pinRequest = attrPayload(next);
    expect(pinRequest.cfgType).toBe(CfgType.REQUEST);
    expect(pinRequest.attributes.map((a) => a.type)).toEqual([CfgAttribute.XAUTH_TYPE, CfgAttribute.XAUTH_MESSAGE, CfgAttribute.XAUTH_NEXT_PIN]);
    expect(findAttribute(pinRequest.attributes, CfgAttribute.XAUTH_MESSAGE)!.value.toString()).toBe('Enter a new PIN');
    const pin: AttributePayload = { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: pinRequest.identifier, attributes: [stringAttribute(CfgAttribute.XAUTH_NEXT_PIN, '4321')] };
    const set = init.open(sent(peer.receive(init.transaction(next.header.messageId, pin))));
    expect(statusOf(set)).toBe(XauthStatus.OK);
  });

  it('a wrong passcode gets FAIL at once; a wrong PIN gets FAIL; a reply without the PIN is refused and the PIN still awaited', () => {
    expect(statusOf(passcode('000000').next)).toBe(XauthStatus.FAIL);
    const a = passcode('123456');
    const id = attrPayload(a.next).identifier;
    const wrong: AttributePayload = { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: id, attributes: [stringAttribute(CfgAttribute.XAUTH_NEXT_PIN, '9999')] };
    expect(statusOf(a.init.open(sent(a.peer.receive(a.init.transaction(a.next.header.messageId, wrong)))))).toBe(XauthStatus.FAIL);
    const b = passcode('123456');
    const empty: AttributePayload = { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: id, attributes: [stringAttribute(CfgAttribute.XAUTH_USER_NAME, 'u')] };
    // Refused (nothing sent), the peer still waits for the PIN.
    expect(b.peer.receive(b.init.transaction(b.next.header.messageId, empty))).toEqual([]);
    expect(b.peer.stageName).toBe('xauth-request');
  });
});
