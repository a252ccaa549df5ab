/**
 * The gateway's messages as the session routes them: by initiator cookie to the ISAKMP SA in use or the one
 * being made (the state machine knows both), with what they change (DPD, ESP rekeys, DELETEs) reported back;
 * and quick mode guarded by them (abandoned when the session ends, the SA is deleted or the gateway refuses).
 * Used from the first quick mode on, so a refusal during setup is read as it is later.
 */
import { ProtocolError, VpncError } from '../errors.js';
import { notifyTypeName } from '../ike/constants.js';
import type { InformationalEvent } from '../ike/exchanges/informational.js';
import type { IkeSa } from '../ike/ike-sa.js';
import type { EspKeeper, GatewayRekeyTerms } from './esp-keeper.js';
import { handleGatewayMessage, type MessageSession } from './gateway-messages.js';
import { LogThrottle } from './log-throttle.js';
import type { IkeChannel } from './ike-channel.js';
import type { IkeSaSlot, SessionLifecycle } from './lifecycle.js';
import { IPV6_TARGET, quickMode, type SessionContext } from './negotiate.js';
import { tunnelIdsOf, type IpFamily, type TunnelIds } from '../ike/exchanges/quick-mode-ids.js';
import type { EspPair } from './quick-mode-driver.js';

/** Notify types below this are errors (RFC 2408 3.14.1); above are status messages. */
const NOTIFY_STATUS_BASE = 16384;

export class SessionMessages {
  /** ISAKMP SAs the gateway deleted while not (yet) the one in use: an exchange on one of them is over. */
  private readonly deletedSas = new WeakSet<IkeSa>();
  /** When an authenticated IKE message last came from the gateway (0: never). */
  ikeHeardAt = 0;
  private readonly session: MessageSession;
  private readonly notices: LogThrottle;

  constructor(
    private readonly ctx: SessionContext,
    keeper: EspKeeper,
    private readonly lc: SessionLifecycle,
    private readonly channel: () => IkeChannel,
  ) {
    const { log, clock } = ctx;
    this.notices = new LogThrottle(log, clock);
    this.session = {
      saFor: (cookieI) => lc.saFor(cookieI),
      channel,
      dpd: () => lc.current?.dpd,
      keeper,
      log,
      notices: this.notices,
      rekeyTerms: () => this.rekeyTerms(),
      peerEnded: (sa) => {
        if (sa !== lc.current?.sa) return void this.deletedSas.add(sa);
        if (this.replacedMeanwhile()) return;
        log.notice('connection terminated by peer');
        lc.peerEnded();
      },
      isakmpDeleted: (sa) => {
        if (sa !== lc.current?.sa) return void this.deletedSas.add(sa);
        if (this.replacedMeanwhile()) return;
        log.notice('the gateway deleted the ISAKMP SA; the ESP SAs live on: re-authenticating');
        lc.isakmpDeleted(clock.now());
      },
    };
  }

  /**
   * The SA in use was deleted while its successor already has keys (a gateway that allows one session per
   * user ends the old one as soon as the new one is authenticated): the old one is gone, not the session.
   */
  private replacedMeanwhile(): boolean {
    const s = this.lc.stage;
    if (s.kind !== 'reauthenticating' || s.next === undefined) return false;
    this.ctx.log.notice('the gateway ended the old session as the new one came up');
    this.lc.isakmpDeleted(this.ctx.clock.now());
    return true;
  }

  /** Tells the counts of notices held back (from the main loop). */
  flushNotices(): void {
    this.notices.flush();
  }

  /** One datagram from the gateway; returns the informational events it carried. */
  handle(d: Buffer): InformationalEvent[] {
    const events = handleGatewayMessage(this.session, d);
    if (events.length > 0) this.ikeHeardAt = this.ctx.clock.now();
    return events;
  }

  /** Quick mode on `slot` for `family`, abandoned when the session ends, the SA is deleted or the gateway refuses it. */
  quickMode(slot: IkeSaSlot, family: IpFamily = 4): Promise<EspPair> {
    return quickMode(this.ctx, this.channel(), slot, (d) => {
      const events = this.handle(d);
      if (this.lc.ended) throw new VpncError('VPNC_ERR_INTERRUPTED', 'connection ended during quick mode');
      if (!slot.life.usable || this.deletedSas.has(slot.sa)) throw new VpncError('VPNC_ERR_INTERRUPTED', 'the gateway deleted the ISAKMP SA during quick mode');
      const refusal = events.find((e) => e.kind === 'notify' && e.messageType < NOTIFY_STATUS_BASE);
      if (refusal?.kind === 'notify') throw new ProtocolError(`gateway refused quick mode: ${notifyTypeName(refusal.messageType)}`, refusal.messageType);
    }, family);
  }

  /** What the gateway's own quick modes must agree with: per family, our address and the network we asked for. */
  private rekeyTerms(): GatewayRekeyTerms {
    const t = this.ctx.config.targetNetwork;
    const terms = this.lc.current?.terms;
    const mc = terms?.modeConfig;
    const tunnels: Partial<Record<IpFamily, TunnelIds>> = {};
    const v4 = tunnelIdsOf(mc?.address ?? '0.0.0.0', t);
    if (v4) tunnels[4] = v4;
    const v6 = mc?.address6 ? tunnelIdsOf(mc.address6.address, IPV6_TARGET) : undefined;
    if (v6) tunnels[6] = v6;
    return { encapMode: terms?.encapMode ?? 0, pfsGroup: terms?.pfsGroup ?? 0, tunnels };
  }
}
