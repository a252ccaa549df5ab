/**
 * Which step of a session a datagram of the gateway's is: aggressive mode's AM2, an XAUTH request or status,
 * a mode config reply, a quick mode answer, a DPD message or a DELETE. Encrypted messages are opened with the
 * session's keys (reseal.ts) to look inside; what is opened is handed on, so it is decrypted once.
 */
import { CfgAttribute, CfgType, ExchangeType, ISAKMP_HEADER_LENGTH, NotifyType, PayloadType } from '../../ike/constants.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import { decodeHeader, type IsakmpHeader } from '../../ike/message.js';
import { splitAttributes, splitChain, type RawPayload } from './chain.js';
import type { HostileStep } from './plan.js';
import { openOutgoing, quickModeNonce, type HashRule, type OpenedOut } from './reseal.js';

export type MessageKind = Exclude<HostileStep, 'qm2' | 'rekey'> | 'quick' | 'other';

/** Our own quick mode (the gateway's rekey) is told apart from answers to the client's by its message id. */
function quickHashRule(sa: IkeSa, header: IsakmpHeader, trigger: Buffer | undefined, ownQuickId: number | undefined): HashRule {
  const t = trigger ? headerOf(trigger) : undefined;
  if (header.messageId === ownQuickId) return t?.messageId === ownQuickId ? { kind: 'fixed' } : { kind: 'hash1' };
  const nonceI = trigger ? quickModeNonce(sa, trigger) : undefined;
  return nonceI ? { kind: 'hash2', nonceI } : { kind: 'unknown' };
}

export interface Classified {
  readonly kind: MessageKind;
  readonly header: IsakmpHeader | undefined;
  /** An encrypted message, decrypted. */
  readonly opened?: OpenedOut;
  /** An unencrypted one's payloads (AM2, plain notifies). */
  readonly plain?: RawPayload[];
}

function headerOf(d: Buffer): IsakmpHeader | undefined {
  try {
    return decodeHeader(d);
  } catch {
    return undefined;
  }
}

function transactionKind(payloads: readonly RawPayload[]): MessageKind {
  const attr = payloads.find((p) => p.type === PayloadType.ATTRIBUTE);
  if (!attr || attr.body.length < 4) return 'other';
  const cfgType = attr.body[0];
  if (cfgType === CfgType.REQUEST) return 'xauth-request';
  if (cfgType === CfgType.REPLY) return 'mode-config';
  if (cfgType !== CfgType.SET) return 'other';
  const attrs = splitAttributes(attr.body.subarray(4)) ?? [];
  return attrs.some((a) => a.type === CfgAttribute.XAUTH_STATUS) ? 'xauth-status' : 'mode-config';
}

function informationalKind(payloads: readonly RawPayload[]): MessageKind {
  if (payloads.some((p) => p.type === PayloadType.DELETE)) return 'delete';
  const dpd = payloads.some((p) => p.type === PayloadType.NOTIFICATION && p.body.length >= 8 && [NotifyType.R_U_THERE, NotifyType.R_U_THERE_ACK].includes(p.body.readUInt16BE(6) as never));
  return dpd ? 'dpd' : 'other';
}

/**
 * Classifies `data`, which the gateway sends to the client of `sa` (undefined before phase 1 is done);
 * `ownQuickId` is the message id of the gateway's own quick mode, if it started one.
 */
export function classify(sa: IkeSa | undefined, data: Buffer, trigger: Buffer | undefined, ownQuickId?: number): Classified {
  const header = headerOf(data);
  if (!header) return { kind: 'other', header };
  if (header.exchangeType === ExchangeType.AGGRESSIVE) {
    const plain = splitChain(header.nextPayload, data.subarray(ISAKMP_HEADER_LENGTH, header.length));
    return { kind: 'am2', header, ...(plain ? { plain } : {}) };
  }
  if (!sa) return { kind: 'other', header };
  const quick = header.exchangeType === ExchangeType.QUICK;
  const opened = openOutgoing(sa, data, trigger, quick ? quickHashRule(sa, header, trigger, ownQuickId) : { kind: 'hash1' });
  if (!opened) return { kind: 'other', header };
  const base = { header, opened };
  switch (header.exchangeType) {
    case ExchangeType.TRANSACTION:
      return { kind: transactionKind(opened.payloads), ...base };
    case ExchangeType.INFORMATIONAL:
      return { kind: informationalKind(opened.payloads), ...base };
    case ExchangeType.QUICK:
      return { kind: header.messageId === ownQuickId ? 'gateway-rekey' : 'quick', ...base };
    default:
      return { kind: 'other', ...base };
  }
}
