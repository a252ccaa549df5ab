/**
 * Quick mode, responder side (RFC 2409 5.5), for both ends: the gateway answers the client's quick modes, the
 * client answers the gateway's own (its rekeys of the ESP SAs).
 *
 *   QM1  HDR*, HASH(1), SA, Ni, [KE], [IDci, IDcr]          ->
 *   QM2                 <-  HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr]
 *   QM3  HDR*, HASH(3)                                      ->
 *
 * HASH(1) = prf(SKEYID_a, M-ID | rest), HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest),
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). KEYMAT per direction from the SPI of that direction's
 * receiver: our SPI for the inbound SA, the initiator's for the outbound one.
 *
 * What differs between the two ends is policy, passed in: the acceptable transforms and whose order of
 * preference picks among them, the encapsulation modes, the PFS groups and whether PFS is required, the
 * lifetime limits (a lower one is stated in a RESPONDER-LIFETIME notify), the tunnel the IDs must name, and
 * the random source. Pure.
 */
import { randomBytes } from 'node:crypto';
import { createDh, DH_GROUPS, isDhGroupId, type DhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import { resolveEspSuite, type EspSuite } from '../../esp/transforms.js';
import { ProtocolError } from '../../errors.js';
import { DecodeError } from '../../wire/errors.js';
import { randomSpi, SPI_LENGTH, spiFromBytes, spiToBytes, type Spi } from '../../wire/sa-ids.js';
import { Doi, ExchangeType, NotifyType, PayloadType, ProtocolId } from '../constants.js';
import type { IkeSa, OpenedMessage } from '../ike-sa.js';
import { IpsecAttribute } from '../ipsec-attributes.js';
import { hash3, keymat } from '../keys.js';
import type { IdPayload } from '../payloads/id.js';
import type { Payload } from '../payloads/payload.js';
import type { Proposal, SaPayload, Transform } from '../payloads/sa.js';
import { answerSa, encodeLifetimeNotify, readLifetimes } from '../proposals.js';
import { espChoices, isChoice, readEspTransform, type EspPolicy, type EspTransformSpec } from './quick-mode.js';
import { checkQuickModeIds, type IpFamily, type TunnelIds } from './quick-mode-ids.js';
import { checkedNonce } from './nonce.js';

/** What a quick-mode responder may agree to. */
export interface QuickModeResponderPolicy {
  /** The acceptable ESP transforms, in our order of preference; `name` (else the suite's) is for logs. */
  readonly proposals: readonly (EspTransformSpec & { readonly name?: string })[];
  /** Whose order picks among the acceptable offers: ours (`proposals`, as Cisco and strongSwan answer) or the initiator's (vpnc). */
  readonly preference: 'ours' | 'initiator';
  /** ENCAPSULATION_MODE values acceptable for the path in use. */
  readonly encapModes: readonly number[];
  /** A transform without a GROUP_DESCRIPTION (no PFS) is refused. */
  readonly requirePfs: boolean;
  /** The PFS groups accepted. */
  readonly dhGroups: readonly number[];
  /** Our limits on an ESP SA (0 = none of our own): the lower of these and the initiator's wins. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
}

/** What a quick mode responder is given. */
export interface QuickModeResponderParams {
  readonly sa: IkeSa;
  readonly policy: QuickModeResponderPolicy;
  /** What the IDs must name: the client's mode-config address, and the network behind the gateway. */
  readonly tunnel: TunnelIds;
  /** Which ID is the client's: IDci (0) when the client starts the quick mode, IDcr (1) when the gateway does. */
  readonly clientIdIndex: 0 | 1;
  /** Our new inbound SPI; absent: a random one (drawn after Nr). */
  readonly spiIn?: Spi;
  readonly random?: (n: number) => Buffer;
  readonly createDh?: (group: DhGroupId) => DhKeyPair;
}

/** A finished quick mode: the two simplex ESP SAs' parameters. */
export interface QuickModeKeys {
  readonly suite: EspSuite;
  /** Our SPI: the initiator sends with it. */
  readonly spiIn: Spi;
  /** The initiator's SPI: we send with it. */
  readonly spiOut: Spi;
  readonly keymatIn: Buffer;
  readonly keymatOut: Buffer;
  readonly encapMode: number;
  readonly name: string;
  /** The lifetime in force (0 = none): the pair expires then. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
}

/**
 * The client's policy when the gateway rekeys: a transform we would have offered ourselves, in the gateway's
 * order; the encapsulation mode in use; the PFS group the tunnel uses (a rekey may not drop it or change it),
 * or any group or none when it uses none; the gateway's lifetimes.
 */
export function clientRekeyPolicy(policy: EspPolicy, encapMode: number, pfsGroup: number): QuickModeResponderPolicy {
  return {
    proposals: espChoices(policy),
    preference: 'initiator',
    encapModes: [encapMode],
    requirePfs: pfsGroup !== 0,
    dhGroups: pfsGroup ? [pfsGroup] : DH_GROUPS,
    lifetimeSeconds: 0,
    lifetimeKilobytes: 0,
  };
}

/** One transform of the initiator's SA with the numbers that matter for choosing it. */
interface Offer {
  readonly proposal: Proposal;
  readonly transform: Transform;
  readonly values: ReturnType<typeof readEspTransform>;
}

/** The transform picked from QM1's SA. */
interface Choice {
  readonly offer: Offer;
  /** The initiator's SPI: our outbound SPI. */
  readonly peerSpi: Spi;
  readonly suite: EspSuite;
  /** PFS group, 0 without PFS. */
  readonly group: DhGroupId | 0;
  /** The lifetime in force: the lower of the initiator's and ours (0 = none). */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
  /** Our limits are the lower ones: QM2 states them in a RESPONDER-LIFETIME notify. */
  readonly statesLifetime: boolean;
  readonly name: string;
}

/** The initiator's ESP transforms in its order; one with an attribute that is not a number is not acceptable. */
function offersOf(sa: SaPayload): Offer[] {
  const out: Offer[] = [];
  for (const proposal of sa.proposals) {
    if (proposal.protocol !== ProtocolId.IPSEC_ESP || proposal.spi.length !== SPI_LENGTH) continue;
    for (const transform of proposal.transforms) {
      try {
        out.push({ proposal, transform, values: readEspTransform(transform) });
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
  }
  return out;
}

/** The offer's suite and PFS group when `spec` and the policy accept it; PFS exactly when QM1 carries KE. */
function accept(o: Offer, spec: EspTransformSpec, policy: QuickModeResponderPolicy, withKe: boolean): { suite: EspSuite; group: DhGroupId | 0 } | undefined {
  const { auth, keyBits, encap, group } = o.values;
  if (!isChoice(spec, o.transform.id, auth, keyBits) || !policy.encapModes.includes(encap) || (group !== 0) !== withKe) return undefined;
  const pfs = group === 0 ? (policy.requirePfs ? undefined : 0) : policy.dhGroups.includes(group) && isDhGroupId(group) ? group : undefined;
  if (pfs === undefined) return undefined;
  try {
    return { suite: resolveEspSuite(o.transform.id, keyBits || undefined, auth), group: pfs };
  } catch (err) {
    if (err instanceof ProtocolError) return undefined; // a key length this cipher does not have
    throw err;
  }
}

/** min(initiator, ours) per limit, 0 meaning "none"; whether ours are the lower ones. */
function lifetimeInForce(t: Transform, policy: QuickModeResponderPolicy): Pick<Choice, 'lifetimeSeconds' | 'lifetimeKilobytes' | 'statesLifetime'> {
  const theirs = readLifetimes(t.attributes, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
  const lower = (ours: number, offered: number) => (ours > 0 && (offered === 0 || ours < offered) ? ours : offered);
  const lifetimeSeconds = lower(policy.lifetimeSeconds, theirs.seconds);
  const lifetimeKilobytes = lower(policy.lifetimeKilobytes, theirs.kilobytes);
  return { lifetimeSeconds, lifetimeKilobytes, statesLifetime: lifetimeSeconds !== theirs.seconds || lifetimeKilobytes !== theirs.kilobytes };
}

function offerText(o: Offer): string {
  const { auth, keyBits, encap, group } = o.values;
  return `${o.transform.id}/${keyBits ?? 0}/auth${auth}/encap${encap}${group > 0 ? `/dh${group}` : ''}`;
}

/** Picks the ESP transform. Throws ProtocolError NO_PROPOSAL_CHOSEN naming what was offered when none fits. */
function selectEsp(sa: SaPayload, withKe: boolean, policy: QuickModeResponderPolicy, initiator: string): Choice {
  const offers = offersOf(sa);
  const pairs =
    policy.preference === 'ours'
      ? policy.proposals.flatMap((spec) => offers.map((offer) => ({ spec, offer })))
      : offers.flatMap((offer) => policy.proposals.map((spec) => ({ spec, offer })));
  for (const { spec, offer } of pairs) {
    const ok = accept(offer, spec, policy, withKe);
    if (!ok) continue;
    const name = `${spec.name ?? ok.suite.name}${ok.group ? `-dh${ok.group}` : ''}`;
    return { offer, peerSpi: spiFromBytes(offer.proposal.spi), ...ok, ...lifetimeInForce(offer.transform, policy), name };
  }
  // An offer that fits but for its PFS group without a KE payload (or a KE without a group): the KE is what is wrong.
  if (pairs.some(({ spec, offer }) => accept(offer, spec, policy, !withKe))) {
    throw new ProtocolError(withKe ? 'a KE payload without a PFS group in the proposal' : 'PFS proposed without a KE payload', NotifyType.INVALID_KEY_INFORMATION);
  }
  const pfs = policy.requirePfs ? ` with PFS group ${policy.dhGroups.join('/')}` : '';
  const wanted = policy.proposals.map((p) => p.name ?? `${p.transformId}/${p.keyBits ?? 0}/auth${p.auth}`).join(' ');
  throw new ProtocolError(
    `none of ${initiator} quick mode proposals is acceptable${pfs} (acceptable: ${wanted}, encapsulation ${policy.encapModes.join('/')}); ` +
      `offered: ${offers.map(offerText).join(' ') || 'no ESP transform'}`,
    NotifyType.NO_PROPOSAL_CHOSEN,
  );
}

type State =
  | { readonly phase: 'sent-qm2'; readonly choice: Choice; readonly nonceI: Buffer; readonly nonceR: Buffer; readonly spiIn: Spi; readonly gxy: Buffer | undefined }
  | { readonly phase: 'done' };

/** One quick mode under one message id. */
export class QuickModeResponder {
  private state: State;
  /** QM2, kept for retransmission. */
  readonly qm2: Buffer;
  readonly msgId: number;

  /**
   * Answers QM1 (opened by IkeSa.open). Throws ProtocolError with the notify to send back: bad hash,
   * PAYLOAD_MALFORMED, INVALID_ID_INFORMATION, NO_PROPOSAL_CHOSEN, a bad KE.
   */
  constructor(private readonly params: QuickModeResponderParams, qm1: OpenedMessage) {
    const { sa } = params;
    const random = params.random ?? randomBytes;
    const h = qm1.header;
    if (h.exchangeType !== ExchangeType.QUICK || h.messageId === 0) throw new ProtocolError('not a quick mode message', NotifyType.INVALID_EXCHANGE_TYPE);
    this.msgId = h.messageId;
    sa.verifyHash(qm1);
    const rest = qm1.payloads.slice(1);
    const saI = rest.find((p): p is SaPayload => p.type === PayloadType.SA);
    const nonce = rest.find((p) => p.type === PayloadType.NONCE);
    const ke = rest.find((p) => p.type === PayloadType.KE);
    const ids = rest.filter((p): p is IdPayload => p.type === PayloadType.ID);
    if (!saI || !nonce || nonce.type !== PayloadType.NONCE) throw new ProtocolError('QM1 lacks SA or nonce', NotifyType.PAYLOAD_MALFORMED);
    const nonceI = Buffer.from(checkedNonce(nonce.data, 'QM1'));
    checkQuickModeIds(ids, params.clientIdIndex, params.tunnel);
    const initiator = params.clientIdIndex === 0 ? "the client's" : "the gateway's";
    const choice = selectEsp(saI, ke !== undefined, params.policy, initiator);
    let gxy: Buffer | undefined;
    let ourKe: Buffer | undefined;
    if (choice.group !== 0 && ke && ke.type === PayloadType.KE) {
      const dh = (params.createDh ?? createDh)(choice.group);
      gxy = dh.computeSecret(ke.data);
      ourKe = dh.publicValue;
    }
    const nonceR = random(20);
    const spiIn = params.spiIn ?? randomSpi(random);
    const spiInBytes = spiToBytes(spiIn);
    const payloads: Payload[] = [answerSa(choice.offer.proposal, choice.offer.transform, spiInBytes), { type: PayloadType.NONCE, data: nonceR }];
    if (ourKe) payloads.push({ type: PayloadType.KE, data: ourKe });
    payloads.push(...ids);
    if (choice.statesLifetime) {
      const data = encodeLifetimeNotify({ seconds: choice.lifetimeSeconds, kilobytes: choice.lifetimeKilobytes }, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
      payloads.push({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_ESP, messageType: NotifyType.RESPONDER_LIFETIME, spi: spiInBytes, data });
    }
    this.qm2 = sa.sealHashed(ExchangeType.QUICK, this.msgId, payloads, nonceI);
    this.state = { phase: 'sent-qm2', choice, nonceI, nonceR, spiIn, gxy };
  }

  /** The family of the tunnel this quick mode is for. */
  get family(): IpFamily {
    return this.params.tunnel.ours.family;
  }

  /** Checks QM3's HASH(3) and derives the keys. Throws ProtocolError INVALID_HASH_INFORMATION. */
  finish(qm3: OpenedMessage): QuickModeKeys {
    const state = this.state;
    if (state.phase !== 'sent-qm2') throw new ProtocolError('quick mode already finished', NotifyType.INVALID_MESSAGE_ID);
    const { sa } = this.params;
    const first = qm3.payloads[0];
    const expected = hash3(sa.prf, sa.keys.skeyidA, this.msgId, state.nonceI, state.nonceR);
    if (!first || first.type !== PayloadType.HASH || !first.data.equals(expected)) {
      throw new ProtocolError('QM3 HASH(3) does not verify', NotifyType.INVALID_HASH_INFORMATION);
    }
    const { choice } = state;
    const spiOut = choice.peerSpi;
    const input = (spi: Spi) => ({ protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(spi), nonceI: state.nonceI, nonceR: state.nonceR, ...(state.gxy ? { gxy: state.gxy } : {}) });
    const length = choice.suite.keymatLength;
    this.state = { phase: 'done' };
    sa.ivs.forget(this.msgId);
    return {
      suite: choice.suite,
      spiIn: state.spiIn,
      spiOut,
      keymatIn: keymat(sa.prf, sa.keys.skeyidD, input(state.spiIn), length),
      keymatOut: keymat(sa.prf, sa.keys.skeyidD, input(spiOut), length),
      encapMode: choice.offer.values.encap,
      name: choice.name,
      lifetimeSeconds: choice.lifetimeSeconds,
      lifetimeKilobytes: choice.lifetimeKilobytes,
    };
  }
}
