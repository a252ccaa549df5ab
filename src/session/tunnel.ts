/**
 * The running tunnel: the loop that waits for the gateway's messages, asks the state machine (lifecycle.ts)
 * what is due and does it: phase-1 re-authentication make-before-break, ESP rekeys, keepalives, DPD, the
 * roaming check, reconnection after a dead peer. The device, routes and DNS stay for the whole time; only the
 * SAs, the ESP transport and, after a reconnection, the IKE channel change.
 */
import { randomBytes } from 'node:crypto';
import { AuthError } from '../errors.js';
import { buildDpd } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import type { ModeConfig } from '../ike/exchanges/mode-config.js';
import { watchRoutes, type RouteMonitor } from '../io/index.js';
import { parseIpv4 } from '../wire/ipv4-text.js';
import type { EndReason } from './client-hooks.js';
import type { EspKeeper } from './esp-keeper.js';
import { negotiatePairs, type EspNegotiation } from './esp-pairs.js';
import type { Duty, IkeSaSlot, SessionLifecycle } from './lifecycle.js';
import { espDelete, type Link, openChannel, phase1, phase1Following, rawTransportFrom, reconnectTarget, sendDeletes, transportFor, type SessionContext } from './negotiate.js';
import { localAddressFor } from './route.js';
import { buildDnsProbe } from './inner-probe.js';
import type { ScriptHost } from './script-host.js';
import type { SessionMessages } from './session-messages.js';
import { TunnelMtu } from './tunnel-mtu.js';
import { statusOf, type TunnelStatus } from './status.js';
import { Timers } from './timers.js';

export class RunningTunnel {
  /** An ISAKMP SA whose phase 1 is done but which does not carry the tunnel yet (its quick mode runs). */
  private pending: IkeSaSlot | undefined;
  /** The route to the gateway led into the tunnel at the last check (its uplink is gone). */
  private routeLooped = false;
  private readonly mtu: TunnelMtu;
  private readonly startedAt: number;
  private reauthentications = 0;
  private reconnects = 0;
  /** Reconnection attempts since the last success: which of the gateway and its backups comes next. */
  private reconnectAttempts = 0;

  constructor(
    private readonly ctx: SessionContext,
    private readonly scripts: ScriptHost,
    private readonly keeper: EspKeeper,
    private readonly lc: SessionLifecycle,
    private readonly link: Link,
    private readonly messages: SessionMessages,
  ) {
    link.datapath.onSoftLimit = () => this.link.channel.interrupt();
    this.mtu = new TunnelMtu(ctx, link.tun.name);
    this.startedAt = ctx.clock.now();
  }

  async run(): Promise<EndReason> {
    const { clock, log } = this.ctx;
    if (this.ctx.hooks.detached?.()) this.scripts.output = 'capture';
    log.at(2)?.('S7.9 main loop');
    const monitor = this.watchKernel();
    this.setMtu(false);
    try {
      for (;;) {
        const s = this.lc.stage;
        if (s.kind === 'ended') return s.reason;
        const waitMs = this.lc.wait(clock.now());
        const d = this.link.channel.closed ? await pause(waitMs) : await this.link.channel.next(waitMs);
        if (d) this.handleIke(d);
        const now = clock.now();
        const { datapath } = this.link;
        const esp = { sent: datapath.espSent, received: datapath.espReceived, ikeHeardAt: this.messages.ikeHeardAt };
        const duties = this.lc.tick(now, { lastHeard: this.lastHeard(), espDue: this.keeper.due(now), transport: this.link.transport.kind, esp });
        await this.performAll(duties);
        this.keeper.expire(clock.now());
        this.messages.flushNotices();
      }
    } finally {
      monitor?.close();
    }
  }

  /**
   * Roaming: the kernel's notices of link, address and route changes make the route check run at once (the
   * periodic check stays, should the notices be unavailable). Not with --local-addr: the user fixed the address.
   */
  private watchKernel(): RouteMonitor | undefined {
    if (this.ctx.endpoints.bindAddress !== '0.0.0.0') return undefined;
    const { log, hooks } = this.ctx;
    try {
      return watchRoutes(
        () => {
          this.lc.kernelRouteEvent();
          this.link.channel.interrupt();
        },
        { ...(hooks.netns ? { netns: hooks.netns } : {}), onError: (err) => log.at(1)?.(`route monitor stopped: ${err.message}; checking every ${Timers.routeCheckMs / 1000} s`) },
      );
    } catch (err) {
      log.at(1)?.(`${(err as Error).message}; checking the route every ${Timers.routeCheckMs / 1000} s instead`);
      return undefined;
    }
  }

