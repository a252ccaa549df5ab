/**
 * Keeps the tunnel's ESP SAs current: installs a new pair in the data path, keeps replaced inbound SAs for a
 * grace period (packets already in flight), answers the gateway's own quick modes (its rekeys), reacts to its
 * DELETEs, and says when we must renegotiate ourselves (85 % of a stated lifetime, or at once when the
 * gateway deleted the pair in use). No I/O of its own: the client sends what it returns.
 */
import { ESP_SEQ_REKEY_AT, ESP_SOFT_LIFETIME_SHARE } from '../esp/constants.js';
import { EspSa } from '../esp/sa.js';
import type { Logger } from '../log.js';
import { clientRekeyPolicy, QuickModeResponder } from '../ike/exchanges/quick-mode-responder.js';
import type { EspPolicy } from '../ike/exchanges/quick-mode.js';
import type { IkeSa, OpenedMessage } from '../ike/ike-sa.js';
import { familyOfIds, type IpFamily, type TunnelIds } from '../ike/exchanges/quick-mode-ids.js';
import { NotifyType, PayloadType } from '../ike/constants.js';
import { ProtocolError } from '../errors.js';
import { formatSpi, randomSpi, type Spi } from '../wire/sa-ids.js';
import type { DataPath } from './datapath.js';
import type { EspPair } from './quick-mode-driver.js';
import { systemClock, Timers, type Clock } from './timers.js';


/** What a gateway's rekey must agree with: the running tunnel's encapsulation, PFS group and IDs (per family). */
export interface GatewayRekeyTerms {
  readonly encapMode: number;
  readonly pfsGroup: number;
  readonly tunnels: Partial<Record<IpFamily, TunnelIds>>;
}

/** The pair of one family in use, since when, and when it must be renegotiated (0: now; the gateway deleted it). */
interface Held {
  pair: EspPair;
  at: number;
  renegotiateAt: number;
}

/**
 * One pair per family: IPv4 always, IPv6 when mode config gave an IPv6 address (its own quick mode, RFC 2409
 * 5.5: one pair of IDs per quick mode). Each is rekeyed, replaced and deleted on its own.
 */
export class EspKeeper {
  private readonly held = new Map<IpFamily, Held>();
  private retired: Array<{ sa: EspPair; at: number }> = [];
  private readonly responders = new Map<number, QuickModeResponder>();
  datapath: DataPath | undefined;
  /** Pairs that replaced a pair in use (our rekeys, the gateway's, those of re-authentications). */
  replacements = 0;

