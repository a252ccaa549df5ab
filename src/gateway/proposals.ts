/**
 * The responder's choice among the initiator's proposals: the gateway's own preference order wins (the first
 * `IKE proposals` / `ESP proposals` entry the client also offers), and the chosen transform is echoed back
 * with the client's own attributes, as Cisco concentrators and strongSwan answer. vpnc checks the echo:
 * one proposal, one transform, its group, a LIFE_TYPE always followed by LIFE_DURATION.
 */
import { resolveEspSuite, type EspSuite } from '../esp/transforms.js';
import { ProtocolError } from '../errors.js';
import { Doi, IpsecSituation, NotifyType, PayloadType, ProtocolId } from '../ike/constants.js';
import { IkeAttribute, IkeTransformId, ikeAuthMethodName } from '../ike/ike-attributes.js';
import { IpsecAttribute } from '../ike/ipsec-attributes.js';
import { attributeNumber } from '../ike/payloads/attributes.js';
import type { Proposal, SaPayload, Transform } from '../ike/payloads/sa.js';
import { authLabel, readLifetimes, type IkeSuite } from '../ike/proposals.js';
import type { EspProposal, IkeProposal } from './algorithms.js';

/** What phase 1 may agree to. */
export interface Phase1Policy {
  readonly proposals: readonly IkeProposal[];
  readonly dhGroups: readonly number[];
  /** XAUTHInitPreShared when the gateway has XAUTH users, PRESHARED_KEY otherwise. */
  readonly authMethod: number;
  /** Transforms proposing a longer lifetime (seconds) are not acceptable; 0 or absent: any. */
  readonly maxLifetimeSeconds?: number;
}

/** The transform picked from the initiator's phase-1 SA. */
export interface Phase1Choice {
  readonly suite: IkeSuite;
  /** The SA payload for AM2: the client's proposal number with the one chosen transform. */
  readonly answer: SaPayload;
}

/** Numbers read from one transform; -1 when absent. */
interface TransformValues {
  enc: number;
  keyBits: number;
  hash: number;
  group: number;
  auth: number;
  encap: number;
}

function readValues(t: Transform, kind: 'ike' | 'esp'): TransformValues | undefined {
  const v: TransformValues = { enc: t.id, keyBits: 0, hash: -1, group: -1, auth: -1, encap: -1 };
  try {
    for (const a of t.attributes) {
      const n = attributeNumber(a);
      if (kind === 'ike') {
        if (a.type === IkeAttribute.ENCRYPTION_ALGORITHM) v.enc = n;
        else if (a.type === IkeAttribute.KEY_LENGTH) v.keyBits = n;
        else if (a.type === IkeAttribute.HASH_ALGORITHM) v.hash = n;
        else if (a.type === IkeAttribute.GROUP_DESCRIPTION) v.group = n;
        else if (a.type === IkeAttribute.AUTHENTICATION_METHOD) v.auth = n;
      } else if (a.type === IpsecAttribute.KEY_LENGTH) v.keyBits = n;
      else if (a.type === IpsecAttribute.AUTHENTICATION_ALGORITHM) v.auth = n;
      else if (a.type === IpsecAttribute.GROUP_DESCRIPTION) v.group = n;
      else if (a.type === IpsecAttribute.ENCAPSULATION_MODE) v.encap = n;
    }
  } catch {
    return undefined; // an attribute that is not a number: this transform is unusable
  }
  return v;
}

/** A short description of the initiator's offer for the NO-PROPOSAL-CHOSEN log line. */
function describeIkeOffer(transforms: readonly Transform[]): string {
  const seen = new Set<string>();
  for (const t of transforms) {
    const v = readValues(t, 'ike');
    if (v) seen.add(`enc ${v.enc}/${v.keyBits} hash ${v.hash} group ${v.group} auth ${ikeAuthMethodName(v.auth)}`);
  }
  return [...seen].slice(0, 6).join('; ') + (seen.size > 6 ? `; ... (${seen.size} in all)` : '');
}

/**
 * Picks the phase-1 transform. Throws ProtocolError NO_PROPOSAL_CHOSEN (with the offer in the message) when
 * nothing matches, BAD_PROPOSAL_SYNTAX when the SA has no ISAKMP proposal.
 */
export function selectPhase1(sa: SaPayload, policy: Phase1Policy): Phase1Choice {
  if (sa.doi !== Doi.IPSEC) throw new ProtocolError(`phase-1 SA has DOI ${sa.doi}, not IPsec`, NotifyType.DOI_NOT_SUPPORTED);
  const proposal = sa.proposals.find((p) => p.protocol === ProtocolId.ISAKMP);
  if (!proposal) throw new ProtocolError('phase-1 SA holds no ISAKMP proposal', NotifyType.BAD_PROPOSAL_SYNTAX);
  for (const wanted of policy.proposals) {
    for (const t of proposal.transforms) {
      if (t.id !== IkeTransformId.KEY_IKE) continue;
      const v = readValues(t, 'ike');
      if (!v || v.enc !== wanted.cipher.id || v.keyBits !== wanted.cipher.keyBits || v.hash !== wanted.hash.id) continue;
      if (v.auth !== policy.authMethod || !policy.dhGroups.includes(v.group)) continue;
      const life = readLifetimes(t.attributes, IkeAttribute.LIFE_TYPE, IkeAttribute.LIFE_DURATION);
      if (policy.maxLifetimeSeconds && life.seconds > policy.maxLifetimeSeconds) continue;
      return {
        suite: {
          cipher: wanted.cipher.cipher,
          hash: wanted.hash.hash,
          group: v.group,
          authMethod: v.auth,
          lifetimeSeconds: life.seconds,
          lifetimeKilobytes: life.kilobytes,
          name: `${authLabel(v.auth)}-${wanted.cipher.name}-${wanted.hash.name}-dh${v.group}`,
        },
        answer: answerSa(proposal, t, Buffer.alloc(0)),
      };
    }
  }
  throw new ProtocolError(
    `no phase-1 proposal acceptable (${authLabel(policy.authMethod)} with ${policy.proposals.map((p) => p.name).join('/')} and ` +
      `dh${policy.dhGroups.join('/dh')}${policy.maxLifetimeSeconds ? `, lifetime at most ${policy.maxLifetimeSeconds} s` : ''}); ` +
      `the client offered: ${describeIkeOffer(proposal.transforms)}`,
    NotifyType.NO_PROPOSAL_CHOSEN,
  );
}