  private async perform(duty: Duty): Promise<void> {
    const { log } = this.ctx;
    switch (duty.kind) {
      case 'notice':
        return log.notice(duty.text);
      case 'check-route':
        await this.checkOuterAddress(duty.because);
        // A path that shrank (the kernel learned it from "fragmentation needed") lowers the device's MTU.
        if (!this.routeLooped) this.setMtu(true);
        return;
      case 'reauthenticate':
        return this.reauthenticate();
      case 'rekey-esp':
        return this.rekeyEsp();
      case 'keepalive':
        return this.link.transport.keepalive();
      case 'probe': {
        const slot = this.lc.current;
        if (!slot) return;
        log.at(2)?.(`sending DPD R-U-THERE seq ${duty.seq} (attempt ${duty.attempt})`);
        return this.link.channel.send(buildDpd(slot.sa, randomMessageId(), false, duty.seq));
      }
      case 'attempt-reconnect':
        return this.scripts.attemptReconnect();
      case 'reconnect':
        return this.reconnect();
      case 'probe-inner':
        return this.probeInner();
      case 'trace-note':
        return this.ctx.hooks.trace?.note(duty.text);
      case 'force-natt':
        // The next phase 1 (due now) fakes NAT-D, so the gateway floats to 4500 and ESP goes in UDP.
        this.ctx.config = { ...this.ctx.config, nattMode: 'force-natt' };
        return;
    }
  }

  /** Performs duties in order; once the session has ended only the notices (why it ended) are still given. */
  private async performAll(duties: Duty[]): Promise<void> {
    for (const d of duties) if (d.kind === 'notice' || !this.lc.ended) await this.perform(d);
  }

  /**
   * Phase-1 re-authentication, make-before-break: a new aggressive mode (no INITIAL-CONTACT), XAUTH and mode
   * config on the same socket while the old ISAKMP SA and the ESP SAs keep working, then quick mode on the new
   * SA; the old ESP pair stays usable inbound for its grace period and the old SAs are deleted. A new address
   * or split from mode config is applied by the script.
   */
  private async reauthenticate(): Promise<void> {
    const { clock, log } = this.ctx;
    const old = this.lc.current;
    if (!old) return;
    log.at(1)?.(`re-authenticating phase 1 (${old.life.describe(clock.now())})`);
    this.lc.reauthStarted(clock.now());
    try {
      const { slot, outcome } = await this.phase1(true);
      this.pending = slot;
      // From a new place the gateway may see us behind a NAT, or no longer: ESP then travels another way.
      const moved = slot.terms.encapMode !== old.terms.encapMode;
      const { replaced } = await negotiatePairs(this.esp(moved ? slot : undefined), slot, true);
      this.lc.reauthenticated(slot);
      this.pending = undefined;
      if (old.life.usable) sendDeletes(this.link.channel, old.sa, replaced);
      // The old ISAKMP SA is gone (the gateway deleted it): the replaced ESP pairs are deleted on the new one.
      else for (const pair of replaced) this.link.channel.send(espDelete(slot.sa, pair));
      this.reauthentications++;
      log.notice(`phase 1 re-authenticated: ISAKMP SA lifetime ${outcome.lifetimeSeconds} s`);
      await this.applyModeConfig(slot.terms.modeConfig);
      this.setMtu(false);
    } catch (err) {
      this.dropPending();
      if (this.lc.ended) return;
      const refused = err instanceof AuthError;
      // The same credentials again would fail again (and may lock the account).
      if (refused) this.link.reusablePassword = undefined;
      await this.performAll(this.lc.reauthFailed(clock.now(), (err as Error).message, refused));
    }
  }

  /** Our own rekey: a new quick mode; the old pair stays usable inbound for a while and is deleted. */
  private async rekeyEsp(): Promise<void> {
    const { clock, log } = this.ctx;
    const slot = this.lc.current;
    if (!slot) return;
    const due = this.keeper.dueFamilies(clock.now());
    const families = due.length > 0 ? due : [4 as const];
    log.at(1)?.(families.map((f) => `rekeying the ${f === 6 ? 'IPv6 ' : ''}ESP SAs: ${this.keeper.dueReason(clock.now(), f) ?? 'due'}`).join('\n'));
    try {
      const { replaced, ipv6Dropped } = await negotiatePairs(this.esp(), slot, true, families);
      for (const old of replaced) this.link.channel.send(espDelete(slot.sa, old));
      if (ipv6Dropped) {
        await this.applyModeConfig(slot.terms.modeConfig);
        this.setMtu(false); // the script's connect set its own MTU
      }
    } catch (err) {
      if (this.lc.ended) return;
      await this.performAll(this.lc.rekeyFailed(clock.now(), (err as Error).message));
    }
  }

