/**
 * Aggressive mode, initiator side, against the independent test responder: AM1's contents, AM2 -> AM3
 * (HASH_I, INITIAL-CONTACT, NAT-D) for several suites, NAT detection, and every way AM2 can be refused.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, ProtocolError } from '../../../src/errors.js';
import { Doi, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId, VendorId } from '../../../src/ike/constants.js';
import { natdHash } from '../../../src/ike/exchanges/aggressive-mode.js';
import { IkeAttribute, IkeAuthMethod } from '../../../src/ike/ike-attributes.js';
import { IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import { attributeNumber, encodeAttributes, tvAttribute, u32Attribute, type DataAttribute, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';
import { Writer } from '../../../src/wire/writer.js';
import { FakeResponder, natd, type Am2Options } from './fake-responder.js';
import { establish, initiator, LOCAL, POLICY, PSK, REMOTE } from './established.js';
import { thrown } from '../../helpers/thrown.js';
import { copyCookie, zeroCookie } from '../../../src/wire/sa-ids.js';

const num = (t: Transform, type: number) => attributeNumber(t.attributes.find((a) => a.type === type)!);
/** Picks the offered transform with this cipher id, key length and hash id. */
const pick = (enc: number, bits: number, hashId: number) => (offered: readonly Transform[]) =>
  offered.find((t) => num(t, IkeAttribute.ENCRYPTION_ALGORITHM) === enc && (bits === 0 || num(t, IkeAttribute.KEY_LENGTH) === bits) && num(t, IkeAttribute.HASH_ALGORITHM) === hashId)!;
/** The first offered transform with one attribute replaced (or added). */
const tweak = (type: number, value: number) => (offered: readonly Transform[]): Transform => ({
  ...offered[0]!,
  attributes: [...offered[0]!.attributes.filter((a) => a.type !== type), tvAttribute(type, value)],
});

/** Runs AM1 -> AM2 and returns what receive() throws. */
function am2Error(am2: Am2Options = {}, over: Parameters<typeof initiator>[0] = {}): Error {
  const init = initiator(over);
  const resp = new FakeResponder(PSK);
  const d = resp.answerAm1(init.start(), am2);
  return thrown(() => init.receive(d, LOCAL, REMOTE));
}

describe('AM1', () => {
  it('offers one ISAKMP proposal of (XAUTH-PSK, PSK) x (AES-256/192/128) x (SHA1, SHA2-256/384/512) with the one group, and is resent unchanged', () => {
    const init = initiator();
    const am1 = init.start();
    expect(init.start()).toBe(am1);
    const { header, payloads } = decodeMessage(am1);
    expect(header).toMatchObject({ exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0, initiatorCookie: init.cookieI });
    expect(header.responderCookie.equals(Buffer.alloc(8))).toBe(true);
    expect(payloads.map((p) => p.type)).toEqual([1, 4, 10, 5, 13, 13, 13, 13, 13, 13, 13, 13, 13]);
    const sa = payloads[0] as SaPayload;
    expect(sa.proposals).toHaveLength(1);
    const ts = sa.proposals[0]!.transforms;
    expect(ts).toHaveLength(2 * 3 * 4);
    expect(ts.map((t) => t.number)).toEqual(ts.map((_, i) => i));
    expect(ts.every((t) => num(t, IkeAttribute.GROUP_DESCRIPTION) === 14 && num(t, IkeAttribute.LIFE_DURATION) === 2147483)).toBe(true);
    expect(num(ts[0]!, IkeAttribute.AUTHENTICATION_METHOD)).toBe(IkeAuthMethod.XAUTHInitPreShared);
    expect(num(ts[12]!, IkeAttribute.AUTHENTICATION_METHOD)).toBe(IkeAuthMethod.PRESHARED_KEY);
    expect(payloads[3]).toMatchObject({ idType: IdType.KEY_ID, protocol: 17, port: 500, data: Buffer.from('vpngroup') });
    const vids = payloads.slice(4).map((p) => (p as { data: Buffer }).data);
    expect(vids[0]).toEqual(VendorId.XAUTH);
    expect(vids[1]).toEqual(VendorId.CISCO_UNITY);
    expect(vids[2]).toEqual(VendorId.NATT_RFC3947);
    expect(vids[8]).toEqual(VendorId.DPD);
  });

  it('sends no NAT-T vendor IDs in mode none and no DPD vendor ID without dpd; USER_FQDN for netscreen', () => {
    const { payloads } = decodeMessage(initiator({ nattMode: 'none', dpd: false, idType: IdType.USER_FQDN }).start());
    expect(payloads.filter((p) => p.type === PayloadType.VENDOR_ID).map((p) => (p as { data: Buffer }).data)).toEqual([VendorId.XAUTH, VendorId.CISCO_UNITY]);
    expect(payloads[3]).toMatchObject({ idType: IdType.USER_FQDN });
  });

  it('refuses a DH group it cannot compute', () => {
    const err = thrown(() => initiator({ policy: { ...POLICY, dhGroup: 3 } }));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.message).toBe('unsupported DH group 3');
  });
});