  constructor(
    private readonly log: Logger,
    private readonly policy: EspPolicy,
    private readonly onInstall: (pair: EspPair) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {}

  /** The IPv4 pair in use (the one probes, the MTU and the status headline follow). */
  get current(): EspPair | undefined {
    return this.held.get(4)?.pair;
  }

  /** Every pair in use (IPv4, then IPv6 when carried): what a goodbye deletes. */
  get inUse(): EspPair[] {
    return [...this.held.values()].map((h) => h.pair);
  }

  /** The pair in use for `family`. */
  pairOf(family: IpFamily): EspPair | undefined {
    return this.held.get(family)?.pair;
  }

  /** The gateway deleted the IPv4 pair in use (and it is not replaced yet). */
  get currentDeleted(): boolean {
    return this.held.get(4)?.renegotiateAt === 0;
  }

  /** Makes `fresh` the pair in use of its family; the previous one is kept for the grace period when `retireOld`. */
  install(fresh: EspPair, retireOld: boolean): EspPair | undefined {
    const old = this.held.get(fresh.family)?.pair;
    if (fresh.lifetimeKilobytes > 0) {
      const limit = fresh.lifetimeKilobytes * 1024 * ESP_SOFT_LIFETIME_SHARE;
      fresh.inbound.softByteLimit = limit;
      fresh.outbound.softByteLimit = limit;
    }
    const at = this.clock.now();
    this.held.set(fresh.family, { pair: fresh, at, renegotiateAt: Infinity });
    if (old && retireOld) {
      this.retired.push({ sa: old, at });
      this.replacements++;
    }
    this.onInstall(fresh);
    this.datapath?.install(fresh.inbound, fresh.outbound, fresh.family);
    return old;
  }

  /**
   * Stops carrying `family` (IPv6 when the gateway no longer gives it): its pair is retired (inbound for the
   * grace period) and returned, to be deleted at the gateway.
   */
  drop(family: IpFamily): EspPair | undefined {
    const h = this.held.get(family);
    if (!h) return undefined;
    this.held.delete(family);
    this.datapath?.removeOutbound(family);
    this.retired.push({ sa: h.pair, at: this.clock.now() });
    return h.pair;
  }

  /** Forgets every SA (a new ISAKMP SA after a reconnect brings new ones). */
  reset(): void {
    for (const r of this.retired) this.datapath?.removeInbound(r.sa.inbound.spi);
    for (const h of this.held.values()) {
      this.datapath?.removeInbound(h.pair.inbound.spi);
      this.datapath?.removeOutbound(h.pair.family);
    }
    this.retired = [];
    this.responders.clear();
    this.held.clear();
  }

  /**
   * True when we must run a quick mode ourselves now: the gateway deleted a pair, or 85 % of its lifetime in
   * seconds or kilobytes (either direction) is used, or the outbound sequence number nears its end (RFC 4303
   * 3.3.3: it must never cycle).
   */
  due(now: number): boolean {
    return this.dueFamilies(now).length > 0;
  }

  /** The families whose pair must be renegotiated now. */
  dueFamilies(now: number): IpFamily[] {
    return [...this.held.keys()].filter((f) => this.dueReason(now, f) !== undefined);
  }

  /** Why a quick mode is due for `family`, for the log; undefined when it is not. */
  dueReason(now: number, family: IpFamily = 4): string | undefined {
    const h = this.held.get(family);
    if (!h) return undefined;
    const esp = h.pair;
    if (now >= h.renegotiateAt) return 'the gateway deleted the SA in use';
    if (esp.outbound.nextSeq >= ESP_SEQ_REKEY_AT) return `sequence number ${esp.outbound.nextSeq} near its end`;
    if (esp.inbound.pastSoftLimit() || esp.outbound.pastSoftLimit()) {
      const bytes = Math.max(esp.inbound.counters.bytes, esp.outbound.counters.bytes);
      return `${Math.floor(bytes / 1024)} of ${esp.lifetimeKilobytes} kB used`;
    }
    const life = esp.lifetimeSeconds;
    if (life > 0 && now - h.at >= life * 1000 * ESP_SOFT_LIFETIME_SHARE) {
      return `${Math.round((now - h.at) / 1000)} of ${life} s used`;
    }
    return undefined;
  }

  /** The pairs in use and the replaced ones still accepted inbound, with when each came to be (status view). */
  get installed(): ReadonlyArray<{ readonly pair: EspPair; readonly at: number; readonly inUse: boolean }> {
    const out = this.retired.map((r) => ({ pair: r.sa, at: r.at, inUse: false }));
    for (const h of this.held.values()) out.push({ pair: h.pair, at: h.at, inUse: true });
    return out;
  }

  /** Drops inbound SAs whose grace period is over. */
  expire(now: number): void {
    while (this.retired.length && now - this.retired[0]!.at > Timers.retiredEspGraceMs) {
      this.datapath?.removeInbound(this.retired.shift()!.sa.inbound.spi);
    }
  }

  /** The gateway deleted ESP SAs: replaced ones are dropped; a pair in use is renegotiated at once. */
  deleted(spis: readonly Spi[]): boolean {
    let current = false;
    for (const spi of spis) {
      const inUse = [...this.held.values()].find((h) => spi === h.pair.outbound.spi || spi === h.pair.inbound.spi);
      if (inUse) {
        if (inUse.renegotiateAt !== 0) this.log.at(1)?.(`gateway deleted the ${inUse.pair.family === 6 ? 'IPv6 ' : ''}ESP SA in use; negotiating a new one`);
        inUse.renegotiateAt = 0;
        current = true;
        continue;
      }
      const i = this.retired.findIndex((r) => r.sa.inbound.spi === spi || r.sa.outbound.spi === spi);
      if (i >= 0) this.datapath?.removeInbound(this.retired.splice(i, 1)[0]!.sa.inbound.spi);
    }
    return current;
  }

  /** Whether a quick mode the gateway started under `msgId` waits for its QM3. */
  answering(msgId: number): boolean {
    return this.responders.has(msgId);
  }

  /**
   * A quick-mode message the gateway started (it rekeys), already opened: QM1 gets an answer to send; QM3
   * installs the new pair. QM1's IDs say which family it rekeys. Throws when the gateway's proposal, IDs or
   * hashes are not acceptable.
   */
  gatewayQuickMode(sa: IkeSa, msg: OpenedMessage, terms: GatewayRekeyTerms): Buffer | undefined {
    const msgId = msg.header.messageId;
    const pending = this.responders.get(msgId);
    if (!pending) {
      const family = familyOfIds(msg.payloads.filter((p) => p.type === PayloadType.ID));
      const tunnel = terms.tunnels[family];
      if (!tunnel) throw new ProtocolError(`the gateway's quick mode is for IPv${family}, which this tunnel does not carry`, NotifyType.INVALID_ID_INFORMATION);
      const policy = clientRekeyPolicy(this.policy, terms.encapMode, terms.pfsGroup);
      const responder = new QuickModeResponder({ sa, policy, tunnel, clientIdIndex: 1, spiIn: randomSpi() }, msg);
      this.responders.set(msgId, responder);
      return responder.qm2;
    }
    // Checked first: a QM3 whose HASH(3) fails (forged, mangled) leaves the rekey waiting for the real one.
    const r = pending.finish(msg);
    this.responders.delete(msgId);
    const fresh: EspPair = {
      family: pending.family,
      inbound: EspSa.fromKeymat(r.spiIn, r.suite, r.keymatIn),
      outbound: EspSa.fromKeymat(r.spiOut, r.suite, r.keymatOut),
      lifetimeSeconds: r.lifetimeSeconds,
      lifetimeKilobytes: r.lifetimeKilobytes,
      description: `${r.suite.name}, SPI in ${formatSpi(r.spiIn)} out ${formatSpi(r.spiOut)}`,
    };
    this.install(fresh, true);
    this.log.at(1)?.(`gateway rekeyed the ${fresh.family === 6 ? 'IPv6 ' : ''}ESP SAs: ${fresh.description}`);
    return undefined;
  }
}
