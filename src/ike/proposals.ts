/**
 * Phase-1 proposals as vpnc makes them, and the check of the transform the gateway picks.
 *
 * vpnc offers one proposal whose transforms are every (auth method x cipher x hash) with the single
 * `--dh` group, and refuses weak algorithms only after the gateway has picked them. We offer only what we
 * would accept (3DES/DES with `--enable-weak-encryption`, MD5 with `--enable-weak-authentication`), so a
 * gateway that insists on them answers NO-PROPOSAL-CHOSEN and the error can say which flag would help. We
 * add SHA2-256/384/512 (vpnc has SHA1 and MD5 only) and never offer a NULL IKE cipher.
 */
import type { CipherName } from '../crypto/cipher.js';
import type { HashName } from '../crypto/hash.js';
import { ProtocolError } from '../errors.js';
import { Doi, IpsecSituation, NotifyType, PayloadType, ProtocolId } from './constants.js';
import { IkeAttribute, IkeAuthMethod, IkeEncryption, IkeHash, IkeTransformId, LifeType, ikeAuthMethodName } from './ike-attributes.js';
import { attributeNumber, decodeAttributes, encodeAttributes, tvAttribute, u32Attribute, type DataAttribute } from './payloads/attributes.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { DecodeError } from '../wire/errors.js';
import type { Proposal, SaPayload, Transform } from './payloads/sa.js';

/** vpnc's proposed lifetime for IKE and IPsec SAs, in seconds. */
export const PROPOSED_LIFETIME = 2147483;

export type AuthModeName = 'psk' | 'hybrid' | 'cert';

export interface Phase1Policy {
  authMode: AuthModeName;
  dhGroup: number;
  weakEncryption: boolean;
  weakAuthentication: boolean;
  /** The ISAKMP SA lifetime to propose, in seconds (default PROPOSED_LIFETIME, vpnc's). */
  lifetimeSeconds?: number;
}

/** The negotiated phase-1 suite. */
export interface IkeSuite {
  readonly cipher: CipherName;
  readonly hash: HashName;
  readonly group: number;
  readonly authMethod: number;
  /** Seconds, 0 when the gateway stated none. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
  /** e.g. "psk+xauth-aes256-sha1" (vpnc's debug wording). */
  readonly name: string;
}

interface CipherChoice {
  readonly id: number;
  readonly keyBits: number;
  readonly cipher: CipherName;
  readonly label: string;
  readonly weak: boolean;
}

const CIPHERS: readonly CipherChoice[] = [
  { id: IkeEncryption.AES_CBC, keyBits: 256, cipher: 'aes256', label: 'aes256', weak: false },
  { id: IkeEncryption.AES_CBC, keyBits: 192, cipher: 'aes192', label: 'aes192', weak: false },
  { id: IkeEncryption.AES_CBC, keyBits: 128, cipher: 'aes128', label: 'aes128', weak: false },
  { id: IkeEncryption['3DES_CBC'], keyBits: 0, cipher: '3des', label: '3des', weak: true },
  { id: IkeEncryption.DES_CBC, keyBits: 0, cipher: 'des', label: 'des', weak: true },
];

interface HashChoice {
  readonly id: number;
  readonly hash: HashName;
  readonly label: string;
  readonly weak: boolean;
}

const HASHES: readonly HashChoice[] = [
  { id: IkeHash.SHA, hash: 'sha1', label: 'sha1', weak: false },
  { id: IkeHash.SHA2_256, hash: 'sha256', label: 'sha256', weak: false },
  { id: IkeHash.SHA2_384, hash: 'sha384', label: 'sha384', weak: false },
  { id: IkeHash.SHA2_512, hash: 'sha512', label: 'sha512', weak: false },
  { id: IkeHash.MD5, hash: 'md5', label: 'md5', weak: true },
];

function authMethods(mode: AuthModeName): number[] {
  if (mode === 'hybrid') return [IkeAuthMethod.HybridInitRSA];
  if (mode === 'cert') return [IkeAuthMethod.XAUTHInitRSA, IkeAuthMethod.RSA_SIGNATURES];
  return [IkeAuthMethod.XAUTHInitPreShared, IkeAuthMethod.PRESHARED_KEY];
}

/** The short name of an auth method as the logs write it (`psk+xauth`, `rsa+xauth` ...); client and gateway share it. */
export function authLabel(method: number): string {
  switch (method) {
    case IkeAuthMethod.PRESHARED_KEY:
      return 'psk';
    case IkeAuthMethod.XAUTHInitPreShared:
      return 'psk+xauth';
    case IkeAuthMethod.HybridInitRSA:
      return 'hybrid(rsa)';
    case IkeAuthMethod.RSA_SIGNATURES:
      return 'rsa';
    case IkeAuthMethod.XAUTHInitRSA:
      return 'rsa+xauth';
    default:
      return ikeAuthMethodName(method);
  }
}

