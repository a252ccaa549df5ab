/**
 * Phase 1, aggressive mode, responder side (RFC 2409 5.4 with pre-shared keys; NAT-D of RFC 3947 3.2):
 *
 *   AM1  HDR, SA, KE, Ni, IDii, VID*                  ->
 *   AM2                     <-  HDR, SA, KE, Nr, IDir, HASH_R, VID*, NAT-D(initiator as seen), NAT-D(us)
 *   AM3  HDR*, HASH_I, [N(INITIAL-CONTACT)], VID*, [NAT-D(us as seen), NAT-D(initiator)] ->
 *
 * Pure: bytes in, bytes out. The state is a discriminated union: AM2 sent, then established.
 */
import { randomBytes } from 'node:crypto';
import { checkPeerPublic, createDh, isDhGroupId } from '../../crypto/dh-groups.js';
import { AuthError, ProtocolError } from '../../errors.js';
import { ExchangeType, IdType, NotifyType, PayloadType } from '../../ike/constants.js';
import { checkedNonce } from '../../ike/exchanges/nonce.js';
import { IkeSa } from '../../ike/ike-sa.js';
import { derivePhase1Keys, hashI, hashR, type Phase1HashInput } from '../../ike/keys.js';
import { decodeMessage, encodeMessage } from '../../ike/message.js';
import type { NatDPayload } from '../../ike/payloads/data.js';
import type { IdPayload } from '../../ike/payloads/id.js';
import { encodePayloadBody, type Payload } from '../../ike/payloads/payload.js';
import type { SaPayload } from '../../ike/payloads/sa.js';
import { DIALECT_RULES } from '../dialect.js';
import { selectPhase1 } from '../proposals.js';
import { ipv4TextToBytes } from '../../wire/ipv4-text.js';
import { copyCookie, isZeroCookie, randomCookie, type IkeCookie } from '../../wire/sa-ids.js';
import { initiatorFeatures, natFindings, responderAnnouncements, responderNatd, type InitiatorFeatures, type Phase1Established, type Phase1Responder, type Phase1ResponderParams, type Phase1Step } from './phase1-responder.js';

/** How the gateway answers aggressive mode. */
export interface AggressiveModeResponderParams extends Phase1ResponderParams {
  /** The group name the client must send as its ID (KEY_ID, FQDN or USER_FQDN). */
  readonly groupName: string;
  readonly psk: Buffer;
}

/** Phase 1 is done (the peer ID is the group name). */
export type AggressiveModeEstablished = Phase1Established;

type State =
  | { readonly phase: 'sent-am2'; readonly sa: IkeSa; readonly hashInput: Phase1HashInput; readonly idIib: Buffer }
  | { readonly phase: 'established'; readonly result: AggressiveModeEstablished };

/** ID types a client may name its group with: KEY_ID (cisco), FQDN, USER_FQDN (netscreen). */
const GROUP_ID_TYPES: ReadonlySet<number> = new Set([IdType.KEY_ID, IdType.FQDN, IdType.USER_FQDN]);

/** An aggressive-mode exchange seen from the gateway. Create it with {@link AggressiveModeResponder.start}. */
export class AggressiveModeResponder implements Phase1Responder {
  readonly mode = 'aggressive';
  private state: State;

  private constructor(
    readonly cookieI: IkeCookie,
    readonly cookieR: IkeCookie,
    /** AM2, kept for retransmission. */
    readonly am2: Buffer,
    readonly features: InitiatorFeatures,
    /** The group name the client sent. */
    readonly peerId: string,
    private readonly params: AggressiveModeResponderParams,
    state: State,
  ) {
    this.state = state;
  }

  get firstAnswer(): Buffer {
    return this.am2;
  }

  receive(am3: Buffer): Phase1Step {
    return { kind: 'established', result: this.finish(am3) };
  }

  /** The phase: `sent-am2` until AM3 verified, then `established`. */
  get phase(): State['phase'] {
    return this.state.phase;
  }

