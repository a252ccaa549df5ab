/**
 * Phase-1 proposals: what we offer for each policy, how the gateway's choice is checked (every refusal with
 * its notify and message), lifetimes and the NO-PROPOSAL-CHOSEN hint.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { Doi, IpsecSituation, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { IkeAttribute, IkeAuthMethod, LifeType } from '../../../src/ike/ike-attributes.js';
import { attributeNumber, tvAttribute, u32Attribute, type DataAttribute, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';
import {
  PROPOSED_LIFETIME,
  allowedChoices,
  buildPhase1Sa,
  describeOffer,
  parseLifetimeNotify,
  readLifetimes,
  selectPhase1Suite,
  type Phase1Policy,
} from '../../../src/ike/proposals.js';

const POLICY: Phase1Policy = { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false };
const { LIFE_TYPE, LIFE_DURATION } = IkeAttribute;

/** The gateway's answer SA holding `transforms` (default: one AES-256/SHA1/dh2/XAUTH-PSK transform). */
function answer(attrs: DataAttribute[], over: Partial<SaPayload> = {}, t: Partial<Transform> = {}): SaPayload {
  return {
    type: PayloadType.SA,
    doi: Doi.IPSEC,
    situation: IpsecSituation.IDENTITY_ONLY,
    proposals: [{ number: 1, protocol: ProtocolId.ISAKMP, spi: Buffer.alloc(0), transforms: [{ number: 0, id: 1, attributes: attrs, ...t }] }],
    ...over,
  };
}

function attrs(enc: number, bits: number, hashId: number, group = 2, auth: number = IkeAuthMethod.XAUTHInitPreShared): DataAttribute[] {
  return [
    tvAttribute(IkeAttribute.ENCRYPTION_ALGORITHM, enc),
    ...(bits ? [tvAttribute(IkeAttribute.KEY_LENGTH, bits)] : []),
    tvAttribute(IkeAttribute.HASH_ALGORITHM, hashId),
    tvAttribute(IkeAttribute.GROUP_DESCRIPTION, group),
    tvAttribute(IkeAttribute.AUTHENTICATION_METHOD, auth),
    tvAttribute(LIFE_TYPE, LifeType.SECONDS),
    u32Attribute(LIFE_DURATION, 86400),
  ];
}

