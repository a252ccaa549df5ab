/**
 * Informational exchanges after phase 1, gateway side: what a client's messages say (DPD, DELETE, and the
 * hash-only "IKE keepalive" vpnc sends in cisco-udp mode) and the unprotected refusal of a first message.
 * The DPD and DELETE builders are the client's (ike/exchanges/informational.ts): one implementation. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { Doi, ExchangeType, NotifyType, PayloadType, ProtocolId } from '../../ike/constants.js';
import type { IkeSa, OpenedMessage } from '../../ike/ike-sa.js';
import { messageIdBytes } from '../../ike/crypt.js';
import { encodeMessage } from '../../ike/message.js';

/** What an authenticated informational message from a client asks of the gateway. */
export type ClientNotice =
  | { readonly kind: 'r-u-there'; readonly seq: number }
  | { readonly kind: 'r-u-there-ack'; readonly seq: number }
  | { readonly kind: 'delete-isakmp' }
  | { readonly kind: 'delete-esp'; readonly spis: readonly Buffer[] }
  | { readonly kind: 'notify'; readonly messageType: number };

/**
 * An unencrypted informational notify refusing a first message (NO-PROPOSAL-CHOSEN, INVALID-ID-INFORMATION):
 * no keys exist yet, so it cannot be protected (RFC 2408 5.1 allows this).
 */
export function buildPlainNotify(cookieI: Buffer, cookieR: Buffer, messageType: number): Buffer {
  return encodeMessage({ initiatorCookie: cookieI, responderCookie: cookieR, exchangeType: ExchangeType.INFORMATIONAL, flags: 0, messageId: 0 }, [
    { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType, spi: Buffer.concat([cookieI, cookieR]), data: Buffer.alloc(0) },
  ]);
}

/**
 * Authenticates an informational message. A hash-only message is accepted with vpnc's hash over
 * `0 | M-ID` (its phase2_authpacket hashes a zero byte when there is no payload) as well as the RFC form.
 * Throws ProtocolError INVALID_HASH_INFORMATION otherwise.
 */
export function verifyInformational(sa: IkeSa, msg: OpenedMessage): void {
  const first = msg.payloads[0];
  if (msg.payloads.length === 1 && first?.type === PayloadType.HASH) {
    const vpncForm = sa.prf.compute(sa.keys.skeyidA, Buffer.from([0]), messageIdBytes(msg.header.messageId));
    if (vpncForm.length === first.data.length && timingSafeEqual(vpncForm, first.data)) return;
  }
  sa.verifyHash(msg);
}

/** Lists what a verified informational message says. */
export function readNotices(msg: OpenedMessage): ClientNotice[] {
  const out: ClientNotice[] = [];
  for (const p of msg.payloads) {
    if (p.type === PayloadType.NOTIFICATION) {
      const dpd = p.messageType === NotifyType.R_U_THERE || p.messageType === NotifyType.R_U_THERE_ACK;
      if (dpd && p.data.length === 4) {
        const seq = p.data.readUInt32BE(0);
        out.push(p.messageType === NotifyType.R_U_THERE ? { kind: 'r-u-there', seq } : { kind: 'r-u-there-ack', seq });
      } else {
        out.push({ kind: 'notify', messageType: p.messageType });
      }
    } else if (p.type === PayloadType.DELETE) {
      if (p.protocol === ProtocolId.ISAKMP) out.push({ kind: 'delete-isakmp' });
      else if (p.protocol === ProtocolId.IPSEC_ESP) out.push({ kind: 'delete-esp', spis: p.spis.map((s) => Buffer.from(s)) });
    }
  }
  return out;
}
