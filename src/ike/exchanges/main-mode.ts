/**
 * Phase 1, main mode with RSA signatures, initiator side (RFC 2409 5.1), the certificate authentication vpnc
 * never had (`--auth-mode cert`):
 *
 *   MM1  HDR, SA, VID*                              ->
 *   MM2                                  <-  HDR, SA, VID*
 *   MM3  HDR, KE, Ni, CR, NAT-D, NAT-D                ->
 *   MM4                                  <-  HDR, KE, Nr, [CR], NAT-D, NAT-D
 *   MM5  HDR*, IDii, CERT*, SIG_I, [N(INITIAL-CONTACT)] ->   (from port 4500 when a NAT was found)
 *   MM6                                  <-  HDR*, IDir, CERT*, SIG_R
 *
 * SKEYID = prf(Ni_b | Nr_b, g^xy); SIG_I is HASH_I signed with our RSA key (PKCS#1 v1.5 type 1, no DigestInfo,
 * as IKEv1 signs), IDii our certificate's subject (ID_DER_ASN1_DN); the gateway's chain and SIG_R are checked
 * against the trust anchors as in hybrid mode. The CR in MM3 asks the gateway for its certificate (strongSwan
 * sends it only when asked). XAUTH and mode config follow as after aggressive mode. Pure: bytes in, bytes out.
 */
