/**
 * Quick mode (QM1 -> QM2 with HASH(2) -> QM3 with HASH(3)) and informational messages against the test
 * responder: both sides derive the same KEYMAT, and every way QM2 can be wrong is refused.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { ExchangeType, IdType, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { buildDeleteAll, buildDeleteEsp, buildDeleteIsakmp, buildDpd, buildEmptyInformational, parseInformational } from '../../../src/ike/exchanges/informational.js';
import { espChoices, QuickModeInitiator, type QuickModeParams } from '../../../src/ike/exchanges/quick-mode.js';
import { AuthAlgorithm, EncapsulationMode, EspTransformId, IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { attributeNumber, tvAttribute, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';
import { hash1 } from '../../../src/ike/keys.js';
import { establish, type Established } from './established.js';
import { spiFromBytes, spiFromNumber, spiToBytes } from '../../../src/wire/sa-ids.js';

const SPI_IN = spiFromNumber(0x0a0b0c0d);
const SPI_IN_BYTES = spiToBytes(SPI_IN);

function quickMode(e: Established, over: Partial<QuickModeParams> = {}): QuickModeInitiator {
  return new QuickModeInitiator({
    sa: e.result.sa,
    msgId: 0x5151,
    spiIn: SPI_IN,
    pfsGroup: 0,
    encapMode: EncapsulationMode.TUNNEL,
    localAddress: '192.0.2.10',
    remote: { address: '203.0.113.0', prefixLength: 24 },
    policy: { weakEncryption: false, weakAuthentication: false, noEncryption: false },
    ...over,
  });
}

type Qm2Options = Parameters<Established['resp']['answerQm1']>[1];

/** Runs QM1 -> QM2 and returns what the initiator's receive() throws. */
function qm2Error(o: Qm2Options, over: Partial<QuickModeParams> = {}): ProtocolError {
  const e = establish();
  const qm = quickMode(e, over);
  const qm2 = e.resp.answerQm1(qm.start(), o);
  try {
    qm.receive(e.result.sa.open(qm2));
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('nothing was thrown');
}

const attr = (t: Transform, type: number) => {
  const a = t.attributes.find((x) => x.type === type);
  return a ? attributeNumber(a) : undefined;
};
const withAttr = (t: Transform, type: number, value: number): Transform => ({ ...t, attributes: [...t.attributes.filter((a) => a.type !== type), tvAttribute(type, value)] });
const first = (sa: SaPayload) => sa.proposals[0]!.transforms[0]!;

describe('ESP proposals', () => {
  it('AES-CBC 256/192/128 x HMAC-SHA1/SHA2-256, then AES-GCM 256/128; weak and null ones only on request', () => {
    const base = espChoices({ weakEncryption: false, weakAuthentication: false, noEncryption: false });
    expect(base.map((c) => `${c.transformId}/${c.keyBits}/${c.auth}`)).toEqual(['12/256/2', '12/256/5', '12/192/2', '12/192/5', '12/128/2', '12/128/5', '20/256/0', '20/128/0']);
    const all = espChoices({ weakEncryption: true, weakAuthentication: true, noEncryption: true });
    expect(all).toHaveLength(9 + 2 + 3 + 3);
    expect(all.filter((c) => c.transformId === EspTransformId['3DES']).every((c) => c.weak)).toBe(true);
    expect(all.filter((c) => c.nullCipher).map((c) => c.auth)).toEqual([AuthAlgorithm.HMAC_SHA, AuthAlgorithm.HMAC_SHA2_256, AuthAlgorithm.HMAC_MD5]);
  });

  it('QM1 holds HASH(1), one ESP proposal per choice with our SPI, Ni, IDci and IDcr, and is resent unchanged', () => {
    const e = establish();
    const qm = quickMode(e, { remote: { address: '0.0.0.0', prefixLength: 0 } });
    const qm1 = qm.start();
    expect(qm.start()).toBe(qm1);
    const m = e.resp.open(qm1);
    const rest = e.resp.verify(m);
    expect(m.header).toMatchObject({ exchangeType: ExchangeType.QUICK, messageId: 0x5151 });
    expect(rest.map((p) => p.type)).toEqual([PayloadType.SA, PayloadType.NONCE, PayloadType.ID, PayloadType.ID]);
    const sa = rest[0] as SaPayload;
    expect(sa.proposals.map((p) => [p.number, p.protocol, p.spi.toString('hex'), p.transforms.length])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, ProtocolId.IPSEC_ESP, '0a0b0c0d', 1]),
    );
    expect(attr(sa.proposals[0]!.transforms[0]!, IpsecAttribute.ENCAPSULATION_MODE)).toBe(EncapsulationMode.TUNNEL);
    expect(attr(sa.proposals[0]!.transforms[0]!, IpsecAttribute.GROUP_DESCRIPTION)).toBeUndefined();
    expect(rest[2]).toMatchObject({ idType: IdType.IPV4_ADDR, data: Buffer.from([192, 0, 2, 10]) });
    expect(rest[3]).toMatchObject({ idType: IdType.IPV4_ADDR_SUBNET, data: Buffer.alloc(8) });
  });
});

