/**
 * Quick mode, initiator side (RFC 2409 5.5), as vpnc runs it but with HASH(2) enforced:
 *
 *   QM1  HDR*, HASH(1), SA, Ni, [KE], IDci, IDcr   ->
 *   QM2                  <-  HDR*, HASH(2), SA, Nr, [KE], IDci, IDcr
 *   QM3  HDR*, HASH(3)                           ->
 *
 * One proposal per (cipher, integrity) pair, each ESP with our inbound SPI, as vpnc sends them.
 */
import { randomBytes } from 'node:crypto';
import { createDh, isDhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import { resolveEspSuite, type EspSuite } from '../../esp/transforms.js';
import { ProtocolError } from '../../errors.js';
import { EncodeError } from '../../wire/errors.js';
import { SPI_LENGTH, spiFromBytes, spiToBytes, type Spi } from '../../wire/sa-ids.js';
import { Doi, ExchangeType, IpsecSituation, NotifyType, PayloadType, ProtocolId, notifyTypeName } from '../constants.js';
import { hash3, keymat } from '../keys.js';
import type { IkeSa } from '../ike-sa.js';
import { AuthAlgorithm, EspTransformId, IpsecAttribute } from '../ipsec-attributes.js';
import { LifeType } from '../ike-attributes.js';
import { attributeNumber, tvAttribute, u32Attribute, type DataAttribute } from '../payloads/attributes.js';
import type { IdPayload } from '../payloads/id.js';
import type { Payload } from '../payloads/payload.js';
import type { Proposal, SaPayload, Transform } from '../payloads/sa.js';
import { PROPOSED_LIFETIME, parseLifetimeNotify, readLifetimes } from '../proposals.js';
import { checkQuickModeIds, quickModeIdData, tunnelIdsOf } from './quick-mode-ids.js';
import { checkedNonce } from './nonce.js';

export interface EspPolicy {
  weakEncryption: boolean;
  weakAuthentication: boolean;
  noEncryption: boolean;
}

export interface EspChoice {
  readonly transformId: number;
  readonly keyBits: number;
  readonly auth: number;
  readonly weak: boolean;
  readonly nullCipher: boolean;
}

/** Our ESP proposals in preference order. */
export function espChoices(policy: EspPolicy): EspChoice[] {
  const out: EspChoice[] = [];
  const auths = [AuthAlgorithm.HMAC_SHA, AuthAlgorithm.HMAC_SHA2_256, ...(policy.weakAuthentication ? [AuthAlgorithm.HMAC_MD5] : [])];
  for (const keyBits of [256, 192, 128]) {
    for (const auth of auths) out.push({ transformId: EspTransformId.AES, keyBits, auth, weak: false, nullCipher: false });
  }
  for (const keyBits of [256, 128]) out.push({ transformId: EspTransformId.AES_GCM_16, keyBits, auth: 0, weak: false, nullCipher: false });
  if (policy.weakEncryption) for (const auth of auths) out.push({ transformId: EspTransformId['3DES'], keyBits: 0, auth, weak: true, nullCipher: false });
  if (policy.noEncryption) for (const auth of auths) out.push({ transformId: EspTransformId.NULL, keyBits: 0, auth, weak: false, nullCipher: true });
  return out;
}

/** The attributes of an ESP transform that matter for choosing it (absent: auth 0, encap -1, group 0). */
export function readEspTransform(t: Transform): { auth: number; keyBits: number | undefined; encap: number; group: number } {
  let auth = 0;
  let keyBits: number | undefined;
  let encap = -1;
  let group = 0;
  for (const a of t.attributes) {
    if (a.type === IpsecAttribute.AUTHENTICATION_ALGORITHM) auth = attributeNumber(a);
    else if (a.type === IpsecAttribute.KEY_LENGTH) keyBits = attributeNumber(a);
    else if (a.type === IpsecAttribute.ENCAPSULATION_MODE) encap = attributeNumber(a);
    else if (a.type === IpsecAttribute.GROUP_DESCRIPTION) group = attributeNumber(a);
  }
  return { auth, keyBits, encap, group };
}

/** An ESP transform by its numbers: transform id, KEY_LENGTH (0: a fixed-key cipher), AUTHENTICATION_ALGORITHM (0: none). */
export type EspTransformSpec = Pick<EspChoice, 'transformId' | 'keyBits' | 'auth'>;

/** True when (transform id, auth, key length) is `c`; a fixed-key choice takes any key length (resolveEspSuite judges it). */
export function isChoice(c: EspTransformSpec, transformId: number, auth: number, keyBits: number | undefined): boolean {
  return c.transformId === transformId && c.auth === auth && (c.keyBits === 0 || c.keyBits === keyBits);
}

/** True when (transform id, auth, key length) is one of our choices. */
export function isOffered(choices: readonly EspTransformSpec[], transformId: number, auth: number, keyBits: number | undefined): boolean {
  return choices.some((c) => isChoice(c, transformId, auth, keyBits));
}

export interface QuickModeParams {
  readonly sa: IkeSa;
  readonly msgId: number;
  /** Our inbound SPI. */
  readonly spiIn: Spi;
  /** PFS group, 0 for none. */
  readonly pfsGroup: number;
  /** ENCAPSULATION_MODE to propose: tunnel, UDP tunnel (RFC) or the draft value. */
  readonly encapMode: number;
  /** Our assigned (mode config) address, IPv4 or IPv6: IDci. */
  readonly localAddress: string;
  /** The remote network, of the same family: IDcr. */
  readonly remote: { address: string; prefixLength: number };
  readonly policy: EspPolicy;
  readonly random?: (n: number) => Buffer;
  readonly dh?: DhKeyPair;
}

export interface QuickModeResult {
  /** QM3 to send. */
  readonly qm3: Buffer;
  readonly suite: EspSuite;
  /** The gateway's inbound SPI = our outbound SPI. */
  readonly spiOut: Spi;
  readonly spiIn: Spi;
  readonly keymatIn: Buffer;
  readonly keymatOut: Buffer;
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
}

export class QuickModeInitiator {
  private readonly nonceI: Buffer;
  private readonly dh: DhKeyPair | undefined;
  private qm1: Buffer | undefined;
  private readonly choices: EspChoice[];

  constructor(private readonly p: QuickModeParams) {
    const random = p.random ?? randomBytes;
    this.nonceI = random(20);
    if (p.pfsGroup) {
      if (!isDhGroupId(p.pfsGroup)) throw new ProtocolError(`unsupported PFS group ${p.pfsGroup}`);
      this.dh = p.dh ?? createDh(p.pfsGroup);
    }
    this.choices = espChoices(p.policy);
  }

  private buildSa(): SaPayload {
    const proposals: Proposal[] = this.choices.map((c, i) => {
      const attributes: DataAttribute[] = [
        tvAttribute(IpsecAttribute.SA_LIFE_TYPE, LifeType.SECONDS),
        u32Attribute(IpsecAttribute.SA_LIFE_DURATION, PROPOSED_LIFETIME),
        tvAttribute(IpsecAttribute.ENCAPSULATION_MODE, this.p.encapMode),
      ];
      if (c.auth) attributes.push(tvAttribute(IpsecAttribute.AUTHENTICATION_ALGORITHM, c.auth));
      if (c.keyBits) attributes.push(tvAttribute(IpsecAttribute.KEY_LENGTH, c.keyBits));
      if (this.p.pfsGroup) attributes.push(tvAttribute(IpsecAttribute.GROUP_DESCRIPTION, this.p.pfsGroup));
      return { number: i + 1, protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(this.p.spiIn), transforms: [{ number: 1, id: c.transformId, attributes }] };
    });
    return { type: PayloadType.SA, doi: Doi.IPSEC, situation: IpsecSituation.IDENTITY_ONLY, proposals };
  }

  private ids(): IdPayload[] {
    return quickModeIdData(this.p.localAddress, this.p.remote).map(({ idType, data }) => ({ type: PayloadType.ID, idType, protocol: 0, port: 0, data }));
  }

  /** QM1 (same bytes on every call, for retransmission). */
  start(): Buffer {
    if (this.qm1) return this.qm1;
    const payloads: Payload[] = [this.buildSa(), { type: PayloadType.NONCE, data: this.nonceI }];
    if (this.dh) payloads.push({ type: PayloadType.KE, data: this.dh.publicValue });
    payloads.push(...this.ids());
    this.qm1 = this.p.sa.sealHashed(ExchangeType.QUICK, this.p.msgId, payloads);
    return this.qm1;
  }

  /** Whether `datagram` is an authentic QM2 of this exchange (HASH(2) verifies); a forged or mangled one is not. */
  isAnswer(datagram: Buffer): boolean {
    return this.p.sa.isAuthentic(datagram, this.nonceI);
  }

  /** Processes QM2 (already opened by IkeSa.open) and returns QM3 and the ESP keys. */
  receive(msg: ReturnType<IkeSa['open']>): QuickModeResult {
    const { sa } = this.p;
    if (msg.header.exchangeType === ExchangeType.INFORMATIONAL) {
      const n = msg.payloads.find((x) => x.type === PayloadType.NOTIFICATION);
      const what = n && n.type === PayloadType.NOTIFICATION ? notifyTypeName(n.messageType) : 'an informational message';
      throw new ProtocolError(`gateway refused quick mode: ${what}`);
    }
    if (msg.header.exchangeType !== ExchangeType.QUICK || msg.header.messageId !== this.p.msgId) {
      throw new ProtocolError('unexpected message instead of quick mode response', NotifyType.INVALID_EXCHANGE_TYPE);
    }
    sa.verifyHash(msg, this.nonceI);
    let saR: SaPayload | undefined;
    let nonceR: Buffer | undefined;
    let ke: Buffer | undefined;
    let espLife = { seconds: 0, kilobytes: 0 };
    const ids: IdPayload[] = [];
    for (const p of msg.payloads.slice(1)) {
      if (p.type === PayloadType.SA) saR = p;
      else if (p.type === PayloadType.ID) ids.push(p);
      else if (p.type === PayloadType.NONCE) nonceR = checkedNonce(p.data, 'QM2');
      else if (p.type === PayloadType.KE) ke = p.data;
      else if (p.type === PayloadType.NOTIFICATION && p.messageType === NotifyType.RESPONDER_LIFETIME && p.protocol === ProtocolId.IPSEC_ESP) {
        espLife = parseLifetimeNotify(p.data, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
      }
    }
    if (!saR || !nonceR) throw new ProtocolError('quick mode response lacks SA or nonce', NotifyType.PAYLOAD_MALFORMED);
    const tunnel = tunnelIdsOf(this.p.localAddress, this.p.remote);
    if (!tunnel) throw new EncodeError(`quick mode for ${this.p.localAddress} to ${this.p.remote.address}/${this.p.remote.prefixLength}: not addresses`);
    checkQuickModeIds(ids, 0, tunnel);
    if (saR.proposals.length !== 1 || saR.proposals[0]!.transforms.length !== 1) {
      throw new ProtocolError('quick mode response must hold one proposal with one transform', NotifyType.BAD_PROPOSAL_SYNTAX);
    }
    const prop = saR.proposals[0]!;
    if (prop.protocol !== ProtocolId.IPSEC_ESP) throw new ProtocolError(`gateway chose protocol ${prop.protocol}, not ESP`, NotifyType.INVALID_PROTOCOL_ID);
    if (prop.spi.length !== SPI_LENGTH) throw new ProtocolError(`gateway's SPI has ${prop.spi.length} bytes, not 4`, NotifyType.INVALID_SPI);
    const spiOut = spiFromBytes(prop.spi);
    const t = prop.transforms[0]!;
    const { auth, keyBits, encap, group } = readEspTransform(t);
    const offered = isOffered(this.choices, t.id, auth, keyBits);
    if (!offered) throw new ProtocolError(`gateway chose ESP transform ${t.id}/${keyBits ?? '-'}/auth ${auth}, which was not proposed`, NotifyType.NO_PROPOSAL_CHOSEN);
    if (encap !== this.p.encapMode) throw new ProtocolError(`gateway chose encapsulation mode ${encap}, proposed ${this.p.encapMode}`, NotifyType.BAD_PROPOSAL_SYNTAX);
    if (group !== this.p.pfsGroup) throw new ProtocolError(`gateway chose PFS group ${group}, proposed ${this.p.pfsGroup}`, NotifyType.BAD_PROPOSAL_SYNTAX);
    const suite = resolveEspSuite(t.id, keyBits, auth);
    const life = readLifetimes(t.attributes, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
    if (espLife.seconds) life.seconds = espLife.seconds;
    if (espLife.kilobytes) life.kilobytes = espLife.kilobytes;
    let gxy: Buffer | undefined;
    if (this.dh) {
      if (!ke) throw new ProtocolError('PFS was proposed but the gateway sent no KE', NotifyType.PAYLOAD_MALFORMED);
      gxy = this.dh.computeSecret(ke);
    }
    const input = (spi: Spi) => ({ protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(spi), nonceI: this.nonceI, nonceR: nonceR!, ...(gxy ? { gxy } : {}) });
    const keymatIn = keymat(sa.prf, sa.keys.skeyidD, input(this.p.spiIn), suite.keymatLength);
    const keymatOut = keymat(sa.prf, sa.keys.skeyidD, input(spiOut), suite.keymatLength);
    const qm3 = sa.seal(ExchangeType.QUICK, this.p.msgId, [
      { type: PayloadType.HASH, data: hash3(sa.prf, sa.keys.skeyidA, this.p.msgId, this.nonceI, nonceR) },
    ]);
    sa.ivs.forget(this.p.msgId);
    return {
      qm3,
      suite,
      spiOut,
      spiIn: this.p.spiIn,
      keymatIn,
      keymatOut,
      lifetimeSeconds: life.seconds,
      lifetimeKilobytes: life.kilobytes,
    };
  }
}

