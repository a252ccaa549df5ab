/**
 * What both phase-1 modes share on the initiator's side (aggressive mode, main mode): the NAT-T vendor IDs and
 * NAT-D hashes (RFC 3947), what the peer's vendor IDs say, and the error for a refusal of the first message; and
 * with the gateway's side, the NAT-D hash and the reading of main mode's key exchange (MM3, MM4).
 */
import { createDh, isDhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import { hash as plainHash } from '../../crypto/hash.js';
import { AuthError, ProtocolError } from '../../errors.js';
import { ExchangeType, NotifyType, PayloadType, notifyTypeName } from '../constants.js';
import { decodeHeader } from '../message.js';
import type { Payload } from '../payloads/payload.js';
import type { NatDPayload } from '../payloads/data.js';
import type { IkeSa } from '../ike-sa.js';
import { checkedNonce } from './nonce.js';
import { describeOffer, PROPOSED_LIFETIME, type Phase1Policy } from '../proposals.js';
import { VendorId } from '../vendor-ids.js';
import { ipv4TextToBytes } from '../../wire/ipv4-text.js';
import { randomCookie, sameCookie, type IkeCookie } from '../../wire/sa-ids.js';

export type NattMode = 'natt' | 'none' | 'force-natt' | 'cisco-udp';

export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

/** What phase 1 learnt about the peer. */
export interface PeerFeatures {
  xauth: boolean;
  dpd: boolean;
  unity: boolean;
  /** Best NAT-T version the peer announced: -1 none, 0/1 old drafts (port 500), 2 draft-02+ or RFC 3947. */
  nattVersion: number;
  /** Names of every vendor ID seen, for the debug log. */
  vendorIds: Buffer[];
}

export interface NatStatus {
  /** NAT-D payload type the peer used (20 or 130), 0 when it sent none. */
  readonly natdType: number;
  readonly localBehindNat: boolean;
  readonly remoteBehindNat: boolean;
}

/** NAT-D hash (RFC 3947 3.2): hash(CKY-I | CKY-R | IP | Port) with the negotiated hash. */
export function natdHash(hashName: Parameters<typeof plainHash>[0], ckyI: IkeCookie, ckyR: IkeCookie, addr: SocketAddress): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(addr.port);
  return plainHash(hashName, ckyI, ckyR, ipv4TextToBytes(addr.address), port);
}

export function nattVids(mode: NattMode): Buffer[] {
  if (mode !== 'natt' && mode !== 'force-natt') return [];
  return [VendorId.NATT_RFC3947, VendorId.NATT_DRAFT_03, VendorId.NATT_DRAFT_02N, VendorId.NATT_DRAFT_02, VendorId.NATT_DRAFT_01, VendorId.NATT_DRAFT_00];
}

export function nattVersionOf(vid: Buffer): number {
  if ([VendorId.NATT_RFC3947, VendorId.NATT_DRAFT_03, VendorId.NATT_DRAFT_02N, VendorId.NATT_DRAFT_02].some((v) => v.equals(vid))) return 2;
  if (VendorId.NATT_DRAFT_01.equals(vid)) return 1;
  if (VendorId.NATT_DRAFT_00.equals(vid)) return 0;
  return -1;
}

/** What the first message of either mode announces: XAUTH, Unity, the NAT-T versions we speak, DPD when it is on. */
export function initiatorVendorIds(nattMode: NattMode, dpd: boolean): Payload[] {
  const vids = [VendorId.XAUTH, VendorId.CISCO_UNITY, ...nattVids(nattMode), ...(dpd ? [VendorId.DPD] : [])];
  return vids.map((data): Payload => ({ type: PayloadType.VENDOR_ID, data }));
}

/** The initiator's own values of a phase 1: its DH key pair (injected in tests), cookie and nonce. */
export function initiatorSecrets(group: number, random: (n: number) => Buffer, dh?: DhKeyPair): { dh: DhKeyPair; cookieI: IkeCookie; nonceI: Buffer } {
  if (!isDhGroupId(group)) throw new ProtocolError(`unsupported DH group ${group}`);
  return { dh: dh ?? createDh(group), cookieI: randomCookie(random), nonceI: random(20) };
}

/** Nothing learnt of the peer yet. */
export function noPeerFeatures(): PeerFeatures {
  return { xauth: false, dpd: false, unity: false, nattVersion: -1, vendorIds: [] };
}