  /**
   * Answers AM1. Throws ProtocolError with the notify to send back (NO_PROPOSAL_CHOSEN,
   * INVALID_ID_INFORMATION, INVALID_KEY_INFORMATION, PAYLOAD_MALFORMED ...).
   */
  static start(am1: Buffer, params: AggressiveModeResponderParams): AggressiveModeResponder {
    const random = params.random ?? randomBytes;
    const msg = decodeMessage(am1);
    const h = msg.header;
    if (h.exchangeType !== ExchangeType.AGGRESSIVE) throw new ProtocolError(`exchange type ${h.exchangeType} is not aggressive mode`, NotifyType.INVALID_EXCHANGE_TYPE);
    if (!isZeroCookie(h.responderCookie)) throw new ProtocolError('AM1 carries a responder cookie', NotifyType.INVALID_COOKIE);
    if (h.messageId !== 0) throw new ProtocolError('AM1 has a non-zero message id', NotifyType.INVALID_MESSAGE_ID);
    let saI: SaPayload | undefined;
    let ke: Buffer | undefined;
    let nonceI: Buffer | undefined;
    let idI: IdPayload | undefined;
    const vids: Buffer[] = [];
    for (const p of msg.payloads) {
      if (p.type === PayloadType.SA) saI = p;
      else if (p.type === PayloadType.KE) ke = p.data;
      else if (p.type === PayloadType.NONCE) nonceI = p.data;
      else if (p.type === PayloadType.ID) idI = p;
      else if (p.type === PayloadType.VENDOR_ID) vids.push(p.data);
    }
    if (!saI || !ke || !nonceI || !idI) throw new ProtocolError('AM1 lacks one of SA, KE, nonce or ID', NotifyType.PAYLOAD_MALFORMED);
    checkedNonce(nonceI, 'AM1');
    const peerId = idI.data.toString('utf8');
    const idOk = GROUP_ID_TYPES.has(idI.idType) && peerId === params.groupName;
    if (!idOk) throw new ProtocolError(`unknown group "${peerId}" (ID type ${idI.idType})`, NotifyType.INVALID_ID_INFORMATION);

    const choice = selectPhase1(saI, params.policy);
    const group = choice.suite.group;
    if (!isDhGroupId(group)) throw new ProtocolError(`unsupported DH group ${group}`, NotifyType.NO_PROPOSAL_CHOSEN);
    checkPeerPublic(group, ke);
    const dh = params.createDh ? params.createDh(group) : createDh(group);
    const cookieI = copyCookie(h.initiatorCookie);
    const cookieR = randomCookie(random);
    const nonceR = random(20);
    const gxy = dh.computeSecret(ke);
    const keys = derivePhase1Keys({
      hash: choice.suite.hash,
      cipher: choice.suite.cipher,
      auth: { method: 'psk', psk: params.psk },
      nonceI,
      nonceR,
      gxi: ke,
      gxr: dh.publicValue,
      gxy,
      ckyI: cookieI,
      ckyR: cookieR,
    });
    const sa = new IkeSa(cookieI, cookieR, choice.suite, keys);
    const hashInput: Phase1HashInput = { gxi: Buffer.from(ke), gxr: dh.publicValue, ckyI: cookieI, ckyR: cookieR, saIb: Buffer.from(saI.raw ?? encodePayloadBody(saI)) };
    const idR: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 17, port: params.local.port, data: ipv4TextToBytes(params.local.address) };

    const features = initiatorFeatures(vids);
    const payloads: Payload[] = [
      choice.answer,
      { type: PayloadType.KE, data: dh.publicValue },
      { type: PayloadType.NONCE, data: nonceR },
      idR,
      { type: PayloadType.HASH, data: hashR(sa.prf, keys.skeyid, hashInput, encodePayloadBody(idR)) },
    ];
    const dialect = params.dialect ?? DIALECT_RULES.cisco;
    payloads.push(...responderAnnouncements(params, dialect, features, cookieI, cookieR), ...responderNatd(features.natt, choice.suite.hash, cookieI, cookieR, params));
    const am2 = encodeMessage({ initiatorCookie: cookieI, responderCookie: cookieR, exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 }, payloads);
    const idIib = Buffer.from(idI.raw ?? encodePayloadBody(idI));
    return new AggressiveModeResponder(cookieI, cookieR, am2, features, peerId, params, { phase: 'sent-am2', sa, hashInput, idIib });
  }

  /**
   * Verifies AM3 (already known to carry our cookies). Throws AuthError when HASH_I does not verify (the
   * client used another group secret), ProtocolError for anything malformed. The IV chain only moves when
   * the payloads decode.
   */
  finish(am3: Buffer): AggressiveModeEstablished {
    const state = this.state;
    if (state.phase !== 'sent-am2') throw new ProtocolError('aggressive mode is already established', NotifyType.INVALID_EXCHANGE_TYPE);
    let msg;
    try {
      msg = state.sa.open(am3);
    } catch (err) {
      // With another pre-shared key the client derived other encryption keys and AM3 decrypts to garbage. But
      // anyone can send garbage with these cookies: refuse the datagram, keep waiting for a good AM3.
      throw new ProtocolError(`AM3 does not decrypt (${(err as Error).message}); does the client use another group secret?`, NotifyType.PAYLOAD_MALFORMED);
    }
    if (msg.header.exchangeType !== ExchangeType.AGGRESSIVE || msg.header.messageId !== 0) {
      throw new ProtocolError('expected AM3 (aggressive mode, message id 0)', NotifyType.INVALID_EXCHANGE_TYPE);
    }
    const hashPayload = msg.payloads[0];
    if (!hashPayload || hashPayload.type !== PayloadType.HASH) throw new ProtocolError('AM3 does not start with HASH_I', NotifyType.INVALID_HASH_INFORMATION);
    const expected = hashI(state.sa.prf, state.sa.keys.skeyid, state.hashInput, state.idIib);
    if (!expected.equals(hashPayload.data)) {
      throw new AuthError(`HASH_I from group "${this.peerId}" does not verify: the client uses another group secret`);
    }
    const natd = msg.payloads.filter((p): p is NatDPayload => p.type === PayloadType.NAT_D || p.type === PayloadType.NAT_D_DRAFT);
    const initialContact = msg.payloads.some((p) => p.type === PayloadType.NOTIFICATION && p.messageType === NotifyType.INITIAL_CONTACT);
    const { sa } = state;
    const nat = natFindings(natd, sa.suite.hash, sa.cookieI, sa.cookieR, this.params);
    const result: AggressiveModeEstablished = { sa, features: this.features, ...nat, initialContact, peerId: this.peerId };
    this.state = { phase: 'established', result };
    return result;
  }
}
