/**
 * What the gateway sends once the tunnel runs: its own quick modes (ESP rekeys), DPD both ways, DELETEs and
 * notices. Decides, the session acts: an ISAKMP DELETE with the ESP SAs (or none) ends the connection, one
 * without them makes phase 1 due for re-authentication.
 */
import { ExchangeType, notifyTypeName } from '../ike/constants.js';
import { buildDpd, parseInformational, type InformationalEvent } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import { decodeHeader } from '../ike/message.js';
import type { Logger } from '../log.js';
import type { IkeCookie } from '../wire/sa-ids.js';
import type { DeadPeerDetector } from './dpd.js';
import type { EspKeeper, GatewayRekeyTerms } from './esp-keeper.js';
import type { IkeChannel } from './ike-channel.js';
import type { LogThrottle } from './log-throttle.js';

/** The part of the session the gateway's messages read and change. */
export interface MessageSession {
  /** The ISAKMP SA of ours with this initiator cookie (the one in use, or one being made); others are not ours. */
  saFor(cookieI: IkeCookie): IkeSa | undefined;
  channel(): IkeChannel;
  /** DPD of the ISAKMP SA in use. */
  dpd(): DeadPeerDetector | undefined;
  readonly keeper: EspKeeper;
  readonly log: Logger;
  /** For notices about input anyone could have sent: one line per kind per interval. */
  readonly notices: LogThrottle;
  rekeyTerms(): GatewayRekeyTerms;
  /** The gateway ended the connection (DELETE of `sa` with the ESP SAs, or with none). */
  peerEnded(sa: IkeSa): void;
  /** The gateway deleted the ISAKMP SA `sa` but not the ESP SAs. */
  isakmpDeleted(sa: IkeSa): void;
}

/** Handles one datagram from the gateway; returns the informational events it carried (none for others). */
export function handleGatewayMessage(s: MessageSession, d: Buffer): InformationalEvent[] {
  let h;
  try {
    h = decodeHeader(d);
  } catch {
    return [];
  }
  const sa = s.saFor(h.initiatorCookie);
  if (!sa) return [];
  if (h.exchangeType === ExchangeType.QUICK) {
    try {
      // The IV of its message ID moves only for a message whose hash checks out: a forged datagram does not derail
      // the real one. QM3 of a rekey we answer is taken (HASH(3)) before the IV moves; a new QM1's HASH(1) is
      // checked and the IV moved before QM2 is sealed on from its last block. One decryption either way.
      const terms = s.rekeyTerms();
      const qm2 = s.keeper.answering(h.messageId)
        ? sa.openWith(d, (msg) => s.keeper.gatewayQuickMode(sa, msg, terms))
        : s.keeper.gatewayQuickMode(sa, sa.openWith(d, (msg) => (sa.verifyHash(msg), msg)), terms);
      if (qm2) s.channel().reply(qm2);
    } catch (err) {
      s.notices.notice("gateway's quick mode refused", () => `gateway's quick mode refused: ${(err as Error).message}`);
    }
    return [];
  }
  if (h.exchangeType !== ExchangeType.INFORMATIONAL) {
    s.log.at(2)?.(`ignoring exchange type ${h.exchangeType} from the gateway (message id ${h.messageId})`);
    return [];
  }
  try {
    const events = sa.openWith(d, (msg) => {
      sa.verifyHash(msg);
      return parseInformational(msg);
    });
    for (const ev of events) onEvent(s, sa, ev);
    return events;
  } catch (err) {
    s.log.at(2)?.(`dropped an informational message: ${(err as Error).message}`);
    return [];
  }
}

function onEvent(s: MessageSession, sa: IkeSa, ev: InformationalEvent): void {
  switch (ev.kind) {
    case 'r-u-there':
      s.channel().reply(buildDpd(sa, randomMessageId(), true, ev.seq));
      break;
    case 'r-u-there-ack': {
      const answered = s.dpd()?.ack(ev.seq) ?? false;
      s.log.at(2)?.(`DPD R-U-THERE-ACK seq ${ev.seq}${answered ? '' : ' ignored: it answers no outstanding R-U-THERE'}`);
      break;
    }
    case 'delete-isakmp':
      // parseInformational lists it after the message's ESP DELETEs: whether they went too is known here.
      if (!s.keeper.current || s.keeper.currentDeleted) {
        s.peerEnded(sa);
      } else {
        s.isakmpDeleted(sa);
        s.channel().interrupt();
      }
      break;
    case 'delete-esp':
      if (s.keeper.deleted(ev.spis)) s.channel().interrupt();
      break;
    case 'notify':
      s.log.at(1)?.(`gateway notice: ${notifyTypeName(ev.messageType)}`);
      break;
    case 'malformed':
      s.notices.notice("gateway's informational message malformed", () => `gateway's informational message: ${ev.error.message}`);
      break;
    default:
      s.log.at(2)?.(`informational from the gateway: ${ev.kind}`);
  }
}