describe('quick mode against the test responder', () => {
  it('no PFS, tunnel mode: QM3 carries HASH(3) and both sides derive the same KEYMAT', () => {
    const e = establish();
    const qm = quickMode(e);
    const r = qm.receive(e.result.sa.open(e.resp.answerQm1(qm.start())));
    e.resp.readQm3(r.qm3);
    expect(r.suite.name).toBe('AES-CBC-256/HMAC-SHA1-96');
    expect(r.spiOut).toBe(spiFromBytes(e.resp.qm.spiR));
    expect(r.spiIn).toEqual(SPI_IN);
    expect(r.keymatIn).toEqual(e.resp.keymat(SPI_IN_BYTES, 52));
    expect(r.keymatOut).toEqual(e.resp.keymat(e.resp.qm.spiR, 52));
    expect(r.keymatIn).not.toEqual(r.keymatOut);
    expect([r.lifetimeSeconds, r.lifetimeKilobytes]).toEqual([2147483, 0]);
    expect(e.result.sa.ivs.has(0x5151)).toBe(false);
  });

  it('PFS dh14 with RFC UDP tunnel mode and AES-GCM: the KEYMAT includes g(qm)^xy; RESPONDER-LIFETIME overrides', () => {
    const e = establish();
    const qm = quickMode(e, { pfsGroup: 14, encapMode: EncapsulationMode.UDP_TUNNEL });
    const data = Buffer.from('800100010002000400000e10', 'hex'); // seconds, 3600
    const lifetime: Payload = { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.IPSEC_ESP, messageType: NotifyType.RESPONDER_LIFETIME, spi: Buffer.alloc(4), data };
    const qm2 = e.resp.answerQm1(qm.start(), { pick: (sa) => sa.proposals[6]!.transforms[0]!, edit: (p) => [...p, lifetime] });
    const r = qm.receive(e.result.sa.open(qm2));
    e.resp.readQm3(r.qm3);
    expect(e.resp.qm.gxy).toBeDefined();
    expect(r.suite.name).toBe('AES-GCM-16-256');
    expect(r.keymatOut).toEqual(e.resp.keymat(e.resp.qm.spiR, 36));
    expect(r.keymatIn).toEqual(e.resp.keymat(SPI_IN_BYTES, 36));
    expect(r.lifetimeSeconds).toBe(3600);
  });

  it('draft UDP tunnel mode is proposed and accepted as such', () => {
    const e = establish();
    const qm = quickMode(e, { encapMode: EncapsulationMode.UDP_TUNNEL_DRAFT });
    const r = qm.receive(e.result.sa.open(e.resp.answerQm1(qm.start(), { pick: (sa) => sa.proposals[1]!.transforms[0]! })));
    expect(r.suite.name).toBe('AES-CBC-256/HMAC-SHA2-256-128');
    e.resp.readQm3(r.qm3);
  });
});

