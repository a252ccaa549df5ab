/**
 * Phase 1, main mode with RSA signatures, responder side (RFC 2409 5.1; NAT-D of RFC 3947 3.2), the other end of
 * the client's `--auth-mode cert`:
 *
 *   MM1  HDR, SA, VID*                               ->
 *   MM2                                    <-  HDR, SA, VID*
 *   MM3  HDR, KE, Ni, [CR], [NAT-D, NAT-D]             ->
 *   MM4                                    <-  HDR, KE, Nr, CR, [NAT-D(initiator as seen), NAT-D(us)]
 *   MM5  HDR*, IDii, CERT*, SIG_I, [N(INITIAL-CONTACT)]  ->
 *   MM6                                    <-  HDR*, IDir, CERT*, SIG_R
 *
 * The client's chain must reach one of the configured client CAs, its certificate must be a client's and name its
 * IDii, and SIG_I must be HASH_I signed with that certificate's key. Our IDir is our certificate's subject
 * (ID_DER_ASN1_DN); our chain goes in MM6 whether asked for or not (vpnc-ts and strongSwan ask). Pure: bytes in,
 * bytes out; the state is a discriminated union.
 */
import { constants, privateEncrypt, randomBytes } from 'node:crypto';
import { checkPeerPublic, createDh, isDhGroupId, type DhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import { ProtocolError } from '../../errors.js';
import { authenticatePeer, subjectOf } from '../../ike/cert-verify.js';
import { CertEncoding, ExchangeType, IdType, NotifyType, PayloadType } from '../../ike/constants.js';
import { subjectDer } from '../../ike/der-name.js';
import { mainModeKeyExchange } from '../../ike/exchanges/phase1-common.js';
import { checkClientIdentity } from '../../ike/gateway-identity.js';
import { IkeSa, type OpenedMessage } from '../../ike/ike-sa.js';
import type { IkeSuite } from '../../ike/proposals.js';
import { derivePhase1Keys, hashI, hashR, type Phase1HashInput } from '../../ike/keys.js';
import { decodeMessage, encodeMessage, type DecodedMessage } from '../../ike/message.js';
import type { IdPayload } from '../../ike/payloads/id.js';
import { encodePayloadBody, type Payload } from '../../ike/payloads/payload.js';
import type { SaPayload } from '../../ike/payloads/sa.js';
import { copyCookie, isZeroCookie, randomCookie, sameCookie, type IkeCookie } from '../../wire/sa-ids.js';
import type { GatewayCertificate } from '../certificate.js';
import { DIALECT_RULES } from '../dialect.js';
import { selectPhase1 } from '../proposals.js';
import { initiatorFeatures, natFindings, responderAnnouncements, responderNatd, type InitiatorFeatures, type NatFindings, type Phase1Responder, type Phase1ResponderParams, type Phase1Step } from './phase1-responder.js';

/** How the gateway answers main mode. */
export interface MainModeResponderParams extends Phase1ResponderParams {
  readonly certificate: GatewayCertificate;
}

type State =
  | { readonly phase: 'sent-mm2'; readonly suite: IkeSuite; readonly saIb: Buffer }
  | { readonly phase: 'sent-mm4'; readonly sa: IkeSa; readonly hashInput: Phase1HashInput; readonly nat: NatFindings }
  | { readonly phase: 'established' };

/** A main-mode exchange seen from the gateway. Create it with {@link MainModeResponder.start}. */
export class MainModeResponder implements Phase1Responder {
  readonly mode = 'main';
  peerId: string | undefined;
  private state: State;
  private readonly group: DhGroupId;
  private readonly nonceR: Buffer;

  private constructor(
    readonly cookieI: IkeCookie,
    readonly cookieR: IkeCookie,
    readonly firstAnswer: Buffer,
    readonly features: InitiatorFeatures,
    private readonly params: MainModeResponderParams,
    state: State,
  ) {
    this.state = state;
    const suite = (state as Extract<State, { phase: 'sent-mm2' }>).suite;
    if (!isDhGroupId(suite.group)) throw new ProtocolError(`unsupported DH group ${suite.group}`, NotifyType.NO_PROPOSAL_CHOSEN);
    this.group = suite.group;
    this.nonceR = (params.random ?? randomBytes)(20);
  }

  /** Answers MM1. Throws ProtocolError with the notify to send back (NO_PROPOSAL_CHOSEN, PAYLOAD_MALFORMED ...). */
  static start(mm1: Buffer, params: MainModeResponderParams): MainModeResponder {
    const msg = decodeMessage(mm1);
    const h = msg.header;
    if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION) throw new ProtocolError(`exchange type ${h.exchangeType} is not main mode`, NotifyType.INVALID_EXCHANGE_TYPE);
    if (!isZeroCookie(h.responderCookie)) throw new ProtocolError('MM1 carries a responder cookie', NotifyType.INVALID_COOKIE);
    if (h.messageId !== 0) throw new ProtocolError('MM1 has a non-zero message id', NotifyType.INVALID_MESSAGE_ID);
    const saI = msg.payloads.find((p): p is SaPayload => p.type === PayloadType.SA);
    if (!saI) throw new ProtocolError('MM1 lacks the SA payload', NotifyType.PAYLOAD_MALFORMED);
    const features = initiatorFeatures(msg.payloads.flatMap((p) => (p.type === PayloadType.VENDOR_ID ? [p.data] : [])));
    const choice = selectPhase1(saI, params.policy);
    const cookieI = copyCookie(h.initiatorCookie);
    const cookieR = randomCookie(params.random);
    const dialect = params.dialect ?? DIALECT_RULES.cisco;
    const mm2 = plain(cookieI, cookieR, [choice.answer, ...responderAnnouncements(params, dialect, features, cookieI, cookieR)]);
    const saIb = Buffer.from(saI.raw ?? encodePayloadBody(saI));
    return new MainModeResponder(cookieI, cookieR, mm2, features, params, { phase: 'sent-mm2', suite: choice.suite, saIb });
  }

  receive(datagram: Buffer): Phase1Step {
    const state = this.state;
    switch (state.phase) {
      case 'sent-mm2':
        return { kind: 'answer', data: this.answerMm3(state, datagram) };
      case 'sent-mm4':
        return this.answerMm5(state, datagram);
      case 'established':
        throw new ProtocolError('main mode is already established', NotifyType.INVALID_EXCHANGE_TYPE);
    }
  }

  /** MM3 in, MM4 out: the keys exist from here on. */
  private answerMm3(state: Extract<State, { phase: 'sent-mm2' }>, datagram: Buffer): Buffer {
    const msg = this.openPlain(datagram, 'MM3');
    const { ke, nonce: nonceI, natd } = mainModeKeyExchange(msg.payloads, 'MM3');
    const { suite } = state;
    checkPeerPublic(this.group, ke);
    const { cookieI, cookieR } = this;
    // Our DH pair only now: an MM1 with a forged source costs no key generation (main mode's cookie exchange).
    const dh: DhKeyPair = this.params.createDh ? this.params.createDh(this.group) : createDh(this.group);
    const gxr = dh.publicValue;
    const keys = derivePhase1Keys({ hash: suite.hash, cipher: suite.cipher, auth: { method: 'signature' }, nonceI, nonceR: this.nonceR, gxi: ke, gxr, gxy: dh.computeSecret(ke), ckyI: cookieI, ckyR: cookieR });
    const sa = new IkeSa(cookieI, cookieR, suite, keys);
    const nat = natFindings(natd, suite.hash, cookieI, cookieR, this.params);
    this.state = { phase: 'sent-mm4', sa, hashInput: { gxi: Buffer.from(ke), gxr, ckyI: cookieI, ckyR: cookieR, saIb: state.saIb }, nat };
    return plain(cookieI, cookieR, [
      { type: PayloadType.KE, data: gxr },
      { type: PayloadType.NONCE, data: this.nonceR },
      { type: PayloadType.CR, encoding: CertEncoding.X509_SIGNATURE, authority: Buffer.alloc(0) },
      ...responderNatd(this.features.natt, suite.hash, cookieI, cookieR, this.params),
    ]);
  }

  /**
   * MM5 in: the client's chain, its identity and SIG_I checked (AuthError naming what failed), then MM6 out. A
   * datagram that does not decrypt, or decodes but is no MM5 (ProtocolError), leaves the state and the IV as they
   * were: the IV chain moves only once MM5 has been checked (IkeSa.openWith).
   */
  private answerMm5(state: Extract<State, { phase: 'sent-mm4' }>, datagram: Buffer): Phase1Step {
    const { sa } = state;
    const client = sa.openWith(datagram, (msg) => this.checkMm5(state, msg));
    const ours = this.params.certificate;
    const idR: IdPayload = { type: PayloadType.ID, idType: IdType.DER_ASN1_DN, protocol: 17, port: this.params.local.port, data: subjectDer(ours.leaf.raw) };
    const signature = privateEncrypt({ key: ours.key, padding: constants.RSA_PKCS1_PADDING }, hashR(sa.prf, sa.keys.skeyid, state.hashInput, encodePayloadBody(idR)));
    const mm6 = sa.seal(ExchangeType.IDENTITY_PROTECTION, 0, [
      idR,
      ...ours.chain.map((data): Payload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data })),
      { type: PayloadType.SIG, data: signature },
    ]);
    this.state = { phase: 'established' };
    this.peerId = client.subject;
    return { kind: 'established', result: { sa, features: this.features, ...state.nat, initialContact: client.initialContact, peerId: client.subject }, answer: mm6 };
  }

  /** Who sent MM5, or the error: ProtocolError for a message that is no MM5, AuthError for a client that fails. */
  private checkMm5(state: Extract<State, { phase: 'sent-mm4' }>, msg: OpenedMessage): { subject: string; initialContact: boolean } {
    const { sa, hashInput } = state;
    if (msg.header.exchangeType !== ExchangeType.IDENTITY_PROTECTION || msg.header.messageId !== 0) throw new ProtocolError('expected MM5 (main mode, message id 0)', NotifyType.INVALID_EXCHANGE_TYPE);
    let idI: IdPayload | undefined;
    let sig: Buffer | undefined;
    const certs: Buffer[] = [];
    let initialContact = false;
    for (const p of msg.payloads) {
      if (p.type === PayloadType.ID) idI = p;
      else if (p.type === PayloadType.SIG) sig = p.data;
      else if (p.type === PayloadType.CERT && p.encoding === CertEncoding.X509_SIGNATURE) certs.push(p.data);
      else if (p.type === PayloadType.NOTIFICATION && p.messageType === NotifyType.INITIAL_CONTACT) initialContact = true;
    }
    if (!idI || !sig) throw new ProtocolError('MM5 lacks the ID or SIG payload', NotifyType.PAYLOAD_MALFORMED);
    const expected = hashI(sa.prf, sa.keys.skeyid, hashInput, idI.raw ?? encodePayloadBody(idI));
    const chain = authenticatePeer(certs, sig, expected, this.params.certificate.clientTrust, 'client');
    checkClientIdentity(chain[0]!, idI);
    return { subject: subjectOf(chain[0]!), initialContact };
  }

  /** MM3 as it must come: under both our cookies, in the clear, main mode, message id 0. */
  private openPlain(datagram: Buffer, what: string): DecodedMessage {
    const msg = decodeMessage(datagram);
    const h = msg.header;
    if (!sameCookie(h.initiatorCookie, this.cookieI) || !sameCookie(h.responderCookie, this.cookieR)) throw new ProtocolError(`${what} for another exchange (cookies differ)`, NotifyType.INVALID_COOKIE);
    if (h.exchangeType !== ExchangeType.IDENTITY_PROTECTION || h.messageId !== 0) throw new ProtocolError(`expected ${what} (main mode, message id 0)`, NotifyType.INVALID_EXCHANGE_TYPE);
    if (h.flags & 0x01) throw new ProtocolError(`${what} is encrypted`, NotifyType.INVALID_FLAGS);
    return msg;
  }
}

function plain(cookieI: IkeCookie, cookieR: IkeCookie, payloads: Payload[]): Buffer {
  return encodeMessage({ initiatorCookie: cookieI, responderCookie: cookieR, exchangeType: ExchangeType.IDENTITY_PROTECTION, flags: 0, messageId: 0 }, payloads);
}
