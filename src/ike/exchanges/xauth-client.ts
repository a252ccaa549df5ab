/**
 * XAUTH as the client lives it, as a pure exchange: bytes in, steps out. The gateway drives: each CFG_REQUEST
 * becomes an `ask` (the session finds the values and calls answer(), which gives the CFG_REPLY to send); a
 * CFG_SET with XAUTH_STATUS ends it (`status`, with the ACK to send); a CFG_SET without one is a netscreen
 * mode-config push (`pushed`, ACKed, XAUTH goes on). The session only moves bytes and asks the user.
 */
import { ExchangeType } from '../constants.js';
import type { IkeSa } from '../ike-sa.js';
import { CfgType } from '../mode-cfg-constants.js';
import { parseModeConfigReply, type ModeConfig } from './mode-config.js';
import { isTransactionOf, openTransaction } from './transaction.js';
import { buildAck, buildXauthReply, parseXauthRequest, parseXauthStatus, type XauthField, type XauthRequest } from './xauth.js';

export type XauthStep =
  /** The gateway asks for these values: answer() them. */
  | { readonly kind: 'ask'; readonly request: XauthRequest }
  /** Mode config pushed during XAUTH: send the ACK and wait for the next message. */
  | { readonly kind: 'pushed'; readonly send: Buffer; readonly modeConfig: ModeConfig }
  /** The end: send the ACK; `ok` says whether the gateway accepted the credentials. */
  | { readonly kind: 'status'; readonly send: Buffer; readonly ok: boolean };

export class XauthClient {
  private pending: { request: XauthRequest; msgId: number } | undefined;
  /** The request last answered: a repeat of it is not the next message (the channel resends our reply). */
  private answered: number | undefined;
  /** Mode config the gateway pushed during XAUTH, if it did. */
  pushed: ModeConfig | undefined;

  constructor(private readonly sa: IkeSa) {}

  /** Whether `d` is the gateway's next XAUTH message on this SA. */
  accepts(d: Buffer): boolean {
    return isTransactionOf(this.sa, d, this.answered !== undefined ? { not: this.answered } : {});
  }

  /** Reads the gateway's next message (throws ProtocolError on a malformed or unsupported one). */
  receive(d: Buffer): XauthStep {
    const { msg, attr } = openTransaction(this.sa, d);
    const msgId = msg.header.messageId;
    const status = parseXauthStatus(attr);
    if (status !== undefined) {
      const send = this.sa.sealHashed(ExchangeType.TRANSACTION, msgId, [buildAck(attr)]);
      this.sa.ivs.forget(msgId);
      return { kind: 'status', send, ok: status };
    }
    if (attr.cfgType === CfgType.SET) {
      // netscreen: mode config in a SET without XAUTH_STATUS; the ACK echoes the types with empty values.
      const modeConfig = parseModeConfigReply(attr);
      this.pushed = modeConfig;
      const echoed = attr.attributes.map((a) => ({ ...a, value: a.tv ? a.value : Buffer.alloc(0) }));
      const send = this.sa.sealHashed(ExchangeType.TRANSACTION, msgId, [buildAck({ ...attr, attributes: echoed })]);
      this.sa.ivs.forget(msgId);
      return { kind: 'pushed', send, modeConfig };
    }
    const request = parseXauthRequest(attr);
    this.pending = { request, msgId };
    return { kind: 'ask', request };
  }

  /** The CFG_REPLY to the request of the last `ask`, filled with `answers`. */
  answer(answers: ReadonlyMap<XauthField, string>): Buffer {
    const p = this.pending;
    if (!p) throw new Error('XauthClient.answer() without a pending request');
    this.pending = undefined;
    this.answered = p.msgId;
    return this.sa.sealHashed(ExchangeType.TRANSACTION, p.msgId, [buildXauthReply(p.request, answers)]);
  }
}