function refusal(sa: SaPayload, policy: Phase1Policy = POLICY): ProtocolError {
  try {
    selectPhase1Suite(sa, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('nothing was thrown');
}

describe('buildPhase1Sa', () => {
  it('one ISAKMP proposal, transforms numbered from 0, attributes in vpnc order', () => {
    const sa = buildPhase1Sa(POLICY);
    expect(sa).toMatchObject({ doi: Doi.IPSEC, situation: IpsecSituation.IDENTITY_ONLY });
    expect(sa.proposals).toHaveLength(1);
    const p = sa.proposals[0]!;
    expect([p.number, p.protocol, p.spi.length]).toEqual([1, ProtocolId.ISAKMP, 0]);
    expect(p.transforms).toHaveLength(24);
    expect(p.transforms[0]!.attributes).toEqual([...attrs(7, 256, 2).slice(0, 6), u32Attribute(LIFE_DURATION, PROPOSED_LIFETIME)]);
    const last = p.transforms[23]!;
    expect(last.number).toBe(23);
    expect(last.attributes.map((a) => [a.type, attributeNumber(a)])).toEqual([[1, 7], [14, 128], [2, 6], [4, 2], [3, 1], [11, 1], [12, 2147483]]);
  });

  it('weak flags add 3DES, DES (no key length) and MD5; hybrid offers only HybridInitRSA', () => {
    const weak = buildPhase1Sa({ authMode: 'hybrid', dhGroup: 5, weakEncryption: true, weakAuthentication: true });
    const ts = weak.proposals[0]!.transforms;
    expect(ts).toHaveLength(5 * 5);
    expect(new Set(ts.map((t) => attributeNumber(t.attributes.find((a) => a.type === IkeAttribute.AUTHENTICATION_METHOD)!)))).toEqual(new Set([IkeAuthMethod.HybridInitRSA]));
    expect(ts[15]!.attributes.map((a) => a.type)).toEqual([1, 2, 4, 3, 11, 12]);
    expect(ts.at(-1)!.attributes.slice(0, 3).map(attributeNumber)).toEqual([1, 1, 5]);
    expect(allowedChoices(POLICY).ciphers.map((c) => c.label)).toEqual(['aes256', 'aes192', 'aes128']);
  });
});

describe('selectPhase1Suite', () => {
  it('names the suite and reads the lifetimes', () => {
    expect(selectPhase1Suite(answer(attrs(7, 256, 2)), POLICY)).toEqual({
      cipher: 'aes256', hash: 'sha1', group: 2, authMethod: IkeAuthMethod.XAUTHInitPreShared, lifetimeSeconds: 86400, lifetimeKilobytes: 0, name: 'psk+xauth-aes256-sha1',
    });
    expect(selectPhase1Suite(answer(attrs(7, 128, 4, 2, IkeAuthMethod.PRESHARED_KEY)), POLICY).name).toBe('psk-aes128-sha256');
    expect(selectPhase1Suite(answer(attrs(7, 192, 5, 2, IkeAuthMethod.HybridInitRSA)), { ...POLICY, authMode: 'hybrid' }).name).toBe('hybrid(rsa)-aes192-sha384');
    const weak = { ...POLICY, weakEncryption: true, weakAuthentication: true };
    expect(selectPhase1Suite(answer(attrs(1, 0, 1)), weak)).toMatchObject({ cipher: 'des', hash: 'md5', name: 'psk+xauth-des-md5' });
    const kb = answer([...attrs(5, 0, 2).slice(0, 4), tvAttribute(LIFE_TYPE, LifeType.KILOBYTES), u32Attribute(LIFE_DURATION, 1000)]);
    expect(selectPhase1Suite(kb, weak)).toMatchObject({ lifetimeSeconds: 0, lifetimeKilobytes: 1000 });
  });

  it.each([
    ['another DOI', answer(attrs(7, 256, 2), { doi: 2 }), 'DOI 2 is not IPsec', NotifyType.DOI_NOT_SUPPORTED],
    ['another situation', answer(attrs(7, 256, 2), { situation: 2 }), 'situation 2', NotifyType.SITUATION_NOT_SUPPORTED],
    ['two proposals', { ...answer(attrs(7, 256, 2)), proposals: [answer([]).proposals[0]!, answer([]).proposals[0]!] }, '2 proposals instead of 1', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['an ESP proposal', { ...answer(attrs(7, 256, 2)), proposals: [{ ...answer(attrs(7, 256, 2)).proposals[0]!, protocol: ProtocolId.IPSEC_ESP }] }, 'protocol 3 is not ISAKMP', NotifyType.INVALID_PROTOCOL_ID],
    ['two transforms', { ...answer([]), proposals: [{ number: 1, protocol: 1, spi: Buffer.alloc(0), transforms: [{ number: 0, id: 1, attributes: [] }, { number: 1, id: 1, attributes: [] }] }] }, '2 transforms instead of 1', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['transform id 2', answer(attrs(7, 256, 2), {}, { id: 2 }), 'transform id 2 is not KEY_IKE', NotifyType.INVALID_TRANSFORM_ID],
    ['a PRF attribute', answer([...attrs(7, 256, 2), tvAttribute(IkeAttribute.PRF, 1)]), 'unsupported attribute 13', NotifyType.ATTRIBUTES_NOT_SUPPORTED],
    ['no hash', answer(attrs(7, 256, 2).filter((a) => a.type !== IkeAttribute.HASH_ALGORITHM)), 'a mandatory attribute (cipher, hash, auth, group) is missing', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['no group', answer(attrs(7, 256, 2).filter((a) => a.type !== IkeAttribute.GROUP_DESCRIPTION)), 'a mandatory attribute (cipher, hash, auth, group) is missing', NotifyType.BAD_PROPOSAL_SYNTAX],
    ['another group', answer(attrs(7, 256, 2, 14)), 'group 14 is not the proposed dh2', NotifyType.NO_PROPOSAL_CHOSEN],
    ['RSA signatures', answer(attrs(7, 256, 2, 2, IkeAuthMethod.RSA_SIGNATURES)), 'authentication method rsa was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
    ['AES without a key length', answer(attrs(7, 0, 2)), 'cipher 7/0 was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
    ['Blowfish', answer(attrs(3, 0, 2)), 'cipher 3/0 was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
    ['3DES without the flag', answer(attrs(5, 0, 2)), 'gateway selected 3des, which is refused as too weak (--enable-weak-encryption allows it)', NotifyType.NO_PROPOSAL_CHOSEN],
    ['DES without the flag', answer(attrs(1, 0, 2)), 'gateway selected des, which is refused as too weak (--enable-weak-encryption allows it)', NotifyType.NO_PROPOSAL_CHOSEN],
    ['MD5 without the flag', answer(attrs(7, 256, 1)), 'gateway selected md5, which is refused as too weak (--enable-weak-authentication allows it)', NotifyType.NO_PROPOSAL_CHOSEN],
    ['Tiger', answer(attrs(7, 256, 3)), 'hash 3 was not proposed', NotifyType.NO_PROPOSAL_CHOSEN],
  ] as Array<[string, SaPayload, string, number]>)('refuses %s', (_, sa, message, notify) => {
    const err = refusal(sa);
    expect([err.message, err.notify]).toEqual([`gateway's phase 1 SA: ${message}`, notify]);
  });

  it('refuses PSK methods in hybrid mode', () => {
    expect(refusal(answer(attrs(7, 256, 2)), { ...POLICY, authMode: 'hybrid' }).message).toBe("gateway's phase 1 SA: authentication method psk+xauth was not proposed");
  });
});

describe('lifetimes', () => {
  it('readLifetimes pairs each type with the duration after it and skips a type without one (Fortigate)', () => {
    const list = [tvAttribute(LIFE_TYPE, 1), tvAttribute(LIFE_TYPE, 2), u32Attribute(LIFE_DURATION, 5000), tvAttribute(LIFE_TYPE, 1), tvAttribute(LIFE_DURATION, 600), tvAttribute(LIFE_TYPE, 1)];
    expect(readLifetimes(list, LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 600, kilobytes: 5000 });
    expect(readLifetimes([], LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 0, kilobytes: 0 });
    expect(readLifetimes([tvAttribute(LIFE_TYPE, 9), tvAttribute(LIFE_DURATION, 1)], LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 0, kilobytes: 0 });
  });

  it('parseLifetimeNotify reads RESPONDER-LIFETIME data; malformed data counts as none', () => {
    expect(parseLifetimeNotify(Buffer.from('800b0001000c000400007080', 'hex'), LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 28800, kilobytes: 0 });
    expect(parseLifetimeNotify(Buffer.from('800b0001000c0009', 'hex'), LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 0, kilobytes: 0 });
    expect(parseLifetimeNotify(Buffer.from('800b', 'hex'), LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 0, kilobytes: 0 });
    expect(parseLifetimeNotify(Buffer.from('800b0001000c0000', 'hex'), LIFE_TYPE, LIFE_DURATION)).toEqual({ seconds: 0, kilobytes: 0 });
  });
});

describe('describeOffer', () => {
  it('lists the offer and only the flags that would widen it', () => {
    expect(describeOffer(POLICY)).toBe(
      'offered aes256/aes192/aes128 with sha1/sha256/sha384/sha512 and dh2; if the gateway needs something else, try --enable-weak-encryption (3DES, DES), --enable-weak-authentication (MD5), another --dh group',
    );
    expect(describeOffer({ ...POLICY, dhGroup: 14, weakEncryption: true, weakAuthentication: true })).toBe(
      'offered aes256/aes192/aes128/3des/des with sha1/sha256/sha384/sha512/md5 and dh14; if the gateway needs something else, try another --dh group',
    );
  });
});

describe('selectPhase1Suite: malformed attribute values', () => {
  it('an empty LIFE_DURATION is BAD-PROPOSAL-SYNTAX, not a decode error', () => {
    const policy = { authMode: 'psk' as const, dhGroup: 2, weakEncryption: false, weakAuthentication: false };
    const ours = buildPhase1Sa(policy);
    const t = ours.proposals[0]!.transforms[0]!;
    const attributes = t.attributes.map((a) => (a.type === IkeAttribute.LIFE_DURATION ? { type: a.type, tv: false, value: Buffer.alloc(0) } : a));
    const answer = { ...ours, proposals: [{ ...ours.proposals[0]!, transforms: [{ ...t, attributes }] }] };
    expect(() => selectPhase1Suite(answer, policy)).toThrow(ProtocolError);
    expect(() => selectPhase1Suite(answer, policy)).toThrow(/gateway's phase 1 SA: attribute 12: 0-byte value is not a number/);
  });
});
