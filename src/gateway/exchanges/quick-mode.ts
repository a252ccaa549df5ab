/**
 * Quick mode, responder side (RFC 2409 5.5):
 *
 *   QM1  HDR*, HASH(1), SA, Ni, [KE], [IDci, IDcr]          ->
 *   QM2                 <-  HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr]
 *   QM3  HDR*, HASH(3)                                      ->
 *
 * HASH(1) = prf(SKEYID_a, M-ID | rest), HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest),
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). KEYMAT per direction from the SPI of that direction's
 * receiver: our SPI for the inbound SA, the client's for the outbound one. Pure.
 */
import { randomBytes } from 'node:crypto';
import { createDh, isDhGroupId, type DhKeyPair } from '../../crypto/dh-groups.js';
import type { EspSuite } from '../../esp/transforms.js';
import { ProtocolError } from '../../errors.js';
import { Doi, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId } from '../../ike/constants.js';
import { IpsecAttribute } from '../../ike/ipsec-attributes.js';
import { encodeLifetimeNotify } from '../../ike/proposals.js';
import type { IkeSa, OpenedMessage } from '../../ike/ike-sa.js';
import { hash3, keymat } from '../../ike/keys.js';
import type { IdPayload } from '../../ike/payloads/id.js';
import type { Payload } from '../../ike/payloads/payload.js';
import type { SaPayload } from '../../ike/payloads/sa.js';
import { selectEsp, withSpi, type EspChoice, type EspPolicy } from '../proposals.js';

/** What a quick mode responder is given. */
export interface QuickModeResponderParams {
  readonly sa: IkeSa;
  readonly policy: EspPolicy;
  /** The address mode config assigned: IDci must name it (when sent). */
  readonly clientAddress: number;
  readonly random?: (n: number) => Buffer;
  readonly createDh?: (group: number) => DhKeyPair;
}

/** A finished quick mode: the two simplex ESP SAs' parameters. */
export interface QuickModeKeys {
  readonly suite: EspSuite;
  /** Our SPI: the client sends with it. */
  readonly spiIn: Buffer;
  /** The client's SPI: we send with it. */
  readonly spiOut: Buffer;
  readonly keymatIn: Buffer;
  readonly keymatOut: Buffer;
  readonly encapMode: number;
  readonly name: string;
  /** The lifetime in force (0 = none): the gateway expires the pair then. */
  readonly lifetimeSeconds: number;
  readonly lifetimeKilobytes: number;
}

type State =
  | { readonly phase: 'sent-qm2'; readonly choice: EspChoice; readonly nonceI: Buffer; readonly nonceR: Buffer; readonly spiIn: Buffer; readonly gxy: Buffer | undefined }
  | { readonly phase: 'done' };

/** SPIs below 256 are reserved (RFC 4303 2.1). */
function randomSpi(random: (n: number) => Buffer): Buffer {
  for (;;) {
    const spi = random(4);
    if (spi.readUInt32BE(0) >= 256) return spi;
  }
}

function checkIdci(id: IdPayload | undefined, address: number): void {
  if (!id) return;
  const ok =
    (id.idType === IdType.IPV4_ADDR && id.data.length === 4 && id.data.readUInt32BE(0) === address) ||
    (id.idType === IdType.IPV4_ADDR_SUBNET && id.data.length === 8 && id.data.readUInt32BE(0) === address && id.data.readUInt32BE(4) === 0xffffffff);
  if (!ok) throw new ProtocolError('IDci does not name the address mode config assigned', NotifyType.INVALID_ID_INFORMATION);
}

/** One quick mode under one message id. */
export class QuickModeResponder {
  private state: State;
  /** QM2, kept for retransmission. */
  readonly qm2: Buffer;
  readonly msgId: number;

  /**
   * Answers QM1 (opened by IkeSa.open). Throws ProtocolError with the notify to send back: bad hash,
   * NO_PROPOSAL_CHOSEN, INVALID_ID_INFORMATION, a missing KE for PFS.
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
    if (ids.length !== 0 && ids.length !== 2) throw new ProtocolError(`QM1 carries ${ids.length} ID payloads (0 or 2 allowed)`, NotifyType.INVALID_ID_INFORMATION);
    checkIdci(ids[0], params.clientAddress);
    const choice = selectEsp(saI, params.policy);
    let gxy: Buffer | undefined;
    let ourKe: Buffer | undefined;
    if (choice.group !== 0) {
      if (!ke || ke.type !== PayloadType.KE) throw new ProtocolError('PFS proposed without a KE payload', NotifyType.INVALID_KEY_INFORMATION);
      if (!isDhGroupId(choice.group)) throw new ProtocolError(`unsupported PFS group ${choice.group}`, NotifyType.NO_PROPOSAL_CHOSEN);
      const dh = params.createDh ? params.createDh(choice.group) : createDh(choice.group);
      gxy = dh.computeSecret(ke.data);
      ourKe = dh.publicValue;
    }
    const nonceI = Buffer.from(nonce.data);
    const nonceR = random(20);
    const spiIn = randomSpi(random);
    const payloads: Payload[] = [withSpi(choice, spiIn), { type: PayloadType.NONCE, data: nonceR }];
    if (ourKe) payloads.push({ type: PayloadType.KE, data: ourKe });
    payloads.push(...ids);
    if (choice.statesLifetime) {
      const data = encodeLifetimeNotify({ seconds: choice.lifetimeSeconds, kilobytes: choice.lifetimeKilobytes }, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
      payloads.push({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_ESP, messageType: NotifyType.RESPONDER_LIFETIME, spi: spiIn, data });
    }
    this.qm2 = sa.sealHashed(ExchangeType.QUICK, this.msgId, payloads, nonceI);
    this.state = { phase: 'sent-qm2', choice, nonceI, nonceR, spiIn, gxy };
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
    const input = (spi: Buffer) => ({ protocol: ProtocolId.IPSEC_ESP, spi, nonceI: state.nonceI, nonceR: state.nonceR, ...(state.gxy ? { gxy: state.gxy } : {}) });
    const length = choice.suite.keymatLength;
    this.state = { phase: 'done' };
    sa.ivs.forget(this.msgId);
    return {
      suite: choice.suite,
      spiIn: state.spiIn,
      spiOut: choice.peerSpi,
      keymatIn: keymat(sa.prf, sa.keys.skeyidD, input(state.spiIn), length),
      keymatOut: keymat(sa.prf, sa.keys.skeyidD, input(choice.peerSpi), length),
      encapMode: choice.encapMode,
      name: choice.name,
      lifetimeSeconds: choice.lifetimeSeconds,
      lifetimeKilobytes: choice.lifetimeKilobytes,
    };
  }
}
