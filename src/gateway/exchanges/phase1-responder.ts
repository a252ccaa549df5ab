/**
 * What both phase-1 modes share on the gateway's side (aggressive mode with a pre-shared key, main mode with RSA
 * signatures): the parameters, what the initiator's vendor IDs announce, the vendor IDs and NAT-D payloads we
 * answer with (RFC 3947), the NAT status from the initiator's NAT-D payloads, and the interface the peer drives
 * either mode through.
 */
import type { DhKeyPair } from '../../crypto/dh-groups.js';
import { Doi, IkeAttribute, IkeAuthMethod, LifeType, NotifyType, PayloadType, ProtocolId } from '../../ike/constants.js';
import { natdHash, type SocketAddress } from '../../ike/exchanges/phase1-common.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import type { NatDPayload } from '../../ike/payloads/data.js';
import type { Payload } from '../../ike/payloads/payload.js';
import { VendorId } from '../../ike/vendor-ids.js';
import { cookiePairBytes, type IkeCookie } from '../../wire/sa-ids.js';
import type { DialectRules } from '../dialect.js';
import type { Phase1Policy } from '../proposals.js';

/** How the gateway answers either mode. */
export interface Phase1ResponderParams {
  readonly policy: Phase1Policy;
  /** Announce and accept DPD (RFC 3706). */
  readonly dpd: boolean;
  /** Our address and IKE port as the client addressed us. */
  readonly local: SocketAddress;
  /** The client's address and port as its first message arrived. */
  readonly remote: SocketAddress;
  readonly random?: (n: number) => Buffer;
  /** Key pair factory (tests inject fixed keys). */
  readonly createDh?: (group: number) => DhKeyPair;
  /** What the vendor dialect puts in the second message (default: Cisco's). */
  readonly dialect?: Pick<DialectRules, 'vendorIds' | 'unity' | 'malformedResponderLifetime' | 'maxIkeLifetime'>;
}

/** NAT-T as negotiated: which NAT-D payload number, and which VID we answered with. */
export interface NattNegotiation {
  /** 20 (RFC 3947), 130 (drafts 02/03) or 0 when the client announced no NAT-T we speak. */
  readonly natdType: 0 | typeof PayloadType.NAT_D | typeof PayloadType.NAT_D_DRAFT;
  readonly vendorId: Buffer | undefined;
}

/** What the client announced in its first message. */
export interface InitiatorFeatures {
  readonly xauth: boolean;
  readonly unity: boolean;
  readonly dpd: boolean;
  readonly natt: NattNegotiation;
}

/** NAT as the initiator's NAT-D payloads show it. */
export interface NatFindings {
  /** The initiator's hashes of itself disagree with its address as we saw it (or it forced NAT-T). */
  readonly initiatorBehindNat: boolean;
  /** The initiator's hash of our address disagrees with ours. */
  readonly responderBehindNat: boolean;
}

/** Phase 1 is done. */
export interface Phase1Established extends NatFindings {
  readonly sa: IkeSa;
  readonly features: InitiatorFeatures;
  readonly initialContact: boolean;
  /** Who authenticated, for the logs: the group name, or the subject of the client's certificate. */
  readonly peerId: string;
}

/** What one of the client's phase-1 messages led to: an answer, or the end of phase 1 (with a last answer in main mode). */
export type Phase1Step = { readonly kind: 'answer'; readonly data: Buffer } | { readonly kind: 'established'; readonly result: Phase1Established; readonly answer?: Buffer };

/** Either mode, as the peer drives it. */
export interface Phase1Responder {
  readonly mode: 'aggressive' | 'main';
  readonly cookieI: IkeCookie;
  readonly cookieR: IkeCookie;
  /** The answer to the first message (AM2, MM2). */
  readonly firstAnswer: Buffer;
  /** Who the client says it is, once it has said (the group of AM1; the certificate's subject after MM5). */
  readonly peerId: string | undefined;
  /** The client's next message. Throws AuthError when it fails to authenticate, ProtocolError when it is malformed. */
  receive(datagram: Buffer): Phase1Step;
}

const UNITY_PREFIX = VendorId.CISCO_UNITY.subarray(0, 14);