describe('AM2 -> AM3 with the test responder', () => {
  it.each([
    { name: 'psk+xauth-aes256-sha1', group: 2, am2: {}, weak: false },
    { name: 'psk+xauth-aes128-sha256', group: 19, am2: { transform: pick(7, 128, 4) }, weak: false },
    { name: 'psk+xauth-aes192-sha512', group: 14, am2: { transform: pick(7, 192, 6) }, weak: false },
    { name: 'psk+xauth-3des-md5', group: 14, am2: { transform: pick(5, 0, 1) }, weak: true },
  ])('$name (dh$group): both sides derive the same keys and AM3 carries a valid HASH_I', ({ name, group, am2, weak }) => {
    const policy = { ...POLICY, dhGroup: group, weakEncryption: weak, weakAuthentication: weak };
    const { result, resp, am3 } = establish({ policy }, am2);
    expect(result.sa.suite.name).toBe(name);
    expect(result.sa.suite.group).toBe(group);
    expect(result.sa.suite.lifetimeSeconds).toBe(2147483);
    expect(result.sa.keys).toEqual(resp.keys);
    expect(result.sa.cookieR).toEqual(resp.ckyR);
    expect(am3.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.NOTIFICATION, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID]);
    expect(am3[1]).toEqual({
      type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.INITIAL_CONTACT,
      spi: Buffer.concat([result.sa.cookieI, resp.ckyR]), data: Buffer.alloc(0),
    });
    expect(am3.slice(2)).toEqual([{ type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNKNOWN }, { type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNITY }]);
    expect(result.nat).toEqual({ natdType: 0, localBehindNat: false, remoteBehindNat: false });
    expect(result.espLifetime).toBeUndefined();
  });

  it('leaves INITIAL-CONTACT out when asked (rekey)', () => {
    const { am3 } = establish({ initialContact: false });
    expect(am3.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID]);
  });

  it('learns XAUTH, DPD, Unity and the best NAT-T version from the vendor IDs', () => {
    const vendorIds = [VendorId.XAUTH, VendorId.DPD, VendorId.CISCO_UNITY, VendorId.NATT_DRAFT_01, VendorId.NATT_RFC3947, Buffer.from('other')];
    expect(establish({}, { vendorIds }).result.peer).toEqual({ xauth: true, dpd: true, unity: true, nattVersion: 2, vendorIds });
    expect(establish({}, { vendorIds: [VendorId.NATT_DRAFT_00, VendorId.NATT_DRAFT_01] }).result.peer.nattVersion).toBe(1);
    expect(establish({}, { vendorIds: [VendorId.NATT_DRAFT_00] }).result.peer).toMatchObject({ xauth: false, dpd: false, unity: false, nattVersion: 0 });
  });

  it('reads an ESP RESPONDER-LIFETIME notify', () => {
    const data = Buffer.concat([
      encodeAttrs([tvAttribute(IpsecAttribute.SA_LIFE_TYPE, 1), u32Attribute(IpsecAttribute.SA_LIFE_DURATION, 28800)]),
      encodeAttrs([tvAttribute(IpsecAttribute.SA_LIFE_TYPE, 2), u32Attribute(IpsecAttribute.SA_LIFE_DURATION, 4608000)]),
    ]);
    const edit = (p: Payload[]): Payload[] => [...p, { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.IPSEC_ESP, messageType: NotifyType.RESPONDER_LIFETIME, spi: Buffer.alloc(4), data }];
    expect(establish({}, { edit }).result.espLifetime).toEqual({ seconds: 28800, kilobytes: 4608000 });
  });

  it('reads the ISAKMP SA lifetime from an ISAKMP RESPONDER-LIFETIME notify, else from the chosen transform', () => {
    const data = encodeAttrs([tvAttribute(IkeAttribute.LIFE_TYPE, 1), u32Attribute(IkeAttribute.LIFE_DURATION, 86400)]);
    const edit = (p: Payload[]): Payload[] => [...p, { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.ISAKMP, messageType: NotifyType.RESPONDER_LIFETIME, spi: Buffer.alloc(16), data }];
    expect(establish({}, { edit }).result.ikeLifetimeSeconds).toBe(86400);
    // Without the notify: the transform the gateway echoed (our proposal's 2147483 s).
    expect(establish().result.ikeLifetimeSeconds).toBe(2147483);
  });
});

function encodeAttrs(attrs: DataAttribute[]): Buffer {
  const w = new Writer();
  encodeAttributes(w, attrs);
  return w.finish();
}