/** The ciphers and hashes this policy allows, in preference order. */
export function allowedChoices(policy: Phase1Policy): { ciphers: CipherChoice[]; hashes: HashChoice[] } {
  return {
    ciphers: CIPHERS.filter((c) => !c.weak || policy.weakEncryption),
    hashes: HASHES.filter((h) => !h.weak || policy.weakAuthentication),
  };
}

/** Our phase-1 SA payload: one ISAKMP proposal, transforms numbered from 0 as vpnc does. */
export function buildPhase1Sa(policy: Phase1Policy): SaPayload {
  const { ciphers, hashes } = allowedChoices(policy);
  const transforms: Transform[] = [];
  for (const auth of authMethods(policy.authMode)) {
    for (const c of ciphers) {
      for (const h of hashes) {
        const attributes: DataAttribute[] = [tvAttribute(IkeAttribute.ENCRYPTION_ALGORITHM, c.id)];
        if (c.keyBits) attributes.push(tvAttribute(IkeAttribute.KEY_LENGTH, c.keyBits));
        attributes.push(
          tvAttribute(IkeAttribute.HASH_ALGORITHM, h.id),
          tvAttribute(IkeAttribute.GROUP_DESCRIPTION, policy.dhGroup),
          tvAttribute(IkeAttribute.AUTHENTICATION_METHOD, auth),
          tvAttribute(IkeAttribute.LIFE_TYPE, LifeType.SECONDS),
          u32Attribute(IkeAttribute.LIFE_DURATION, policy.lifetimeSeconds ?? PROPOSED_LIFETIME),
        );
        transforms.push({ number: transforms.length, id: IkeTransformId.KEY_IKE, attributes });
      }
    }
  }
  return {
    type: PayloadType.SA,
    doi: Doi.IPSEC,
    situation: IpsecSituation.IDENTITY_ONLY,
    proposals: [{ number: 1, protocol: ProtocolId.ISAKMP, spi: Buffer.alloc(0), transforms }],
  };
}

const bad = (message: string, notify: number = NotifyType.BAD_PROPOSAL_SYNTAX) =>
  new ProtocolError(`gateway's phase 1 SA: ${message}`, notify);

/** A responder's SA payload: the initiator's proposal `p` (its number and protocol) with `spi` and the one chosen transform. */
export function answerSa(p: Proposal, t: Transform, spi: Buffer): SaPayload {
  return {
    type: PayloadType.SA,
    doi: Doi.IPSEC,
    situation: IpsecSituation.IDENTITY_ONLY,
    proposals: [{ number: p.number, protocol: p.protocol, spi, transforms: [t] }],
  };
}

/** Reads a lifetime pair list (LIFE_TYPE followed by LIFE_DURATION), as in transforms and RESPONDER-LIFETIME. */
export function readLifetimes(attrs: readonly DataAttribute[], typeAttr: number, durationAttr: number): { seconds: number; kilobytes: number } {
  let seconds = 0;
  let kilobytes = 0;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i]!;
    if (a.type !== typeAttr) continue;
    const next = attrs[i + 1];
    // Fortigate sends a LIFE_TYPE without a following duration: skip it, as vpnc does since f9dcc71.
    if (!next || next.type !== durationAttr) continue;
    const value = attributeNumber(next);
    if (attributeNumber(a) === LifeType.SECONDS) seconds = value;
    else if (attributeNumber(a) === LifeType.KILOBYTES) kilobytes = value;
  }
  return { seconds, kilobytes };
}

/**
 * Checks the gateway's answer SA (exactly one ISAKMP proposal with one transform that we offered) and
 * returns the suite. Weak choices we did not offer are refused with a hint naming the flag.
 */
export function selectPhase1Suite(sa: SaPayload, policy: Phase1Policy): IkeSuite {
  try {
    return selectSuite(sa, policy);
  } catch (err) {
    // An attribute value that is not a number (e.g. an empty LIFE_DURATION) is a malformed proposal.
    if (err instanceof DecodeError) throw bad(err.message);
    throw err;
  }
}

