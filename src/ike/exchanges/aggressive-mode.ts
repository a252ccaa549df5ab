/**
 * Phase 1, aggressive mode, initiator side (RFC 2409 5.4 with pre-shared keys), as vpnc runs it:
 *
 *   AM1  HDR, SA, KE, Ni, IDii, VID*                 ->
 *   AM2                              <-  HDR, SA, KE, Nr, IDir, HASH_R, VID*, NAT-D, NAT-D
 *   AM3  HDR*, HASH_I, N(INITIAL-CONTACT), VID, VID, NAT-D, NAT-D   ->
 *
 * Hybrid authentication (HybridInitRSA) replaces AM2's HASH_R with CERT* and SIG (the gateway's certificate
 * chain and its RSA signature of HASH_R, SKEYID = prf(Ni_b | Nr_b, g^xy)), and AM3 adds Cisco's
 * N(PRESHARED_KEY_HASH) = prf(SKEYID, group secret) after INITIAL-CONTACT.
 *
 * Pure: bytes in, bytes out. The session decides about the NAT-T float (port 4500) before sending AM3.
 */
import { randomBytes } from 'node:crypto';
import type { DhKeyPair } from '../../crypto/dh-groups.js';
import { AuthError, ProtocolError } from '../../errors.js';
import { sameCookie, zeroCookie, type IkeCookie } from '../../wire/sa-ids.js';
import { authenticateGateway, subjectOf, type TrustAnchors } from '../cert-verify.js';
import { checkGatewayIdentity } from '../gateway-identity.js';
import { CertEncoding, Doi, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId, notifyTypeName } from '../constants.js';
import { encodePayloadBody, type Payload } from '../payloads/payload.js';
import { IkeSa } from '../ike-sa.js';
import { derivePhase1Keys, hashI, hashR, presharedKeyHash } from '../keys.js';
import { decodeMessage, encodeMessage } from '../message.js';
import type { IdPayload } from '../payloads/id.js';
import type { NatDPayload } from '../payloads/data.js';
import type { SaPayload } from '../payloads/sa.js';
import { buildPhase1Sa, parseLifetimeNotify, selectPhase1Suite, type Phase1Policy } from '../proposals.js';
import { VendorId } from '../vendor-ids.js';
import { IpsecAttribute } from '../ipsec-attributes.js';
import { IkeAttribute } from '../ike-attributes.js';
import { answersUs, detectNat, initiatorSecrets, initiatorVendorIds, natdHash, noPeerFeatures, notePeerVendorId, refusal, type NatStatus, type NattMode, type PeerFeatures, type SocketAddress } from './phase1-common.js';
import { checkedNonce } from './nonce.js';

export { natdHash, type NatStatus, type NattMode, type PeerFeatures, type SocketAddress } from './phase1-common.js';

export interface AggressiveModeParams {
  readonly policy: Phase1Policy;
  /** The group name (IPSec ID), sent as KEY_ID (cisco, fortigate) or USER_FQDN (netscreen). */
  readonly groupName: string;
  readonly idType: typeof IdType.KEY_ID | typeof IdType.USER_FQDN;
  readonly psk: Buffer;
  readonly nattMode: NattMode;
  /** Send the DPD vendor ID (dpd-idle != 0). */
  readonly dpd: boolean;
  /** Send INITIAL-CONTACT in AM3 (not when rekeying). */
  readonly initialContact: boolean;
  readonly random?: (n: number) => Buffer;
  /** Injected key pair (tests); otherwise a fresh one in policy.dhGroup. */
  readonly dh?: DhKeyPair;
  /** The CAs the gateway's certificate must chain to; required when policy.authMode is 'hybrid'. */
  readonly trust?: TrustAnchors;
  /** The gateway's host name as configured (its certificate must name it or the address); none for an address. */
  readonly gatewayName?: string;
}

export interface AggressiveModeResult {
  readonly sa: IkeSa;
  /** AM3, encrypted, to send (after the session has floated to 4500 if it decides to). */
  readonly am3: Buffer;
  readonly peer: PeerFeatures;
  readonly nat: NatStatus;
  /** ESP lifetimes announced in a RESPONDER-LIFETIME notify, if any. */
  readonly espLifetime: { seconds: number; kilobytes: number } | undefined;
  /** The ISAKMP SA's lifetime in seconds as the gateway states it (transform or RESPONDER-LIFETIME); 0 if none. */
  readonly ikeLifetimeSeconds: number;
  /** Hybrid authentication: the verified chain's subjects, gateway first, trusted CA last. */
  readonly gatewayChain?: readonly string[];
}