describe('NAT detection (RFC 3947 NAT-D)', () => {
  const seen = { address: '203.0.113.7', port: 41000 };

  it('natdHash is hash(CKY-I | CKY-R | IP | port) with the negotiated hash', () => {
    const ci = copyCookie(Buffer.from('0102030405060708', 'hex'));
    const cr = copyCookie(Buffer.from('1112131415161718', 'hex'));
    expect(natdHash('sha1', ci, cr, REMOTE)).toEqual(natd('sha1', ci, cr, REMOTE));
    expect(natdHash('sha256', ci, cr, LOCAL)).toEqual(natd('sha256', ci, cr, LOCAL));
    expect(natdHash('sha1', ci, cr, LOCAL)).not.toEqual(natdHash('sha1', ci, cr, { ...LOCAL, port: 4500 }));
  });

  it('no NAT: both hashes match; AM3 answers with the gateway hash first, then ours', () => {
    const { result, resp, am3 } = establish({}, { natd: { type: 20, initiator: LOCAL, responder: REMOTE } });
    expect(result.nat).toEqual({ natdType: 20, localBehindNat: false, remoteBehindNat: false });
    expect(am3.slice(4)).toEqual([
      { type: PayloadType.NAT_D, hash: natd('sha1', resp.ckyI, resp.ckyR, REMOTE) },
      { type: PayloadType.NAT_D, hash: natd('sha1', resp.ckyI, resp.ckyR, LOCAL) },
    ]);
  });

  it('we are behind a NAT when the gateway saw another address; the draft payload number is echoed', () => {
    const { result, resp, am3 } = establish({}, { natd: { type: 130, initiator: seen, responder: REMOTE } });
    expect(result.nat).toEqual({ natdType: 130, localBehindNat: true, remoteBehindNat: false });
    expect(am3.slice(4)).toEqual([
      { type: PayloadType.NAT_D_DRAFT, hash: natd('sha1', resp.ckyI, resp.ckyR, REMOTE) },
      { type: PayloadType.NAT_D_DRAFT, hash: natd('sha1', resp.ckyI, resp.ckyR, LOCAL) },
    ]);
  });

  it('the gateway is behind a NAT when none of its own hashes matches the address we sent to', () => {
    const { result } = establish({}, { natd: { type: 20, initiator: LOCAL, responder: { address: '10.0.0.1', port: 500 } } });
    expect(result.nat).toEqual({ natdType: 20, localBehindNat: false, remoteBehindNat: true });
  });

  it('force-natt claims a NAT and flips one bit of our own NAT-D so the gateway sees one too', () => {
    const { result, resp, am3 } = establish({ nattMode: 'force-natt' }, { natd: { type: 20, initiator: LOCAL, responder: REMOTE } });
    expect(result.nat).toEqual({ natdType: 20, localBehindNat: true, remoteBehindNat: false });
    const ours = natd('sha1', resp.ckyI, resp.ckyR, LOCAL);
    const sent = (am3[5] as { hash: Buffer }).hash;
    expect(sent[0]).toBe(ours[0]! ^ 1);
    expect(sent.subarray(1)).toEqual(ours.subarray(1));
  });

  it('mode none ignores NAT-D payloads and sends none', () => {
    const { result, am3 } = establish({ nattMode: 'none' }, { natd: { type: 20, initiator: seen, responder: REMOTE } });
    expect(result.nat).toEqual({ natdType: 0, localBehindNat: false, remoteBehindNat: false });
    expect(am3.some((p) => p.type === PayloadType.NAT_D)).toBe(false);
  });
});

