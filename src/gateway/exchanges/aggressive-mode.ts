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
import { checkPeerPublic, createDh, isDhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import { AuthError, ProtocolError } from '../../errors.js';
import { Doi, ExchangeType, IdType, IkeAttribute, IkeAuthMethod, LifeType, NotifyType, PayloadType, ProtocolId } from '../../ike/constants.js';
import { natdHash, type SocketAddress } from '../../ike/exchanges/aggressive-mode.js';
import { IkeSa } from '../../ike/ike-sa.js';
import { derivePhase1Keys, hashI, hashR, type Phase1HashInput } from '../../ike/keys.js';
import { decodeMessage, encodeMessage } from '../../ike/message.js';
import { ipv4ToBuffer } from '../../ike/payloads/attributes.js';
import type { NatDPayload } from '../../ike/payloads/data.js';
import type { IdPayload } from '../../ike/payloads/id.js';
import { encodePayloadBody, type Payload } from '../../ike/payloads/payload.js';
import type { SaPayload } from '../../ike/payloads/sa.js';
import { VendorId } from '../../ike/vendor-ids.js';
import { DIALECT_RULES, type DialectRules } from '../dialect.js';
import { selectPhase1, type Phase1Policy } from '../proposals.js';

/** How the gateway answers aggressive mode. */
export interface AggressiveModeResponderParams {
  readonly policy: Phase1Policy;
  /** The group name the client must send as its ID (KEY_ID, FQDN or USER_FQDN). */
  readonly groupName: string;
  readonly psk: Buffer;
  /** Announce and accept DPD (RFC 3706). */
  readonly dpd: boolean;
  /** Our address and IKE port as the client addressed us. */
  readonly local: SocketAddress;
  /** The client's address and port as AM1 arrived. */
  readonly remote: SocketAddress;
  readonly random?: (n: number) => Buffer;
  /** Key pair factory (tests inject fixed keys). */
  readonly createDh?: (group: number) => DhKeyPair;
  /** What the vendor dialect puts in AM2 (default: Cisco's). */
  readonly dialect?: Pick<DialectRules, 'vendorIds' | 'unity' | 'malformedResponderLifetime' | 'maxIkeLifetime'>;
}

/** NAT-T as negotiated: which NAT-D payload number, and which VID we answered with. */
export interface NattNegotiation {
  /** 20 (RFC 3947), 130 (drafts 02/03) or 0 when the client announced no NAT-T we speak. */
  readonly natdType: 0 | typeof PayloadType.NAT_D | typeof PayloadType.NAT_D_DRAFT;
  readonly vendorId: Buffer | undefined;
}

/** What the client announced in AM1. */
export interface InitiatorFeatures {
  readonly xauth: boolean;
  readonly unity: boolean;
  readonly dpd: boolean;
  readonly natt: NattNegotiation;
}

/** Phase 1 is done. */
export interface AggressiveModeEstablished {
  readonly sa: IkeSa;
  readonly features: InitiatorFeatures;
  /** The initiator's NAT-D hashes in AM3 disagree with its address as we saw it (or it forced NAT-T). */
  readonly initiatorBehindNat: boolean;
  /** The initiator's hash of our address disagrees with ours. */
  readonly responderBehindNat: boolean;
  readonly initialContact: boolean;
}

type State =
  | { readonly phase: 'sent-am2'; readonly sa: IkeSa; readonly hashInput: Phase1HashInput; readonly idIib: Buffer }
  | { readonly phase: 'established'; readonly result: AggressiveModeEstablished };

/** The client's NAT-T VIDs, best first (RFC 3947 beats the drafts; drafts 00/01 are not spoken). */
function negotiateNatt(vids: readonly Buffer[]): NattNegotiation {
  if (vids.some((v) => v.equals(VendorId.NATT_RFC3947))) return { natdType: PayloadType.NAT_D, vendorId: VendorId.NATT_RFC3947 };
  for (const draft of [VendorId.NATT_DRAFT_03, VendorId.NATT_DRAFT_02N, VendorId.NATT_DRAFT_02]) {
    if (vids.some((v) => v.equals(draft))) return { natdType: PayloadType.NAT_D_DRAFT, vendorId: draft };
  }
  return { natdType: 0, vendorId: undefined };
}

const UNITY_PREFIX = VendorId.CISCO_UNITY.subarray(0, 14);

/** ID types a client may name its group with: KEY_ID (cisco), FQDN, USER_FQDN (netscreen). */
const GROUP_ID_TYPES: ReadonlySet<number> = new Set([IdType.KEY_ID, IdType.FQDN, IdType.USER_FQDN]);

/**
 * FortiGate's RESPONDER-LIFETIME for the ISAKMP SA as openwrt/packages#2423 shows it: LIFE_TYPE seconds, then
 * not LIFE_DURATION but attribute 2 (HASH_ALGORITHM) carrying the seconds as a 4-byte variable-length value.
 */
function fortigateLifetimeNotify(cookieI: Buffer, cookieR: Buffer, seconds: number): Payload {
  const data = Buffer.from([0x80, IkeAttribute.LIFE_TYPE, 0x00, LifeType.SECONDS, 0x00, IkeAttribute.HASH_ALGORITHM, 0x00, 0x04, 0, 0, 0, 0]);
  data.writeUInt32BE(seconds, 8);
  return { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.RESPONDER_LIFETIME, spi: Buffer.concat([cookieI, cookieR]), data };
}

/** An aggressive-mode exchange seen from the gateway. Create it with {@link AggressiveModeResponder.start}. */
export class AggressiveModeResponder {
  private state: State;

  private constructor(
    readonly cookieI: Buffer,
    readonly cookieR: Buffer,
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
    if (!h.responderCookie.equals(Buffer.alloc(8))) throw new ProtocolError('AM1 carries a responder cookie', NotifyType.INVALID_COOKIE);
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
    if (nonceI.length < 8 || nonceI.length > 256) throw new ProtocolError(`nonce of ${nonceI.length} bytes`, NotifyType.PAYLOAD_MALFORMED);
    const peerId = idI.data.toString('utf8');
    const idOk = GROUP_ID_TYPES.has(idI.idType) && peerId === params.groupName;
    if (!idOk) throw new ProtocolError(`unknown group "${peerId}" (ID type ${idI.idType})`, NotifyType.INVALID_ID_INFORMATION);

    const choice = selectPhase1(saI, params.policy);
    const group = choice.suite.group;
    if (!isDhGroupId(group)) throw new ProtocolError(`unsupported DH group ${group}`, NotifyType.NO_PROPOSAL_CHOSEN);
    checkPeerPublic(group, ke);
    const dh = params.createDh ? params.createDh(group) : createDh(group);
    const cookieI = Buffer.from(h.initiatorCookie);
    const cookieR = random(8);
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
    const idR: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 17, port: params.local.port, data: ipv4ToBuffer(params.local.address) };

    const features: InitiatorFeatures = {
      xauth: vids.some((v) => v.equals(VendorId.XAUTH)),
      unity: vids.some((v) => v.length === 16 && v.subarray(0, 14).equals(UNITY_PREFIX)),
      dpd: vids.some((v) => v.equals(VendorId.DPD)),
      natt: negotiateNatt(vids),
    };
    const payloads: Payload[] = [
      choice.answer,
      { type: PayloadType.KE, data: dh.publicValue },
      { type: PayloadType.NONCE, data: nonceR },
      idR,
      { type: PayloadType.HASH, data: hashR(sa.prf, keys.skeyid, hashInput, encodePayloadBody(idR)) },
    ];
    const dialect = params.dialect ?? DIALECT_RULES.cisco;
    if (dialect.malformedResponderLifetime) payloads.push(fortigateLifetimeNotify(cookieI, cookieR, dialect.maxIkeLifetime));
    const ourVids = [...(dialect.unity ? [VendorId.CISCO_UNITY] : []), ...dialect.vendorIds];
    if (params.policy.authMethod !== IkeAuthMethod.PRESHARED_KEY) ourVids.unshift(VendorId.XAUTH);
    if (params.dpd && features.dpd) ourVids.push(VendorId.DPD);
    if (features.natt.vendorId) ourVids.push(features.natt.vendorId);
    for (const data of ourVids) payloads.push({ type: PayloadType.VENDOR_ID, data });
    if (features.natt.natdType !== 0) {
      const t = features.natt.natdType;
      payloads.push(
        { type: t, hash: natdHash(choice.suite.hash, cookieI, cookieR, params.remote) },
        { type: t, hash: natdHash(choice.suite.hash, cookieI, cookieR, params.local) },
      );
    }
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
    let initiatorBehindNat = false;
    let responderBehindNat = false;
    if (natd.length > 0) {
      const { sa } = state;
      const us = natdHash(sa.suite.hash, sa.cookieI, sa.cookieR, this.params.local);
      const them = natdHash(sa.suite.hash, sa.cookieI, sa.cookieR, this.params.remote);
      responderBehindNat = !natd[0]!.hash.equals(us);
      initiatorBehindNat = !natd.slice(1).some((n) => n.hash.equals(them));
    }
    const result: AggressiveModeEstablished = { sa: state.sa, features: this.features, initiatorBehindNat, responderBehindNat, initialContact };
    this.state = { phase: 'established', result };
    return result;
  }
}
