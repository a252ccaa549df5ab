/**
 * Mode config pull as the client runs it, as a pure exchange: request() gives the CFG_REQUEST to send,
 * accepts() picks the gateway's reply (same message id), receive() reads it into a ModeConfig.
 */
import { randomBytes } from 'node:crypto';
import { ExchangeType } from '../constants.js';
import { randomMessageId, type IkeSa } from '../ike-sa.js';
import { buildModeConfigRequest, parseModeConfigReply, type ModeConfig, type ModeConfigRequestOptions } from './mode-config.js';
import { isTransactionOf, openTransaction } from './transaction.js';

export class ModeConfigClient {
  readonly msgId: number;
  readonly identifier: number;

  constructor(
    private readonly sa: IkeSa,
    private readonly options: Omit<ModeConfigRequestOptions, 'identifier'>,
    random: (n: number) => Buffer = randomBytes,
  ) {
    this.msgId = randomMessageId(random);
    this.identifier = random(2).readUInt16BE(0);
  }

  request(): Buffer {
    return this.sa.sealHashed(ExchangeType.TRANSACTION, this.msgId, [buildModeConfigRequest({ ...this.options, identifier: this.identifier })]);
  }

  accepts(d: Buffer): boolean {
    return isTransactionOf(this.sa, d, { msgId: this.msgId });
  }

  /** The gateway's CFG_REPLY (throws ProtocolError on a malformed reply or a wrong identifier). */
  receive(d: Buffer): ModeConfig {
    const { attr } = openTransaction(this.sa, d);
    this.sa.ivs.forget(this.msgId);
    return parseModeConfigReply(attr, this.identifier);
  }
}
