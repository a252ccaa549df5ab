/**
 * Informational exchanges, what only the gateway needs: accepting vpnc's hash-only "IKE keepalive" (cisco-udp
 * mode) and the unprotected refusal of a first message. Building and reading DPD and DELETE messages is
 * ike/exchanges/informational.ts, shared with the client: one implementation. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { Doi, ExchangeType, PayloadType, ProtocolId } from '../../ike/constants.js';
import type { IkeSa, OpenedMessage } from '../../ike/ike-sa.js';
import { messageIdBytes } from '../../ike/crypt.js';
import { encodeMessage } from '../../ike/message.js';

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