/** The client's NAT-T VIDs, best first (RFC 3947 beats the drafts; drafts 00/01 are not spoken). */
function negotiateNatt(vids: readonly Buffer[]): NattNegotiation {
  if (vids.some((v) => v.equals(VendorId.NATT_RFC3947))) return { natdType: PayloadType.NAT_D, vendorId: VendorId.NATT_RFC3947 };
  for (const draft of [VendorId.NATT_DRAFT_03, VendorId.NATT_DRAFT_02N, VendorId.NATT_DRAFT_02]) {
    if (vids.some((v) => v.equals(draft))) return { natdType: PayloadType.NAT_D_DRAFT, vendorId: draft };
  }
  return { natdType: 0, vendorId: undefined };
}

/** What the client's vendor IDs announce. */
export function initiatorFeatures(vids: readonly Buffer[]): InitiatorFeatures {
  return {
    xauth: vids.some((v) => v.equals(VendorId.XAUTH)),
    unity: vids.some((v) => v.length === 16 && v.subarray(0, 14).equals(UNITY_PREFIX)),
    dpd: vids.some((v) => v.equals(VendorId.DPD)),
    natt: negotiateNatt(vids),
  };
}

/**
 * FortiGate's RESPONDER-LIFETIME for the ISAKMP SA as openwrt/packages#2423 shows it: LIFE_TYPE seconds, then
 * not LIFE_DURATION but attribute 2 (HASH_ALGORITHM) carrying the seconds as a 4-byte variable-length value.
 */
function fortigateLifetimeNotify(cookieI: IkeCookie, cookieR: IkeCookie, seconds: number): Payload {
  const data = Buffer.from([0x80, IkeAttribute.LIFE_TYPE, 0x00, LifeType.SECONDS, 0x00, IkeAttribute.HASH_ALGORITHM, 0x00, 0x04, 0, 0, 0, 0]);
  data.writeUInt32BE(seconds, 8);
  return { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.RESPONDER_LIFETIME, spi: cookiePairBytes(cookieI, cookieR), data };
}

/** The dialect's lifetime notify (FortiGate) and the vendor IDs of our second message: XAUTH, Unity, the dialect's, DPD, NAT-T. */
export function responderAnnouncements(params: Phase1ResponderParams, dialect: NonNullable<Phase1ResponderParams['dialect']>, features: InitiatorFeatures, cookieI: IkeCookie, cookieR: IkeCookie): Payload[] {
  const payloads: Payload[] = [];
  if (dialect.malformedResponderLifetime) payloads.push(fortigateLifetimeNotify(cookieI, cookieR, dialect.maxIkeLifetime));
  const ourVids = [...(dialect.unity ? [VendorId.CISCO_UNITY] : []), ...dialect.vendorIds];
  const method = params.policy.authMethod;
  if (method === IkeAuthMethod.XAUTHInitPreShared || method === IkeAuthMethod.XAUTHInitRSA) ourVids.unshift(VendorId.XAUTH);
  if (params.dpd && features.dpd) ourVids.push(VendorId.DPD);
  if (features.natt.vendorId) ourVids.push(features.natt.vendorId);
  for (const data of ourVids) payloads.push({ type: PayloadType.VENDOR_ID, data });
  return payloads;
}

/** Our NAT-D pair (RFC 3947 3.2): the initiator's address as we see it, then ours; none without NAT-T. */
export function responderNatd(natt: NattNegotiation, hashName: IkeSa['suite']['hash'], cookieI: IkeCookie, cookieR: IkeCookie, params: Phase1ResponderParams): Payload[] {
  const t = natt.natdType;
  if (t === 0) return [];
  return [
    { type: t, hash: natdHash(hashName, cookieI, cookieR, params.remote) },
    { type: t, hash: natdHash(hashName, cookieI, cookieR, params.local) },
  ];
}

/** NAT from the initiator's NAT-D payloads: the first hashes us as it addressed us, the others itself. */
export function natFindings(natd: readonly NatDPayload[], hashName: IkeSa['suite']['hash'], cookieI: IkeCookie, cookieR: IkeCookie, params: Phase1ResponderParams): NatFindings {
  if (natd.length === 0) return { initiatorBehindNat: false, responderBehindNat: false };
  const us = natdHash(hashName, cookieI, cookieR, params.local);
  const them = natdHash(hashName, cookieI, cookieR, params.remote);
  return { responderBehindNat: !natd[0]!.hash.equals(us), initiatorBehindNat: !natd.slice(1).some((n) => n.hash.equals(them)) };
}
