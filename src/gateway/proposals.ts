/**
 * The responder's choice among the initiator's phase-1 proposals: the gateway's own preference order wins (the
 * first `IKE proposals` entry the client also offers), and the chosen transform is echoed back with the client's
 * own attributes, as Cisco concentrators and strongSwan answer. vpnc checks the echo: one proposal, one
 * transform, its group, a LIFE_TYPE always followed by LIFE_DURATION. Quick mode's choice (`ESP proposals`) is
 * the one quick-mode responder's, ike/exchanges/quick-mode-responder.ts, which the client uses too.
 */
import { ProtocolError } from '../errors.js';
import { Doi, NotifyType, ProtocolId } from '../ike/constants.js';
import { IkeAttribute, IkeTransformId, ikeAuthMethodName } from '../ike/ike-attributes.js';
import { attributeNumber } from '../ike/payloads/attributes.js';
import type { SaPayload, Transform } from '../ike/payloads/sa.js';
import { answerSa, authLabel, readLifetimes, type IkeSuite } from '../ike/proposals.js';
import type { IkeProposal } from './algorithms.js';

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
}

function readValues(t: Transform): TransformValues | undefined {
  const v: TransformValues = { enc: t.id, keyBits: 0, hash: -1, group: -1, auth: -1 };
  try {
    for (const a of t.attributes) {
      const n = attributeNumber(a);
      if (a.type === IkeAttribute.ENCRYPTION_ALGORITHM) v.enc = n;
      else if (a.type === IkeAttribute.KEY_LENGTH) v.keyBits = n;
      else if (a.type === IkeAttribute.HASH_ALGORITHM) v.hash = n;
      else if (a.type === IkeAttribute.GROUP_DESCRIPTION) v.group = n;
      else if (a.type === IkeAttribute.AUTHENTICATION_METHOD) v.auth = n;
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
    const v = readValues(t);
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
      const v = readValues(t);
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