function selectSuite(sa: SaPayload, policy: Phase1Policy): IkeSuite {
  if (sa.doi !== Doi.IPSEC) throw bad(`DOI ${sa.doi} is not IPsec`, NotifyType.DOI_NOT_SUPPORTED);
  if (sa.situation !== IpsecSituation.IDENTITY_ONLY) throw bad(`situation ${sa.situation}`, NotifyType.SITUATION_NOT_SUPPORTED);
  if (sa.proposals.length !== 1) throw bad(`${sa.proposals.length} proposals instead of 1`);
  const p = sa.proposals[0]!;
  if (p.protocol !== ProtocolId.ISAKMP) throw bad(`protocol ${p.protocol} is not ISAKMP`, NotifyType.INVALID_PROTOCOL_ID);
  if (p.transforms.length !== 1) throw bad(`${p.transforms.length} transforms instead of 1`);
  const t = p.transforms[0]!;
  if (t.id !== IkeTransformId.KEY_IKE) throw bad(`transform id ${t.id} is not KEY_IKE`, NotifyType.INVALID_TRANSFORM_ID);
  let enc = -1;
  let hashId = -1;
  let auth = -1;
  let group = -1;
  let keyBits = 0;
  for (const a of t.attributes) {
    switch (a.type) {
      case IkeAttribute.ENCRYPTION_ALGORITHM:
        enc = attributeNumber(a);
        break;
      case IkeAttribute.HASH_ALGORITHM:
        hashId = attributeNumber(a);
        break;
      case IkeAttribute.AUTHENTICATION_METHOD:
        auth = attributeNumber(a);
        break;
      case IkeAttribute.GROUP_DESCRIPTION:
        group = attributeNumber(a);
        break;
      case IkeAttribute.KEY_LENGTH:
        keyBits = attributeNumber(a);
        break;
      case IkeAttribute.LIFE_TYPE:
      case IkeAttribute.LIFE_DURATION:
        break;
      default:
        throw bad(`unsupported attribute ${a.type}`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
    }
  }
  if (enc < 0 || hashId < 0 || auth < 0 || group < 0) throw bad('a mandatory attribute (cipher, hash, auth, group) is missing');
  if (group !== policy.dhGroup) throw bad(`group ${group} is not the proposed dh${policy.dhGroup}`, NotifyType.NO_PROPOSAL_CHOSEN);
  if (!authMethods(policy.authMode).includes(auth)) {
    throw bad(`authentication method ${authLabel(auth)} was not proposed`, NotifyType.NO_PROPOSAL_CHOSEN);
  }
  const cipher = CIPHERS.find((c) => c.id === enc && (c.keyBits === 0 || c.keyBits === keyBits));
  if (!cipher) throw bad(`cipher ${enc}/${keyBits} was not proposed`, NotifyType.NO_PROPOSAL_CHOSEN);
  if (cipher.weak && !policy.weakEncryption) {
    throw bad(`gateway selected ${cipher.label}, which is refused as too weak (--enable-weak-encryption allows it)`, NotifyType.NO_PROPOSAL_CHOSEN);
  }
  const h = HASHES.find((x) => x.id === hashId);
  if (!h) throw bad(`hash ${hashId} was not proposed`, NotifyType.NO_PROPOSAL_CHOSEN);
  if (h.weak && !policy.weakAuthentication) {
    throw bad(`gateway selected ${h.label}, which is refused as too weak (--enable-weak-authentication allows it)`, NotifyType.NO_PROPOSAL_CHOSEN);
  }
  const life = readLifetimes(t.attributes, IkeAttribute.LIFE_TYPE, IkeAttribute.LIFE_DURATION);
  return {
    cipher: cipher.cipher,
    hash: h.hash,
    group,
    authMethod: auth,
    lifetimeSeconds: life.seconds,
    lifetimeKilobytes: life.kilobytes,
    name: `${authLabel(auth)}-${cipher.label}-${h.label}`,
  };
}

/** Parses RESPONDER-LIFETIME notification data (a list of data attributes); malformed data counts as none. */
export function parseLifetimeNotify(data: Buffer, typeAttr: number, durationAttr: number): { seconds: number; kilobytes: number } {
  try {
    return readLifetimes(decodeAttributes(new Reader(data, { what: 'RESPONDER-LIFETIME data', bound: 'notify' })), typeAttr, durationAttr);
  } catch {
    return { seconds: 0, kilobytes: 0 };
  }
}

/**
 * The data of a RESPONDER-LIFETIME notify (RFC 2407 4.6.3.1): the SA attributes LIFE_TYPE / LIFE_DURATION
 * for each limit the responder imposes (seconds, kilobytes; 0 = none).
 */
export function encodeLifetimeNotify(life: { seconds: number; kilobytes: number }, typeAttr: number, durationAttr: number): Buffer {
  const attrs: DataAttribute[] = [];
  if (life.seconds > 0) attrs.push(tvAttribute(typeAttr, LifeType.SECONDS), u32Attribute(durationAttr, life.seconds));
  if (life.kilobytes > 0) attrs.push(tvAttribute(typeAttr, LifeType.KILOBYTES), u32Attribute(durationAttr, life.kilobytes));
  const w = new Writer(32);
  encodeAttributes(w, attrs);
  return w.finish();
}

/** A sentence for NO-PROPOSAL-CHOSEN: what we offered and which flags would widen it. */
export function describeOffer(policy: Phase1Policy): string {
  const { ciphers, hashes } = allowedChoices(policy);
  let text = `offered ${ciphers.map((c) => c.label).join('/')} with ${hashes.map((h) => h.label).join('/')} and dh${policy.dhGroup}`;
  const hints: string[] = [];
  if (!policy.weakEncryption) hints.push('--enable-weak-encryption (3DES, DES)');
  if (!policy.weakAuthentication) hints.push('--enable-weak-authentication (MD5)');
  hints.push('another --dh group');
  text += `; if the gateway needs something else, try ${hints.join(', ')}`;
  return text;
}
