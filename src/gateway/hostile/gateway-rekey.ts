/**
 * The gateway's own rekey, which only the hostile mode has (the plain gateway never rekeys): once the tunnel is
 * up it starts a quick mode itself, with the initiator of ike/exchanges (the client's transforms, no PFS, the
 * encapsulation mode in use, IDci 0.0.0.0 and IDcr the client's address), answers the client's QM2 with QM3 and
 * has the new pair installed. Its QM1 and QM3 are what the `gateway-rekey` step attacks.
 */
import { ExchangeType } from '../../ike/constants.js';
import { QuickModeInitiator } from '../../ike/exchanges/quick-mode.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import { decodeHeader } from '../../ike/message.js';
import type { QuickModeKeys } from '../../ike/exchanges/quick-mode-responder.js';
import { formatIpv4 } from '../../wire/ipv4-text.js';
import { sameCookie, type Spi } from '../../wire/sa-ids.js';

export class GatewayRekey {
  private readonly initiator: QuickModeInitiator;
  /** QM1 as sealed (before any hostile treatment). */
  readonly qm1: Buffer;
  private finished = false;

  constructor(
    private readonly sa: IkeSa,
    readonly msgId: number,
    o: { spiIn: Spi; encapMode: number; clientAddress: number },
  ) {
    this.initiator = new QuickModeInitiator({
      sa,
      msgId,
      spiIn: o.spiIn,
      pfsGroup: 0,
      encapMode: o.encapMode,
      localAddress: '0.0.0.0',
      remote: { address: formatIpv4(o.clientAddress), prefixLength: 32 },
      policy: { weakEncryption: false, weakAuthentication: false, noEncryption: false },
    });
    this.qm1 = this.initiator.start();
  }

  /** Whether `datagram` is the client's answer in this quick mode. */
  owns(datagram: Buffer): boolean {
    try {
      const h = decodeHeader(datagram);
      return h.exchangeType === ExchangeType.QUICK && h.messageId === this.msgId && sameCookie(h.initiatorCookie, this.sa.cookieI);
    } catch {
      return false;
    }
  }

  /** The client's QM2: QM3 and the keys of the new pair; undefined after the first. Throws VpncError. */
  finish(qm2: Buffer, encapMode: number): { qm3: Buffer; keys: QuickModeKeys } | undefined {
    if (this.finished) return undefined;
    const r = this.initiator.receive(this.sa.open(qm2));
    this.finished = true;
    const { suite, spiIn, spiOut, keymatIn, keymatOut, lifetimeSeconds, lifetimeKilobytes } = r;
    return { qm3: r.qm3, keys: { suite, spiIn, spiOut, keymatIn, keymatOut, encapMode, name: suite.name, lifetimeSeconds, lifetimeKilobytes } };
  }
}