  /**
   * One reconnection attempt after a dead peer: a fresh channel, phase 1 and quick mode; the device and routes
   * stayed. Then `reconnect` (or, if the gateway handed out another address, `disconnect` and `connect`).
   */
  private async reconnect(): Promise<void> {
    const { clock, log } = this.ctx;
    try {
      // The configured gateway again (a cluster may send us to another member this time), then in turn the
      // backup servers mode config named.
      const ep = this.ctx.endpoints;
      const target = await reconnectTarget(this.ctx, this.lc.last?.terms.modeConfig, this.reconnectAttempts++);
      if (ep.gateway !== target) {
        if (target !== ep.origin) log.notice(`trying the backup server ${target}`);
        ep.gateway = target;
        if (ep.bindAddress === '0.0.0.0') ep.localAddress = (await this.sourceTowardsGateway()) ?? ep.localAddress;
      }
      // The old channel goes first (the new one binds the same port); should opening fail, the loop waits on a
      // timer until the next attempt (run() does not spin on a closed channel).
      this.link.channel.close();
      this.link.channel = openChannel(this.ctx);
      const { slot } = await this.phase1(false, true);
      this.pending = slot;
      this.keeper.reset();
      await negotiatePairs(this.esp(slot), slot, false);
      this.lc.established(clock.now(), slot);
      this.pending = undefined;
      await this.applyModeConfig(slot.terms.modeConfig);
      this.setMtu(false);
      this.reconnects++;
      this.reconnectAttempts = 0;
      log.notice(`reconnected${ep.gateway !== ep.origin ? ` to ${ep.gateway}` : ''}`);
    } catch (err) {
      this.dropPending();
      if (this.lc.ended) return;
      await this.performAll(this.lc.reconnectFailed(clock.now(), (err as Error).message, err instanceof AuthError));
    }
  }

  /**
   * The quick modes' dependencies; with `transportOf`, ESP moves to that slot's transport once its IPv4 pair is
   * negotiated (before it is installed: a NAT found or lost changes how ESP travels).
   */
  private esp(transportOf?: IkeSaSlot): EspNegotiation {
    return {
      keeper: this.keeper,
      log: this.ctx.log,
      quickMode: async (slot, family) => {
        const pair = await this.messages.quickMode(slot, family);
        if (transportOf && family === 4) this.replaceTransport(transportOf);
        return pair;
      },
    };
  }

