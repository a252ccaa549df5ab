/**
 * The transaction exchange (draft-dukes-ike-mode-cfg 3.2) that XAUTH and mode config travel in: each message
 * on the ISAKMP SA holds HASH(1) and one attribute payload. One reading of that fact, for client and gateway.
 */
import { ProtocolError } from '../../errors.js';
import { sameCookie } from '../../wire/sa-ids.js';
import { ExchangeType, NotifyType, PayloadType } from '../constants.js';
import type { IkeSa, OpenedMessage } from '../ike-sa.js';
import { decodeHeader } from '../message.js';
import type { AttributePayload } from '../payloads/attribute-payload.js';

/** The attribute payload of an opened transaction message (after its HASH). */
export function transactionAttribute(msg: OpenedMessage): AttributePayload {
  const p = msg.payloads[1];
  if (msg.payloads.length !== 2 || !p || p.type !== PayloadType.ATTRIBUTE) {
    throw new ProtocolError('a transaction message must hold HASH and one attribute payload', NotifyType.PAYLOAD_MALFORMED);
  }
  return p;
}

/** Decrypts a transaction message, checks its HASH(1) and returns it with its attribute payload. */
export function openTransaction(sa: IkeSa, d: Buffer): { msg: OpenedMessage; attr: AttributePayload } {
  const msg = sa.open(d);
  sa.verifyHash(msg);
  return { msg, attr: transactionAttribute(msg) };
}

/**
 * Whether a datagram is a transaction message on `sa` (both cookies), with message id `msgId` when given;
 * `not` excludes one message id (the request just answered, should the gateway repeat it).
 */
export function isTransactionOf(sa: IkeSa, d: Buffer, ids: { msgId?: number; not?: number } = {}): boolean {
  let h;
  try {
    h = decodeHeader(d);
  } catch {
    return false;
  }
  if (h.exchangeType !== ExchangeType.TRANSACTION || !sameCookie(h.initiatorCookie, sa.cookieI) || !sameCookie(h.responderCookie, sa.cookieR)) return false;
  if (ids.msgId !== undefined && h.messageId !== ids.msgId) return false;
  return ids.not === undefined || h.messageId !== ids.not;
}