describe('AM2 refused', () => {
  it('wrong group secret: AuthError (HASH_R mismatch)', () => {
    const err = am2Error({ psk: Buffer.from('another secret') });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe("hash comparison failed: the gateway's HASH_R does not match (AUTHENTICATION-FAILED); check the group password (IPSec secret)");
  });

  function informational(messageType: number | undefined, over: Parameters<typeof initiator>[0] = {}): Error {
    const init = initiator(over);
    init.start();
    const payloads: Payload[] = messageType === undefined ? [] : [{ type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType, spi: Buffer.alloc(0), data: Buffer.alloc(0) }];
    const d = encodeMessage({ initiatorCookie: init.cookieI, responderCookie: zeroCookie(), exchangeType: ExchangeType.INFORMATIONAL, flags: 0, messageId: 0 }, payloads);
    return thrown(() => init.receive(d, LOCAL, REMOTE));
  }

  it('an informational NO-PROPOSAL-CHOSEN answer: ProtocolError naming what was offered and the flags', () => {
    const err = informational(NotifyType.NO_PROPOSAL_CHOSEN) as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.notify).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
    expect(err.message).toBe(
      'gateway refused phase 1: NO-PROPOSAL-CHOSEN (offered aes256/aes192/aes128 with sha1/sha256/sha384/sha512 and dh14; if the gateway needs something else, ' +
        'try --enable-weak-encryption (3DES, DES), --enable-weak-authentication (MD5), another --dh group); ' +
        'a gateway may refuse the lifetime of 2147483 s (FortiGate does): try --vendor fortigate or --ike-lifetime 28800',
    );
  });

  it('NO-PROPOSAL-CHOSEN for a lifetime of a day or less: no lifetime hint', () => {
    const err = informational(NotifyType.NO_PROPOSAL_CHOSEN, { policy: { ...POLICY, lifetimeSeconds: 28800 } });
    expect(err.message).toMatch(/another --dh group\)$/);
  });

  it('AUTHENTICATION-FAILED or INVALID-ID-INFORMATION: AuthError; other notifies and none: ProtocolError', () => {
    for (const n of [NotifyType.AUTHENTICATION_FAILED, NotifyType.INVALID_ID_INFORMATION]) {
      expect(informational(n)).toBeInstanceOf(AuthError);
    }
    expect(informational(NotifyType.AUTHENTICATION_FAILED).message).toBe('gateway refused phase 1: AUTHENTICATION_FAILED; check the group name (IPSec ID) and group password (IPSec secret)');
    const other = informational(NotifyType.PAYLOAD_MALFORMED) as ProtocolError;
    expect([other.constructor, other.message, other.notify]).toEqual([ProtocolError, 'gateway refused phase 1: PAYLOAD_MALFORMED', 16]);
    expect(informational(undefined).message).toBe('gateway answered aggressive mode with an informational message');
  });

  it.each([
    ['another initiator cookie', (d: Buffer) => d.fill(0x5a, 0, 8), 'AM2 for another exchange (initiator cookie differs)', NotifyType.INVALID_COOKIE],
    ['main mode', (d: Buffer) => d.writeUInt8(ExchangeType.IDENTITY_PROTECTION, 18), 'response was exchange type 2, not aggressive mode', NotifyType.INVALID_EXCHANGE_TYPE],
    ['the commit flag', (d: Buffer) => d.writeUInt8(2, 19), 'AM2 has flags 0x2', NotifyType.INVALID_FLAGS],
    ['a message id', (d: Buffer) => d.writeUInt32BE(7, 20), 'AM2 has a non-zero message id', NotifyType.INVALID_MESSAGE_ID],
  ])('header with %s', (_, mutate, message, notify) => {
    const init = initiator();
    const d = new FakeResponder(PSK).answerAm1(init.start());
    mutate(d);
    const err = thrown(() => init.receive(d, LOCAL, REMOTE)) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, message, notify]);
  });

  it.each([PayloadType.SA, PayloadType.KE, PayloadType.NONCE, PayloadType.ID, PayloadType.HASH])('missing payload %i', (type) => {
    const err = am2Error({ edit: (p) => p.filter((x) => x.type !== type) }) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, 'AM2 lacks one of SA, KE, nonce, ID or HASH', NotifyType.PAYLOAD_MALFORMED]);
  });

  it.each([
    ['an unexpected notify', { type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: NotifyType.INITIAL_CONTACT, spi: Buffer.alloc(0), data: Buffer.alloc(0) }, 'gateway sent notify INITIAL_CONTACT in AM2'],
    ['a DELETE', { type: PayloadType.DELETE, doi: 1, protocol: 1, spiSize: 0, spis: [] }, 'unexpected payload type 12 in AM2'],
  ] as Array<[string, Payload, string]>)('%s', (_, extra, message) => {
    const err = am2Error({ edit: (p) => [...p, extra] }) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, message, NotifyType.INVALID_PAYLOAD_TYPE]);
  });

  it.each([
    ['3DES without the flag', tweak(IkeAttribute.ENCRYPTION_ALGORITHM, 5), {}, 'gateway selected 3des, which is refused as too weak (--enable-weak-encryption allows it)'],
    ['MD5 without the flag', tweak(IkeAttribute.HASH_ALGORITHM, 1), {}, 'gateway selected md5, which is refused as too weak (--enable-weak-authentication allows it)'],
    ['another group', tweak(IkeAttribute.GROUP_DESCRIPTION, 5), {}, 'group 5 is not the proposed dh14'],
    ['a cipher key length not offered', tweak(IkeAttribute.KEY_LENGTH, 64), {}, 'cipher 7/64 was not proposed'],
    ['hybrid auth when PSK was offered', tweak(IkeAttribute.AUTHENTICATION_METHOD, IkeAuthMethod.HybridInitRSA), {}, 'authentication method hybrid(rsa) was not proposed'],
  ] as const)('gateway picks %s', (_, transform, over, message) => {
    const err = am2Error({ transform }, over) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, `gateway's phase 1 SA: ${message}`, NotifyType.NO_PROPOSAL_CHOSEN]);
  });
});