export class AggressiveModeInitiator {
  readonly cookieI: IkeCookie;
  private readonly random: (n: number) => Buffer;
  private readonly dh: DhKeyPair;
  private readonly nonceI: Buffer;
  private readonly sa: SaPayload;
  private readonly saIb: Buffer;
  private readonly idIi: IdPayload;
  private readonly idIib: Buffer;
  private am1: Buffer | undefined;

  constructor(private readonly params: AggressiveModeParams) {
    this.random = params.random ?? randomBytes;
    ({ dh: this.dh, cookieI: this.cookieI, nonceI: this.nonceI } = initiatorSecrets(params.policy.dhGroup, this.random, params.dh));
    this.sa = buildPhase1Sa(params.policy);
    this.saIb = encodePayloadBody(this.sa);
    this.idIi = {
      type: PayloadType.ID,
      idType: params.idType,
      protocol: 17,
      port: 500,
      data: Buffer.from(params.groupName, 'utf8'),
    };
    this.idIib = encodePayloadBody(this.idIi);
  }

  /** Whether `d` answers our AM1: AM2, or an informational (a refusal), under our initiator cookie. */
  accepts(d: Buffer): boolean {
    return answersUs(d, this.cookieI, ExchangeType.AGGRESSIVE);
  }

  /** AM1. Calling it again returns the same bytes (for retransmission). */
  start(): Buffer {
    if (this.am1) return this.am1;
    const payloads: Payload[] = [
      this.sa,
      { type: PayloadType.KE, data: this.dh.publicValue },
      { type: PayloadType.NONCE, data: this.nonceI },
      this.idIi,
      ...initiatorVendorIds(this.params.nattMode, this.params.dpd),
    ];
    this.am1 = encodeMessage(
      { initiatorCookie: this.cookieI, responderCookie: zeroCookie(), exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 },
      payloads,
    );
    return this.am1;
  }