/** An SA payload answering with one proposal (the client's number, our SPI) and one transform. */
function answerSa(p: Proposal, t: Transform, spi: Buffer): SaPayload {
  return {
    type: PayloadType.SA,
    doi: Doi.IPSEC,
    situation: IpsecSituation.IDENTITY_ONLY,
    proposals: [{ number: p.number, protocol: p.protocol, spi, transforms: [t] }],
  };
}

/** What quick mode may agree to. */
export interface EspPolicy {
  readonly proposals: readonly EspProposal[];
  /** Require a PFS group in the proposal. */
  readonly requirePfs: boolean;
  /** PFS groups accepted when the client proposes one. */
  readonly dhGroups: readonly number[];
  /** ENCAPSULATION_MODE values acceptable for how this client reached us (tunnel, or UDP tunnel after NAT-T). */
  readonly encapModes: readonly number[];
  /** Limits the gateway imposes on an ESP SA (0 = none of its own): the lower of these and the client's wins. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
}

/** The ESP transform picked from a quick-mode SA. */
export interface EspChoice {
  readonly suite: EspSuite;
  /** The client's SPI: our outbound SPI. */
  readonly peerSpi: Buffer;
  /** PFS group, 0 without PFS. */
  readonly group: number;
  readonly encapMode: number;
  /** The lifetime in force: the lower of what the client proposed and what the gateway imposes (0 = none). */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
  /** The gateway's limits are lower than the client's: QM2 states them in a RESPONDER-LIFETIME notify. */
  readonly statesLifetime: boolean;
  /** The SA payload for QM2 (set our SPI with {@link withSpi}). */
  readonly answer: SaPayload;
  readonly name: string;
}

/** The ESP choice answered with our inbound SPI. */
export function withSpi(choice: EspChoice, spi: Buffer): SaPayload {
  const p = choice.answer.proposals[0]!;
  return { ...choice.answer, proposals: [{ ...p, spi }] };
}

/**
 * Picks an ESP proposal (vpnc sends one per cipher and hash). Throws ProtocolError NO_PROPOSAL_CHOSEN when
 * none fits the policy, naming what was offered.
 */
export function selectEsp(sa: SaPayload, policy: EspPolicy): EspChoice {
  const offers = sa.proposals.filter((p) => p.protocol === ProtocolId.IPSEC_ESP && p.spi.length === 4 && p.transforms.length > 0);
  for (const wanted of policy.proposals) {
    for (const p of offers) {
      for (const t of p.transforms) {
        const v = readValues(t, 'esp');
        if (!v || t.id !== wanted.transformId || v.keyBits !== wanted.keyBits) continue;
        if (v.auth !== wanted.auth || !policy.encapModes.includes(v.encap)) continue;
        const group = v.group < 0 ? 0 : v.group;
        if (group === 0 ? policy.requirePfs : !policy.dhGroups.includes(group)) continue;
        const life = readLifetimes(t.attributes, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
        return {
          suite: resolveEspSuite(t.id, v.keyBits || undefined, v.auth),
          peerSpi: Buffer.from(p.spi),
          group,
          encapMode: v.encap,
          ...lifetimeInForce(life, policy),
          answer: answerSa(p, t, p.spi),
          name: wanted.name + (group ? `-dh${group}` : ''),
        };
      }
    }
  }
  const offered = offers.map((p) => p.transforms.map((t) => describeEsp(t)).join(',')).join(' ');
  throw new ProtocolError(
    `no ESP proposal acceptable (${policy.proposals.map((p) => p.name).join('/')}, encapsulation ${policy.encapModes.join('/')}` +
      `${policy.requirePfs ? ', PFS required' : ''}); the client offered: ${offered}`,
    NotifyType.NO_PROPOSAL_CHOSEN,
  );
}

/** min(client, gateway) per limit, 0 meaning "none"; whether the gateway's limits are the lower ones. */
function lifetimeInForce(client: { seconds: number; kilobytes: number }, policy: EspPolicy): Pick<EspChoice, 'lifetimeSeconds' | 'lifetimeKilobytes' | 'statesLifetime'> {
  const lower = (ours: number, theirs: number) => (ours > 0 && (theirs === 0 || ours < theirs) ? ours : theirs);
  const lifetimeSeconds = lower(policy.lifetimeSeconds, client.seconds);
  const lifetimeKilobytes = lower(policy.lifetimeKilobytes, client.kilobytes);
  return { lifetimeSeconds, lifetimeKilobytes, statesLifetime: lifetimeSeconds !== client.seconds || lifetimeKilobytes !== client.kilobytes };
}

function describeEsp(t: Transform): string {
  const v = readValues(t, 'esp');
  return v ? `${t.id}/${v.keyBits}/auth${v.auth}/encap${v.encap}${v.group > 0 ? `/dh${v.group}` : ''}` : `${t.id}/?`;
}