import { constants, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import type { DhKeyPair } from '../../crypto/dh-groups.js';
import { AuthError, ProtocolError } from '../../errors.js';
import { sameCookie, zeroCookie, type IkeCookie } from '../../wire/sa-ids.js';
import { authenticateGateway, subjectOf, type TrustAnchors } from '../cert-verify.js';
import { checkGatewayIdentity } from '../gateway-identity.js';
import { CertEncoding, Doi, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId } from '../constants.js';
import { subjectDer } from '../der-name.js';
import { IkeAttribute } from '../ike-attributes.js';
import { IkeSa } from '../ike-sa.js';
import { derivePhase1Keys, hashI, hashR } from '../keys.js';
import { decodeHeader, decodeMessage, encodeMessage } from '../message.js';
import type { IdPayload } from '../payloads/id.js';
import { encodePayloadBody, type Payload } from '../payloads/payload.js';
import type { SaPayload } from '../payloads/sa.js';
import { buildPhase1Sa, parseLifetimeNotify, selectPhase1Suite, type IkeSuite, type Phase1Policy } from '../proposals.js';
import { VendorId } from '../vendor-ids.js';
import { answersUs, detectNat, initiatorSecrets, initiatorVendorIds, mainModeKeyExchange, natdHash, noPeerFeatures, notePeerVendorId, refusal, type NatStatus, type NattMode, type PeerFeatures, type SocketAddress } from './phase1-common.js';

/** Our certificate chain (DER, ours first) and its private key. */
export interface ClientCredentials {
  readonly chain: readonly Buffer[];
  readonly key: KeyObject;
}

export interface MainModeParams {
  /** authMode 'cert'. */
  readonly policy: Phase1Policy;
  readonly credentials: ClientCredentials;
  readonly trust: TrustAnchors;
  /** The gateway's host name as configured (its certificate must name it or the address); none for an address. */
  readonly gatewayName?: string;
  readonly nattMode: NattMode;
  readonly dpd: boolean;
  readonly initialContact: boolean;
  readonly random?: (n: number) => Buffer;
  readonly dh?: DhKeyPair;
}

/** After MM4: what the session needs to decide the float, and MM5 to send then. */
export interface MainModeKeyed {
  readonly sa: IkeSa;
  readonly nat: NatStatus;
  readonly peer: PeerFeatures;
}

export interface MainModeResult {
  readonly sa: IkeSa;
  readonly ikeLifetimeSeconds: number;
  /** The verified chain's subjects, gateway first, trusted CA last. */
  readonly gatewayChain: readonly string[];
}

type Stage = { kind: 'mm1' } | { kind: 'mm3'; suite: IkeSuite; ckyR: IkeCookie } | { kind: 'mm5'; sa: IkeSa; gxr: Buffer } | { kind: 'done' };

export class MainModeInitiator {
  readonly cookieI: IkeCookie;
  private readonly dh: DhKeyPair;
  private readonly nonceI: Buffer;
  /** Our SA payload (MM1) and its body, SAi_b of HASH_I and HASH_R. */
  private readonly sa: SaPayload;
  private readonly saIb: Buffer;
  private readonly idIi: IdPayload;
  private readonly peer = noPeerFeatures();
  private stage: Stage = { kind: 'mm1' };
  private ikeLifetimeSeconds = 0;
  private mm1: Buffer | undefined;
  /** Where the gateway is (from MM2 on): its certificate must name it. */
  private remote: SocketAddress | undefined;

  constructor(private readonly params: MainModeParams) {
    ({ dh: this.dh, cookieI: this.cookieI, nonceI: this.nonceI } = initiatorSecrets(params.policy.dhGroup, params.random ?? randomBytes, params.dh));
    this.sa = buildPhase1Sa(params.policy);
    this.saIb = encodePayloadBody(this.sa);
    const leaf = params.credentials.chain[0];
    if (!leaf) throw new AuthError('certificate authentication needs our certificate');
    this.idIi = { type: PayloadType.ID, idType: IdType.DER_ASN1_DN, protocol: 17, port: 500, data: subjectDer(leaf) };
  }

  /** Whether `d` belongs to this exchange: main mode or an informational (a refusal) under our cookie. */
  accepts(d: Buffer): boolean {
    return answersUs(d, this.cookieI, ExchangeType.IDENTITY_PROTECTION);
  }

  /**
   * Whether `d` may be MM6 (or a refusal): an informational under our cookie, or main mode encrypted under the new
   * SA whose payloads decode. A repeated MM4 or junk with our cookies is passed over, not the end of phase 1.
   */
  acceptsMm6(d: Buffer): boolean {
    if (this.stage.kind !== 'mm5' || !this.accepts(d)) return false;
    const h = decodeHeader(d);
    return h.exchangeType === ExchangeType.INFORMATIONAL || this.stage.sa.decodes(d);
  }

  /** MM1 (the same bytes on every call). */
  start(): Buffer {
    if (this.mm1) return this.mm1;
    this.mm1 = this.plain(zeroCookie(), [this.sa, ...initiatorVendorIds(this.params.nattMode, this.params.dpd)]);
    return this.mm1;
  }

  /** MM2 in, MM3 out. */
  receiveMm2(datagram: Buffer, local: SocketAddress, remote: SocketAddress): Buffer {
    if (this.stage.kind !== 'mm1') throw new ProtocolError('MM2 out of turn');
    this.remote = remote;
    const msg = this.open(datagram, 'MM2');
    let saR: SaPayload | undefined;
    for (const p of msg.payloads) {
      if (p.type === PayloadType.SA) saR = p;
      else if (p.type === PayloadType.VENDOR_ID) notePeerVendorId(this.peer, p.data);
      else if (p.type === PayloadType.NOTIFICATION) this.lifetimeNotify(p);
      else throw new ProtocolError(`unexpected payload type ${p.type} in MM2`, NotifyType.INVALID_PAYLOAD_TYPE);
    }
    if (!saR) throw new ProtocolError('MM2 lacks the SA payload', NotifyType.PAYLOAD_MALFORMED);
    const suite = selectPhase1Suite(saR, this.params.policy);
    const ckyR = msg.header.responderCookie;
    this.stage = { kind: 'mm3', suite, ckyR };
    const payloads: Payload[] = [
      { type: PayloadType.KE, data: this.dh.publicValue },
      { type: PayloadType.NONCE, data: this.nonceI },
      { type: PayloadType.CR, encoding: CertEncoding.X509_SIGNATURE, authority: Buffer.alloc(0) },
    ];
    const nattMode = this.params.nattMode;
    if (this.peer.nattVersion >= 0 && (nattMode === 'natt' || nattMode === 'force-natt')) {
      // RFC 3947 3.2: first the peer's address as we send to it, then ours (faked for force-natt).
      const type = this.peer.nattVersion >= 2 && this.peer.vendorIds.some((v) => v.equals(VendorId.NATT_RFC3947)) ? PayloadType.NAT_D : PayloadType.NAT_D_DRAFT;
      const us = natdHash(suite.hash, this.cookieI, ckyR, local);
      if (nattMode === 'force-natt') us[0] = us[0]! ^ 1;
      payloads.push({ type, hash: natdHash(suite.hash, this.cookieI, ckyR, remote) }, { type, hash: us });
    }
    return this.plain(ckyR, payloads);
  }

  /** MM4 in: the keys exist, NAT is known; the session floats if it must, then sends mm5(). */
  receiveMm4(datagram: Buffer, local: SocketAddress, remote: SocketAddress): MainModeKeyed {
    if (this.stage.kind !== 'mm3') throw new ProtocolError('MM4 out of turn');
    const { suite, ckyR } = this.stage;
    const msg = this.open(datagram, 'MM4');
    const { ke, nonce: nonceR, natd } = mainModeKeyExchange(msg.payloads, 'MM4', (p) => {
      if (p.type === PayloadType.VENDOR_ID) notePeerVendorId(this.peer, p.data);
      else if (p.type !== PayloadType.CR) throw new ProtocolError(`unexpected payload type ${p.type} in MM4`, NotifyType.INVALID_PAYLOAD_TYPE);
    });
    const keys = derivePhase1Keys({ hash: suite.hash, cipher: suite.cipher, auth: { method: 'signature' }, nonceI: this.nonceI, nonceR, gxi: this.dh.publicValue, gxr: ke, gxy: this.dh.computeSecret(ke), ckyI: this.cookieI, ckyR });
    const sa = new IkeSa(this.cookieI, ckyR, suite, keys);
    this.stage = { kind: 'mm5', sa, gxr: ke };
    return { sa, nat: detectNat(this.params.nattMode, sa, natd, local, remote), peer: this.peer };
  }

  /** MM5, encrypted (the same bytes on every call: the IV chain has moved on once it is sealed). */
  mm5(): Buffer {
    if (this.stage.kind !== 'mm5') throw new ProtocolError('MM5 before MM4');
    if (this.mm5Bytes) return this.mm5Bytes;
    const { sa, gxr } = this.stage;
    const input = { gxi: this.dh.publicValue, gxr, ckyI: this.cookieI, ckyR: sa.cookieR, saIb: this.saIb };
    const signature = privateEncrypt({ key: this.params.credentials.key, padding: constants.RSA_PKCS1_PADDING }, hashI(sa.prf, sa.keys.skeyid, input, encodePayloadBody(this.idIi)));
    const payloads: Payload[] = [
      this.idIi,
      ...this.params.credentials.chain.map((data): Payload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data })),
      { type: PayloadType.SIG, data: signature },
    ];
    if (this.params.initialContact) payloads.push({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.INITIAL_CONTACT, spi: sa.spi, data: Buffer.alloc(0) });
    this.mm5Bytes = sa.seal(ExchangeType.IDENTITY_PROTECTION, 0, payloads);
    return this.mm5Bytes;
  }
  private mm5Bytes: Buffer | undefined;

  /** MM6 in: the gateway's chain and SIG_R checked; the ISAKMP SA is ours. */
  receiveMm6(datagram: Buffer): MainModeResult {
    if (this.stage.kind !== 'mm5') throw new ProtocolError('MM6 out of turn');
    const { sa, gxr } = this.stage;
    const h = decodeHeader(datagram);
    if (h.exchangeType === ExchangeType.INFORMATIONAL) {
      // A refusal of MM5: encrypted under the new SA, or (some gateways) in the clear.
      const payloads = h.flags & 0x01 ? sa.open(datagram).payloads : decodeMessage(datagram).payloads;
      throw refusal(payloads, this.params.policy, "check our certificate, its key and the gateway's trust in its CA");
    }
    const msg = sa.open(datagram);
    if (msg.header.exchangeType !== ExchangeType.IDENTITY_PROTECTION) throw new ProtocolError(`MM6 was exchange type ${msg.header.exchangeType}`, NotifyType.INVALID_EXCHANGE_TYPE);
    let idR: IdPayload | undefined;
    let sig: Buffer | undefined;
    const certs: Buffer[] = [];
    for (const p of msg.payloads) {
      if (p.type === PayloadType.ID) idR = p;
      else if (p.type === PayloadType.SIG) sig = p.data;
      else if (p.type === PayloadType.CERT) {
        if (p.encoding === CertEncoding.X509_SIGNATURE) certs.push(p.data);
      } else if (p.type === PayloadType.NOTIFICATION) this.lifetimeNotify(p);
      else if (p.type !== PayloadType.VENDOR_ID) throw new ProtocolError(`unexpected payload type ${p.type} in MM6`, NotifyType.INVALID_PAYLOAD_TYPE);
    }
    if (!idR || !sig) throw new ProtocolError('MM6 lacks the ID or SIG payload', NotifyType.PAYLOAD_MALFORMED);
    if (certs.length === 0) throw new AuthError('the gateway sent no certificate in MM6: it cannot be authenticated');
    const input = { gxi: this.dh.publicValue, gxr, ckyI: this.cookieI, ckyR: sa.cookieR, saIb: this.saIb };
    const expected = hashR(sa.prf, sa.keys.skeyid, input, idR.raw ?? encodePayloadBody(idR));
    const verified = authenticateGateway(certs, sig, expected, this.params.trust);
    checkGatewayIdentity(verified[0]!, { address: this.remote?.address ?? '', name: this.params.gatewayName }, idR);
    const chain = verified.map(subjectOf);
    this.stage = { kind: 'done' };
    return { sa, ikeLifetimeSeconds: this.ikeLifetimeSeconds || sa.suite.lifetimeSeconds, gatewayChain: chain };
  }

  private plain(ckyR: IkeCookie, payloads: Payload[]): Buffer {
    return encodeMessage({ initiatorCookie: this.cookieI, responderCookie: ckyR, exchangeType: ExchangeType.IDENTITY_PROTECTION, flags: 0, messageId: 0 }, payloads);
  }

  /** An unencrypted main-mode message (MM2, MM4), or the refusal it is instead. */
  private open(datagram: Buffer, what: string) {
    const msg = decodeMessage(datagram);
    const h = msg.header;
    if (!sameCookie(h.initiatorCookie, this.cookieI)) throw new ProtocolError(`${what} for another exchange (initiator cookie differs)`, NotifyType.INVALID_COOKIE);
    if (h.exchangeType === ExchangeType.INFORMATIONAL) throw refusal(msg.payloads, this.params.policy, 'check our certificate and the gateway\'s configuration for it');
    if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION) throw new ProtocolError(`${what} was exchange type ${h.exchangeType}, not main mode`, NotifyType.INVALID_EXCHANGE_TYPE);
    if (h.flags & 0x01) throw new ProtocolError(`${what} is encrypted`, NotifyType.INVALID_FLAGS);
    return msg;
  }

  private lifetimeNotify(p: Extract<Payload, { type: typeof PayloadType.NOTIFICATION }>): void {
    if (p.messageType !== NotifyType.RESPONDER_LIFETIME) return;
    if (p.protocol === ProtocolId.ISAKMP) this.ikeLifetimeSeconds = parseLifetimeNotify(p.data, IkeAttribute.LIFE_TYPE, IkeAttribute.LIFE_DURATION).seconds;
  }
}
