/**
 * Keeps the tunnel's ESP SAs current: installs a new pair in the data path, keeps replaced inbound SAs for a
 * grace period (packets already in flight), answers the gateway's own quick modes (its rekeys), reacts to its
 * DELETEs, and says when we must renegotiate ourselves (85 % of a stated lifetime, or at once when the
 * gateway deleted the pair in use). No I/O of its own: the client sends what it returns.
 */
import { ESP_SEQ_REKEY_AT, ESP_SOFT_LIFETIME_SHARE } from '../esp/constants.js';
import { EspSa } from '../esp/sa.js';
import type { Logger } from '../log.js';
import { QuickModeResponder } from '../ike/exchanges/quick-mode-responder.js';
import type { EspPolicy } from '../ike/exchanges/quick-mode.js';
import type { IkeSa, OpenedMessage } from '../ike/ike-sa.js';
import type { TunnelIds } from '../ike/exchanges/quick-mode-ids.js';
import type { DataPath } from './datapath.js';
import { randomSpi, type EspPair } from './quick-mode-driver.js';
import { systemClock, Timers, type Clock } from './timers.js';


/** What a gateway's rekey must agree with: the running tunnel's encapsulation, PFS group and IDs. */
export interface GatewayRekeyTerms {
  readonly encapMode: number;
  readonly pfsGroup: number;
  readonly tunnel: TunnelIds;
}

export class EspKeeper {
  private esp: EspPair | undefined;
  private establishedAt = 0;
  private retired: Array<{ sa: EspPair; at: number }> = [];
  private readonly responders = new Map<number, QuickModeResponder>();
  /** Renegotiate at this time (0: now) because the gateway deleted the pair in use. */
  private renegotiateAt = Infinity;
  datapath: DataPath | undefined;
  /** Pairs that replaced a pair in use (our rekeys, the gateway's, those of re-authentications). */
  replacements = 0;