/** Notes what one vendor ID of the peer says. */
export function notePeerVendorId(peer: PeerFeatures, vid: Buffer): void {
  peer.vendorIds.push(vid);
  if (vid.equals(VendorId.XAUTH)) peer.xauth = true;
  else if (vid.equals(VendorId.DPD)) peer.dpd = true;
  else if (vid.subarray(0, 14).equals(VendorId.CISCO_UNITY.subarray(0, 14))) peer.unity = true;
  else peer.nattVersion = Math.max(peer.nattVersion, nattVersionOf(vid));
}

/** NAT detection from the peer's NAT-D payloads (RFC 3947 3.2); `force-natt` claims a NAT on our side. */
export function detectNat(mode: NattMode, sa: IkeSa, natd: readonly NatDPayload[], local: SocketAddress, remote: SocketAddress): NatStatus {
  if (natd.length === 0 || (mode !== 'natt' && mode !== 'force-natt')) return { natdType: 0, localBehindNat: false, remoteBehindNat: false };
  const hashName = sa.suite.hash;
  const us = natdHash(hashName, sa.cookieI, sa.cookieR, local);
  const them = natdHash(hashName, sa.cookieI, sa.cookieR, remote);
  // RFC 3947 3.2: the first NAT-D is the hash of the destination (us as the gateway saw us), the others
  // of the sender's addresses.
  const localBehindNat = mode === 'force-natt' || !natd[0]!.hash.equals(us);
  const remoteBehindNat = !natd.slice(1).some((n) => n.hash.equals(them));
  return { natdType: natd[0]!.type, localBehindNat, remoteBehindNat };
}

/** The error for an informational answer to the first message (the gateway refused). */
export function refusal(payloads: readonly Payload[], policy: Phase1Policy, authHint = 'check the group name (IPSec ID) and group password (IPSec secret)'): Error {
  const n = payloads.find((p) => p.type === PayloadType.NOTIFICATION);
  if (!n || n.type !== PayloadType.NOTIFICATION) return new ProtocolError('gateway answered aggressive mode with an informational message');
  const name = notifyTypeName(n.messageType);
  if (n.messageType === NotifyType.NO_PROPOSAL_CHOSEN) {
    // FortiGate refuses a lifetime above its keylife (a day by default), vpnc's 2147483 s among them (ndpgroup/vpnc PR #9).
    const lifetime = policy.lifetimeSeconds ?? PROPOSED_LIFETIME;
    const hint = lifetime > 86400 ? `; a gateway may refuse the lifetime of ${lifetime} s (FortiGate does): try --vendor fortigate or --ike-lifetime 28800` : '';
    return new ProtocolError(`gateway refused phase 1: NO-PROPOSAL-CHOSEN (${describeOffer(policy)})${hint}`, n.messageType);
  }
  if (n.messageType === NotifyType.AUTHENTICATION_FAILED || n.messageType === NotifyType.INVALID_ID_INFORMATION) {
    return new AuthError(`gateway refused phase 1: ${name}; ${authHint}`);
  }
  return new ProtocolError(`gateway refused phase 1: ${name}`, n.messageType);
}

/** Whether `d` answers our first message: `exchangeType` or an informational (a refusal), under our initiator cookie. */
export function answersUs(d: Buffer, cookieI: IkeCookie, exchangeType: number): boolean {
  let h;
  try {
    h = decodeHeader(d);
  } catch {
    return false;
  }
  return sameCookie(h.initiatorCookie, cookieI) && (h.exchangeType === exchangeType || h.exchangeType === ExchangeType.INFORMATIONAL);
}

/**
 * The KE, nonce and NAT-D payloads of main mode's MM3 or MM4 (RFC 2409 5.1, RFC 3947 3.2: both carry the same);
 * `other` sees every other payload. Throws ProtocolError (PAYLOAD-MALFORMED) without KE or nonce, or for a bad nonce.
 */
export function mainModeKeyExchange(
  payloads: readonly Payload[],
  message: 'MM3' | 'MM4',
  other?: (p: Payload) => void,
): { ke: Buffer; nonce: Buffer; natd: NatDPayload[] } {
  let ke: Buffer | undefined;
  let nonce: Buffer | undefined;
  const natd: NatDPayload[] = [];
  for (const p of payloads) {
    if (p.type === PayloadType.KE) ke = p.data;
    else if (p.type === PayloadType.NONCE) nonce = checkedNonce(p.data, message);
    else if (p.type === PayloadType.NAT_D || p.type === PayloadType.NAT_D_DRAFT) natd.push(p);
    else other?.(p);
  }
  if (!ke || !nonce) throw new ProtocolError(`${message} lacks the KE or nonce payload`, NotifyType.PAYLOAD_MALFORMED);
  return { ke, nonce, natd };
}