  /** A phase 1 whose quick mode failed, or was stopped, leaves nothing at the gateway: DELETE its ISAKMP SA. */
  private dropPending(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p?.life.usable) sendDeletes(this.link.channel, p.sa, []);
  }

  /**
   * A new phase 1 on the channel: messages of the SA in use are handled meanwhile, the new SA's once it has
   * keys; what may be kept of a typed password is kept (in memory) for the next one.
   */
  private async phase1(reauthentication: boolean, followRedirects = false): Promise<Awaited<ReturnType<typeof phase1>>> {
    const req = {
      reauthentication,
      rememberedPassword: this.link.reusablePassword,
      foreign: (d: Buffer) => this.handleIke(d),
      keyed: (sa: IkeSa) => this.lc.keyed(sa),
    };
    const p1 = followRedirects
      ? await phase1Following(this.ctx, this.link.channel, req, (moved) => (this.link.channel = moved))
      : await phase1(this.ctx, this.link.channel, req);
    this.link.reusablePassword = p1.outcome.reusablePassword;
    return p1;
  }

  /** What `vpnc --status` shows (status.ts). */
  status(): TunnelStatus {
    return statusOf({
      now: this.ctx.clock.now(),
      startedAt: this.startedAt,
      ctx: this.ctx,
      link: this.link,
      lc: this.lc,
      keeper: this.keeper,
      lastHeard: this.lastHeard(),
      ikeHeardAt: this.messages.ikeHeardAt,
      mtu: this.mtu,
      counts: { reauthentications: this.reauthentications, reconnects: this.reconnects },
    });
  }

  /** The device MTU for the path and the ESP pair and transport in use (tunnel-mtu.ts). */
  private setMtu(onlyLower: boolean): void {
    const esp = this.keeper.current;
    if (esp) this.mtu.update(esp.outbound.suite, this.link.transport.kind, onlyLower);
  }

  private replaceTransport(slot: IkeSaSlot): void {
    const transport = transportFor(this.ctx, this.link.channel, slot.terms);
    this.link.transport = transport;
    this.link.datapath.replaceTransport(transport);
    this.ctx.log.notice(`ESP now over ${transport.kind}`);
  }

  /**
   * The script after a new phase 1 on the same device: `reconnect` when mode config is what it was; when the
   * address, split or DNS changed, `disconnect` then `connect` (vpnc-scripts apply a configuration only there).
   */
  private async applyModeConfig(mc: ModeConfig): Promise<void> {
    const { scripts, link } = this;
    const before = scripts.current;
    scripts.setTunnel(link.tun.name, this.ctx.endpoints.gateway, mc, this.ctx.endpoints.origin);
    if (!scripts.changedFrom(before)) {
      await scripts.reconnect();
      return;
    }
    this.ctx.log.notice(`the gateway's configuration changed (address ${mc.address}); reconfiguring`);
    if (link.datapath.ethernet) link.datapath.ethernet = { ...link.datapath.ethernet, ourAddress: parseIpv4(mc.address) };
    if (before) {
      scripts.setTunnelFrom(before);
      await scripts.reconfigure(link.tun.name, this.ctx.endpoints.gateway, mc, this.ctx.endpoints.origin);
    } else {
      await scripts.connect();
    }
    this.mtu.forget();
  }

  /**
   * Roaming: the source address the kernel would use towards the gateway changed (a new DHCP lease, another
   * uplink). Sockets bound to the wildcard follow by themselves; raw ESP is reopened on the new address; the
   * state machine decides between probing (NAT-T moves the SAs) and re-authenticating (raw ESP does not).
   */
  private async checkOuterAddress(because: 'kernel' | 'timer'): Promise<void> {
    const { endpoints: ep, log } = this.ctx;
    if (ep.bindAddress !== '0.0.0.0') return; // --local-addr: the user fixed it
    let now = await this.sourceTowardsGateway();
    const tunnelAddress = this.lc.last?.terms.modeConfig.address;
    if (now !== undefined && now === tunnelAddress) {
      // The host route the script pinned to the gateway went with its uplink; what is left (the tunnel's own
      // default route) leads into the tunnel. The script's attempt-reconnect routes the gateway via the uplink
      // there is now (vpnc-script: set_vpngateway_route). Once per loss, and again on each kernel notice.
      if (this.routeLooped && because !== 'kernel') return;
      if (!this.routeLooped) log.notice('the route to the gateway leads into the tunnel (its uplink went away); re-pointing it to the uplink there is now (script: attempt-reconnect)');
      this.routeLooped = true;
      await this.scripts.attemptReconnect();
      now = await this.sourceTowardsGateway();
      if (now === tunnelAddress) return;
    }
    // Unchanged, or no route at the moment (between two networks): look again at the next check.
    if (now === undefined || now === ep.localAddress || now === '0.0.0.0' || now === tunnelAddress) return;
    if (this.routeLooped) {
      this.routeLooped = false;
      await this.scripts.reconnect();
    }
    const raw = this.link.transport.kind === 'raw';
    const seen = because === 'kernel' ? 'the kernel reported it' : 'seen by the periodic check';
    log.notice(`the outer address changed from ${ep.localAddress} to ${now} (${seen}); ${raw ? 're-authenticating from there' : 'probing the gateway from there'}`);
    ep.localAddress = now;
    if (raw) {
      this.link.transport = rawTransportFrom(this.ctx, now);
      this.link.datapath.replaceTransport(this.link.transport);
    }
    this.lc.moved(this.ctx.clock.now(), raw);
  }

  /** A DNS query through the tunnel to the first resolver mode config gave: its answer would be ESP coming back. */
  private probeInner(): void {
    const mc = this.lc.current?.terms.modeConfig;
    const dns = mc?.dns[0];
    if (!mc || !dns) return;
    const id = randomBytes(2).readUInt16BE(0);
    const sent = this.link.datapath.sendInner(buildDnsProbe(mc.address, dns, id, 1024 + (id % 60000)));
    this.ctx.log.at(1)?.(`no ESP has come back for a while: probing the gateway (R-U-THERE) and, through the tunnel, the resolver ${dns}${sent ? '' : ' (could not be sent)'}`);
  }

  /** The source address the kernel would use towards the gateway; undefined when it has no route there. */
  private async sourceTowardsGateway(): Promise<string | undefined> {
    try {
      return await localAddressFor(this.ctx.endpoints.gateway);
    } catch {
      return undefined;
    }
  }

  private lastHeard(): number {
    return Math.max(this.link.channel.lastReceive, this.link.datapath.lastInbound);
  }

  /** An IKE message from the gateway while the tunnel runs (or arriving during an exchange). */
  private handleIke(d: Buffer): void {
    this.messages.handle(d);
  }
}

/** Waits `ms` without a channel to wait on (after a reconnection could not open one). */
function pause(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}