describe('QM2 refused', () => {
  it('a tampered HASH(2)', () => {
    const err = qm2Error({ hash2Of: () => Buffer.alloc(20, 7) });
    expect([err.message, err.notify]).toEqual(['HASH payload does not match: message not authentic', NotifyType.INVALID_HASH_INFORMATION]);
  });

  it('HASH(2) computed without Ni_b (as a plain HASH(1))', () => {
    const e = establish();
    const qm = quickMode(e);
    const qm2 = e.resp.answerQm1(qm.start(), { hash2Of: (rest) => hash1(e.resp.prf, e.resp.keys.skeyidA, 0x5151, rest) });
    expect(() => qm.receive(e.result.sa.open(qm2))).toThrow(new ProtocolError('HASH payload does not match: message not authentic', NotifyType.INVALID_HASH_INFORMATION));
  });

  it.each([
    ['another encapsulation mode', { pick: (sa: SaPayload) => withAttr(first(sa), IpsecAttribute.ENCAPSULATION_MODE, EncapsulationMode.UDP_TUNNEL) }, {}, 'gateway chose encapsulation mode 3, proposed 1', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['a PFS group not proposed', { pick: (sa: SaPayload) => withAttr(first(sa), IpsecAttribute.GROUP_DESCRIPTION, 2) }, {}, 'gateway chose PFS group 2, proposed 0', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['another PFS group', { pick: (sa: SaPayload) => withAttr(first(sa), IpsecAttribute.GROUP_DESCRIPTION, 19) }, { pfsGroup: 14 }, 'gateway chose PFS group 19, proposed 14', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['a transform not proposed (3DES)', { pick: (sa: SaPayload) => ({ ...first(sa), id: EspTransformId['3DES'], attributes: first(sa).attributes.filter((a) => a.type !== IpsecAttribute.KEY_LENGTH) }) }, {}, 'gateway chose ESP transform 3/-/auth 2, which was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
    ['HMAC-MD5 without the flag', { pick: (sa: SaPayload) => withAttr(first(sa), IpsecAttribute.AUTHENTICATION_ALGORITHM, AuthAlgorithm.HMAC_MD5) }, {}, 'gateway chose ESP transform 12/256/auth 1, which was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
  ] as Array<[string, Qm2Options, Partial<QuickModeParams>, string, number]>)('%s', (_, o, over, message, notify) => {
    const err = qm2Error(o, over);
    expect([err.message, err.notify]).toEqual([message, notify]);
  });

  const editSa = (f: (sa: SaPayload) => SaPayload) => (p: Payload[]) => p.map((x) => (x.type === PayloadType.SA ? f(x) : x));
  it.each([
    ['no nonce', (p: Payload[]) => p.filter((x) => x.type !== PayloadType.NONCE), 'quick mode response lacks SA or nonce', NotifyType.PAYLOAD_MALFORMED],
    ['no SA', (p: Payload[]) => p.filter((x) => x.type !== PayloadType.SA), 'quick mode response lacks SA or nonce', NotifyType.PAYLOAD_MALFORMED],
    ['two proposals', editSa((sa) => ({ ...sa, proposals: [sa.proposals[0]!, { ...sa.proposals[0]!, number: 2 }] })), 'quick mode response must hold one proposal with one transform', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['an AH proposal', editSa((sa) => ({ ...sa, proposals: [{ ...sa.proposals[0]!, protocol: ProtocolId.IPSEC_AH }] })), 'gateway chose protocol 2, not ESP', NotifyType.INVALID_PROTOCOL_ID],
    ['an 8-byte SPI', editSa((sa) => ({ ...sa, proposals: [{ ...sa.proposals[0]!, spi: Buffer.alloc(8, 1) }] })), "gateway's SPI has 8 bytes, not 4", NotifyType.INVALID_SPI],
  ])('%s', (_, edit, message, notify) => {
    const err = qm2Error({ edit });
    expect([err.message, err.notify]).toEqual([message, notify]);
  });

  const editIds = (ours: number[], theirs: number[]) => (p: Payload[]) => [
    ...p.filter((x) => x.type !== PayloadType.ID),
    { type: PayloadType.ID, idType: ours.length === 4 ? IdType.IPV4_ADDR : IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: Buffer.from(ours) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: Buffer.from(theirs) },
  ] as Payload[];
  it.each([
    ['another address for our side', editIds([192, 0, 2, 99], [203, 0, 113, 0, 255, 255, 255, 0]), "quick mode ID for the client's side is 192.0.2.99, not the client's address 192.0.2.10"],
    ['a wider network for the gateway\'s side', editIds([192, 0, 2, 10], [203, 0, 0, 0, 255, 255, 0, 0]), "quick mode ID for the gateway's side is 203.0.0.0-203.0.255.255, outside the target network 203.0.113.0-203.0.113.255"],
  ])('QM2 IDs: %s is refused', (_, edit, message) => {
    const err = qm2Error({ edit });
    expect([err.message, err.notify]).toEqual([message, NotifyType.INVALID_ID_INFORMATION]);
  });

  it('QM2 IDs: a narrowed network for the gateway\'s side is accepted', () => {
    const e = establish();
    const qm = quickMode(e);
    const qm2 = e.resp.answerQm1(qm.start(), { edit: editIds([192, 0, 2, 10], [203, 0, 113, 64, 255, 255, 255, 192]) });
    expect(qm.receive(e.result.sa.open(qm2)).spiIn).toEqual(SPI_IN);
  });

  it('PFS proposed and accepted but no KE sent', () => {
    const err = qm2Error({ edit: (p) => p.filter((x) => x.type !== PayloadType.KE) }, { pfsGroup: 14 });
    expect([err.message, err.notify]).toEqual(['PFS was proposed but the gateway sent no KE', NotifyType.PAYLOAD_MALFORMED]);
  });

  it('an informational refusal, or a quick mode under another message id', () => {
    const e = establish();
    const qm = quickMode(e);
    qm.start();
    const refusal = e.resp.seal(ExchangeType.INFORMATIONAL, 77, [{ type: PayloadType.NOTIFICATION, doi: 1, protocol: 3, messageType: NotifyType.NO_PROPOSAL_CHOSEN, spi: Buffer.alloc(4), data: Buffer.alloc(0) }]);
    expect(() => qm.receive(e.result.sa.open(refusal))).toThrow(new ProtocolError('gateway refused quick mode: NO_PROPOSAL_CHOSEN'));
    const other = e.resp.seal(ExchangeType.QUICK, 0x5152, [{ type: PayloadType.NONCE, data: Buffer.alloc(16) }]);
    expect(() => qm.receive(e.result.sa.open(other))).toThrow('unexpected message instead of quick mode response');
  });
});

describe('informational messages', () => {
  it('DPD, DELETE and the empty keepalive are protected with HASH(1) and leave the IV chains alone', () => {
    const e = establish();
    const { sa } = e.result;
    const before = sa.ivs.phase1Iv;
    const read = (d: Buffer) => {
      const m = e.resp.open(d);
      expect(m.header.exchangeType).toBe(ExchangeType.INFORMATIONAL);
      return e.resp.verify(m);
    };
    expect(read(buildDpd(sa, 0x10, false, 0xdeadbeef))).toEqual([
      { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.ISAKMP, messageType: NotifyType.R_U_THERE, spi: sa.spi, data: Buffer.from('deadbeef', 'hex') },
    ]);
    expect(read(buildDpd(sa, 0x11, true, 7))[0]).toMatchObject({ messageType: NotifyType.R_U_THERE_ACK, data: Buffer.from('00000007', 'hex') });
    const spis = [SPI_IN, spiFromNumber(0x01020304)];
    expect(read(buildDeleteEsp(sa, 0x12, spis))).toEqual([{ type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: spis.map(spiToBytes) }]);
    expect(read(buildDeleteIsakmp(sa, 0x13))).toEqual([{ type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] }]);
    expect(read(buildEmptyInformational(sa, 0x14))).toEqual([]);
    expect(read(buildDeleteAll(sa, 0x15, [SPI_IN]))).toEqual([
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [SPI_IN_BYTES] },
    ]);
    expect(sa.ivs.phase1Iv).toEqual(before);
    // The gateway's informational messages do not move our chain either: quick mode still works after them.
    const dpd = sa.open(e.resp.seal(ExchangeType.INFORMATIONAL, 0x20, [{ type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: NotifyType.R_U_THERE, spi: sa.spi, data: Buffer.from('00000005', 'hex') }]));
    sa.verifyHash(dpd);
    expect(parseInformational(dpd)).toEqual([{ kind: 'r-u-there', seq: 5 }]);
    const qm = quickMode(e);
    e.resp.readQm3(qm.receive(sa.open(e.resp.answerQm1(qm.start()))).qm3);
  });

  it('parseInformational lists deletes, load balance, acks and other notifies', () => {
    const e = establish();
    const { sa } = e.result;
    const n = (messageType: number, data: Buffer, protocol = 1): Payload => ({ type: PayloadType.NOTIFICATION, doi: 1, protocol, messageType, spi: sa.spi, data });
    const msg = sa.open(e.resp.seal(ExchangeType.INFORMATIONAL, 0x30, [
      n(NotifyType.R_U_THERE_ACK, Buffer.from('00000009', 'hex')),
      n(NotifyType.CISCO_LOAD_BALANCE, Buffer.from([198, 51, 100, 2])),
      n(NotifyType.R_U_THERE, Buffer.from('0102', 'hex')),
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [SPI_IN_BYTES] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_AH, spiSize: 4, spis: [SPI_IN_BYTES] },
    ]));
    sa.verifyHash(msg);
    expect(parseInformational(msg)).toEqual([
      { kind: 'r-u-there-ack', seq: 9 },
      { kind: 'load-balance', address: '198.51.100.2' },
      { kind: 'notify', messageType: NotifyType.R_U_THERE, protocol: 1, data: Buffer.from('0102', 'hex') },
      { kind: 'delete-esp', spis: [SPI_IN] },
      { kind: 'delete-isakmp' },
    ]);
  });

  it('an ISAKMP DELETE is listed last, after the ESP DELETEs of the same message (buildDeleteAll puts it first)', () => {
    const e = establish();
    const { sa } = e.result;
    const msg = sa.open(e.resp.seal(ExchangeType.INFORMATIONAL, 0x32, [
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [SPI_IN_BYTES] },
    ]));
    sa.verifyHash(msg);
    expect(parseInformational(msg).map((ev) => ev.kind)).toEqual(['delete-esp', 'delete-isakmp']);
  });

  it('a DELETE with the wrong SPI size is a protocol error; the rest of the message is still read', () => {
    const e = establish();
    const { sa } = e.result;
    const msg = sa.open(e.resp.seal(ExchangeType.INFORMATIONAL, 0x31, [
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 2, spis: [Buffer.from('abcd', 'hex')] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [SPI_IN_BYTES] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 8, spis: [sa.spi.subarray(0, 8)] },
      { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] },
    ]));
    sa.verifyHash(msg);
    const events = parseInformational(msg);
    expect(events.map((ev) => ev.kind)).toEqual(['malformed', 'delete-esp', 'malformed', 'delete-isakmp']);
    const [esp, , isakmp] = events;
    expect(esp?.kind === 'malformed' && esp.error).toMatchObject({ code: 'VPNC_ERR_PROTOCOL', notify: NotifyType.INVALID_SPI, message: 'DELETE for ESP with SPI size 2 (must be 4): ignored' });
    expect(isakmp?.kind === 'malformed' && isakmp.error.message).toBe('DELETE for ISAKMP with SPI size 8 (must be 16): ignored');
    expect(events[1]).toEqual({ kind: 'delete-esp', spis: [SPI_IN] });
  });
});
