/**
 * Extra messages the hostile gateway sends out of turn, just before the step's message: an R-U-THERE (or an
 * unasked ACK), a notify of any type, a DELETE of the ISAKMP SA or of ESP SPIs, a transaction under a fresh
 * message id, all properly protected; or an unencrypted notify, which needs no keys. Pure given the PRNG.
 */
import { ExchangeType, PayloadType } from '../../ike/constants.js';
import { buildDeleteEsp, buildDeleteIsakmp, buildDpd, buildPlainNotify } from '../../ike/exchanges/informational.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import { spiFromBytes, type IkeCookie, type Spi } from '../../wire/sa-ids.js';
import type { InjectOp } from './plan.js';
import type { Prng } from './prng.js';
import { sealFresh } from './reseal.js';
import { awkwardBytes, CFG_TYPES, NOTIFY_TYPES } from './values.js';
import { joinAttributes } from './chain.js';

export interface InjectContext {
  readonly sa: IkeSa | undefined;
  readonly cookieI: IkeCookie;
  readonly cookieR: IkeCookie;
  /** The ESP SPIs in use, once quick mode is done. */
  readonly espSpis: readonly Spi[];
}

function messageId(rng: Prng): number {
  return rng.u32() || 1;
}

/** The message to inject, and what it is for the log. */
export function buildInjection(rng: Prng, op: InjectOp, ctx: InjectContext): { data: Buffer; what: string } {
  const sa = ctx.sa;
  if (!sa || op === 'plain-notify') {
    const type = rng.pick(NOTIFY_TYPES);
    return { data: buildPlainNotify(ctx.cookieI, ctx.cookieR, type), what: `unencrypted notify ${type}` };
  }
  switch (op) {
    case 'r-u-there': {
      const ack = rng.chance(0.3);
      return { data: buildDpd(sa, messageId(rng), ack, rng.u32()), what: ack ? 'an unasked R-U-THERE-ACK' : 'an R-U-THERE' };
    }
    case 'notify': {
      const type = rng.pick(NOTIFY_TYPES);
      const spi = rng.chance(0.7) ? sa.spi : rng.bytes(rng.pick([0, 4, 16]));
      const head = Buffer.from([0, 0, 0, 1, rng.pick([1, 3]), spi.length, type >> 8, type & 0xff]);
      const body = Buffer.concat([head, spi, awkwardBytes(rng, Buffer.alloc(4))]);
      return { data: sealFresh(sa, ExchangeType.INFORMATIONAL, messageId(rng), [{ type: PayloadType.NOTIFICATION, body }]), what: `notify ${type}` };
    }
    case 'delete-isakmp':
      return { data: buildDeleteIsakmp(sa, messageId(rng)), what: 'a DELETE of the ISAKMP SA' };
    case 'delete-esp': {
      const real = ctx.espSpis.length > 0 && rng.chance(0.5);
      const spis = real ? [...ctx.espSpis] : [spiFromBytes(rng.bytes(4)), spiFromBytes(rng.bytes(4))];
      return { data: buildDeleteEsp(sa, messageId(rng), spis), what: `a DELETE of ${real ? 'the ESP SAs in use' : 'unknown ESP SPIs'}` };
    }
    case 'transaction': {
      const cfgType = rng.between(0, 6);
      const attrs = Array.from({ length: rng.between(0, 4) }, () => ({ type: rng.pick(CFG_TYPES), tv: rng.chance(0.4), value: rng.bytes(rng.pick([0, 2, 4, 16])) }));
      const body = Buffer.concat([Buffer.from([cfgType, 0]), rng.bytes(2), joinAttributes(attrs)]);
      return { data: sealFresh(sa, ExchangeType.TRANSACTION, messageId(rng), [{ type: PayloadType.ATTRIBUTE, body }]), what: `a transaction (CFG type ${cfgType}, ${attrs.length} attributes) under a fresh message id` };
    }
  }
}