  /**
   * Processes AM2 (or a refusal) and returns the established SA and AM3. `local` is our address and port
   * as we sent AM1; `remote` the gateway's. Throws AuthError when HASH_R does not verify (wrong group
   * secret), ProtocolError for anything else the gateway got wrong or refused.
   */
  receive(datagram: Buffer, local: SocketAddress, remote: SocketAddress): AggressiveModeResult {
    const msg = decodeMessage(datagram);
    const h = msg.header;
    if (!sameCookie(h.initiatorCookie, this.cookieI)) throw new ProtocolError('AM2 for another exchange (initiator cookie differs)', NotifyType.INVALID_COOKIE);
    if (h.exchangeType === ExchangeType.INFORMATIONAL) throw refusal(msg.payloads, this.params.policy);
    if (h.exchangeType !== ExchangeType.AGGRESSIVE) throw new ProtocolError(`response was exchange type ${h.exchangeType}, not aggressive mode`, NotifyType.INVALID_EXCHANGE_TYPE);
    if (h.flags !== 0) throw new ProtocolError(`AM2 has flags 0x${h.flags.toString(16)}`, NotifyType.INVALID_FLAGS);
    if (h.messageId !== 0) throw new ProtocolError('AM2 has a non-zero message id', NotifyType.INVALID_MESSAGE_ID);
    const ckyR = h.responderCookie;

    let saR: SaPayload | undefined;
    let ke: Buffer | undefined;
    let nonceR: Buffer | undefined;
    let idR: IdPayload | undefined;
    let hashRData: Buffer | undefined;
    let sigData: Buffer | undefined;
    const certs: Buffer[] = [];
    const natd: NatDPayload[] = [];
    const peer = noPeerFeatures();
    let espLifetime: { seconds: number; kilobytes: number } | undefined;
    let ikeLifetimeSeconds = 0;
    for (const p of msg.payloads) {
      switch (p.type) {
        case PayloadType.SA:
          saR = p;
          break;
        case PayloadType.KE:
          ke = p.data;
          break;
        case PayloadType.NONCE:
          nonceR = checkedNonce(p.data, 'AM2');
          break;
        case PayloadType.ID:
          idR = p;
          break;
        case PayloadType.HASH:
          hashRData = p.data;
          break;
        case PayloadType.VENDOR_ID:
          notePeerVendorId(peer, p.data);
          break;
        case PayloadType.NAT_D:
        case PayloadType.NAT_D_DRAFT:
          natd.push(p);
          break;
        case PayloadType.NOTIFICATION:
          if (p.messageType !== NotifyType.RESPONDER_LIFETIME) {
            throw new ProtocolError(`gateway sent notify ${notifyTypeName(p.messageType)} in AM2`, NotifyType.INVALID_PAYLOAD_TYPE);
          }
          if (p.protocol === ProtocolId.IPSEC_ESP) espLifetime = parseLifetimeNotify(p.data, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
          if (p.protocol === ProtocolId.ISAKMP) ikeLifetimeSeconds = parseLifetimeNotify(p.data, IkeAttribute.LIFE_TYPE, IkeAttribute.LIFE_DURATION).seconds;
          break;
        case PayloadType.CERT:
          // Like vpnc: only "X.509 Certificate - Signature" takes part in the chain; other encodings are ignored.
          if (p.encoding === CertEncoding.X509_SIGNATURE) certs.push(p.data);
          break;
        case PayloadType.SIG:
          sigData = p.data;
          break;
        default:
          throw new ProtocolError(`unexpected payload type ${p.type} in AM2`, NotifyType.INVALID_PAYLOAD_TYPE);
      }
    }
    const hybrid = this.params.policy.authMode === 'hybrid';
    if (!hybrid && !hashRData && sigData) {
      throw new ProtocolError('gateway uses certificate (hybrid) authentication: set "IKE Authmode hybrid" and CA-File', NotifyType.INVALID_HASH_INFORMATION);
    }
    if (!saR || !ke || !nonceR || !idR || (!hybrid && !hashRData)) {
      throw new ProtocolError(hybrid ? 'AM2 lacks one of SA, KE, nonce or ID' : 'AM2 lacks one of SA, KE, nonce, ID or HASH', NotifyType.PAYLOAD_MALFORMED);
    }
    const suite = selectPhase1Suite(saR, this.params.policy);
    const gxy = this.dh.computeSecret(ke);
    const keys = derivePhase1Keys({
      hash: suite.hash,
      cipher: suite.cipher,
      auth: hybrid ? { method: 'signature' } : { method: 'psk', psk: this.params.psk },
      nonceI: this.nonceI,
      nonceR,
      gxi: this.dh.publicValue,
      gxr: ke,
      gxy,
      ckyI: this.cookieI,
      ckyR,
    });
    const sa = new IkeSa(this.cookieI, ckyR, suite, keys);
    const hashInput = { gxi: this.dh.publicValue, gxr: ke, ckyI: this.cookieI, ckyR, saIb: this.saIb };
    const expectedR = hashR(sa.prf, keys.skeyid, hashInput, idR.raw ?? encodePayloadBody(idR));
    let gatewayChain: string[] | undefined;
    if (hybrid) {
      if (!sigData) throw new ProtocolError('AM2 lacks the SIG payload hybrid authentication needs', NotifyType.INVALID_SIGNATURE);
      if (!this.params.trust) throw new AuthError('hybrid authentication needs trusted CA certificates (CA-File / CA-Dir)');
      const chain = authenticateGateway(certs, sigData, expectedR, this.params.trust);
      checkGatewayIdentity(chain[0]!, { address: remote.address, name: this.params.gatewayName }, idR);
      gatewayChain = chain.map(subjectOf);
    } else if (!hashRData || !expectedR.equals(hashRData)) {
      throw new AuthError('hash comparison failed: the gateway\'s HASH_R does not match (AUTHENTICATION-FAILED); check the group password (IPSec secret)');
    }

    const nat = detectNat(this.params.nattMode, sa, natd, local, remote);
    const am3Payloads: Payload[] = [{ type: PayloadType.HASH, data: hashI(sa.prf, keys.skeyid, hashInput, this.idIib) }];
    if (this.params.initialContact) {
      am3Payloads.push({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.INITIAL_CONTACT, spi: sa.spi, data: Buffer.alloc(0) });
    }
    if (hybrid) {
      const data = presharedKeyHash(sa.prf, keys.skeyid, this.params.psk);
      am3Payloads.push({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.CISCO_PRESHARED_KEY_HASH, spi: sa.spi, data });
    }
    am3Payloads.push({ type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNKNOWN }, { type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNITY });
    if (nat.natdType !== 0) {
      const t = nat.natdType as NatDPayload['type'];
      const them = natdHash(suite.hash, this.cookieI, ckyR, remote);
      const us = natdHash(suite.hash, this.cookieI, ckyR, local);
      if (this.params.nattMode === 'force-natt') us[0] = us[0]! ^ 1;
      am3Payloads.push({ type: t, hash: them }, { type: t, hash: us });
    }
    const am3 = sa.seal(ExchangeType.AGGRESSIVE, 0, am3Payloads);
    if (!ikeLifetimeSeconds) ikeLifetimeSeconds = sa.suite.lifetimeSeconds;
    return { sa, am3, peer, nat, espLifetime, ikeLifetimeSeconds, ...(gatewayChain ? { gatewayChain } : {}) };
  }

}