  constructor(
    private readonly log: Logger,
    private readonly policy: EspPolicy,
    private readonly onInstall: (pair: EspPair) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  get current(): EspPair | undefined {
    return this.esp;
  }

  /** The gateway deleted the pair in use (and it is not replaced yet). */
  get currentDeleted(): boolean {
    return this.esp !== undefined && this.renegotiateAt === 0;
  }

  /** Makes `fresh` the pair in use; the previous one is kept for the grace period when `retireOld`. */
  install(fresh: EspPair, retireOld: boolean): EspPair | undefined {
    const old = this.esp;
    this.esp = fresh;
    if (fresh.lifetimeKilobytes > 0) {
      const limit = fresh.lifetimeKilobytes * 1024 * ESP_SOFT_LIFETIME_SHARE;
      fresh.inbound.softByteLimit = limit;
      fresh.outbound.softByteLimit = limit;
    }
    this.establishedAt = this.clock.now();
    this.renegotiateAt = Infinity;
    if (old && retireOld) {
      this.retired.push({ sa: old, at: this.establishedAt });
      this.replacements++;
    }
    this.onInstall(fresh);
    this.datapath?.install(fresh.inbound, fresh.outbound);
    return old;
  }

  /** Forgets every SA (a new ISAKMP SA after a reconnect brings new ones). */
  reset(): void {
    for (const r of this.retired) this.datapath?.removeInbound(r.sa.inbound.spi);
    if (this.esp) this.datapath?.removeInbound(this.esp.inbound.spi);
    this.retired = [];
    this.responders.clear();
    this.esp = undefined;
    this.renegotiateAt = Infinity;
  }

  /**
   * True when we must run a quick mode ourselves now: the gateway deleted the pair, or 85 % of its lifetime in
   * seconds or kilobytes (either direction) is used, or the outbound sequence number nears its end (RFC 4303
   * 3.3.3: it must never cycle).
   */
  due(now: number): boolean {
    return this.dueReason(now) !== undefined;
  }

  /** Why a quick mode is due, for the log; undefined when it is not. */
  dueReason(now: number): string | undefined {
    const esp = this.esp;
    if (!esp) return undefined;
    if (now >= this.renegotiateAt) return 'the gateway deleted the SA in use';
    if (esp.outbound.nextSeq >= ESP_SEQ_REKEY_AT) return `sequence number ${esp.outbound.nextSeq} near its end`;
    if (esp.inbound.pastSoftLimit() || esp.outbound.pastSoftLimit()) {
      const bytes = Math.max(esp.inbound.counters.bytes, esp.outbound.counters.bytes);
      return `${Math.floor(bytes / 1024)} of ${esp.lifetimeKilobytes} kB used`;
    }
    const life = esp.lifetimeSeconds;
    if (life > 0 && now - this.establishedAt >= life * 1000 * ESP_SOFT_LIFETIME_SHARE) {
      return `${Math.round((now - this.establishedAt) / 1000)} of ${life} s used`;
    }
    return undefined;
  }

  /** The pair in use and the replaced ones still accepted inbound, with when each came to be (status view). */
  get installed(): ReadonlyArray<{ readonly pair: EspPair; readonly at: number; readonly inUse: boolean }> {
    const out = this.retired.map((r) => ({ pair: r.sa, at: r.at, inUse: false }));
    if (this.esp) out.push({ pair: this.esp, at: this.establishedAt, inUse: true });
    return out;
  }

  /** Drops inbound SAs whose grace period is over. */
  expire(now: number): void {
    while (this.retired.length && now - this.retired[0]!.at > Timers.retiredEspGraceMs) {
      this.datapath?.removeInbound(this.retired.shift()!.sa.inbound.spi);
    }
  }

  /** The gateway deleted ESP SAs: replaced ones are dropped; the pair in use is renegotiated at once. */
  deleted(spis: readonly number[]): boolean {
    let current = false;
    for (const spi of spis) {
      if (this.esp && (spi === this.esp.outbound.spi || spi === this.esp.inbound.spi)) {
        current = true;
        continue;
      }
      const i = this.retired.findIndex((r) => r.sa.inbound.spi === spi || r.sa.outbound.spi === spi);
      if (i >= 0) this.datapath?.removeInbound(this.retired.splice(i, 1)[0]!.sa.inbound.spi);
    }
    if (current) {
      this.log.debug(1, () => 'gateway deleted the ESP SA in use; negotiating a new one');
      this.renegotiateAt = 0;
    }
    return current;
  }

  /**
   * A quick-mode message the gateway started (it rekeys), already opened: QM1 gets an answer to send; QM3
   * installs the new pair. Throws when the gateway's proposal or hashes are not acceptable.
   */
  gatewayQuickMode(sa: IkeSa, msg: OpenedMessage, terms: GatewayRekeyTerms): Buffer | undefined {
    const msgId = msg.header.messageId;
    const pending = this.responders.get(msgId);
    if (!pending) {
      const responder = new QuickModeResponder({ sa, policy: this.policy, ...terms, spiIn: randomSpi() });
      const qm2 = responder.receive(msg);
      this.responders.set(msgId, responder);
      return qm2;
    }
    this.responders.delete(msgId);
    const r = pending.finish(msg);
    const fresh: EspPair = {
      inbound: EspSa.fromKeymat(r.spiIn.readUInt32BE(0), r.suite, r.keymatIn),
      outbound: EspSa.fromKeymat(r.spiOut.readUInt32BE(0), r.suite, r.keymatOut),
      lifetimeSeconds: r.lifetimeSeconds,
      lifetimeKilobytes: r.lifetimeKilobytes,
      description: `${r.suite.name}, SPI in 0x${r.spiIn.toString('hex')} out 0x${r.spiOut.toString('hex')}`,
    };
    this.install(fresh, true);
    this.log.debug(1, () => `gateway rekeyed the ESP SAs: ${fresh.description}`);
    return undefined;
  }
}
