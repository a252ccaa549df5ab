/**
 * One VPN connection from start to end: pre-init script, TUN device, phase 1 + XAUTH + mode config, connect
 * script, quick mode, the data path; then the running tunnel (tunnel.ts) until a signal, a gateway DELETE or
 * a dead peer ends it; then an orderly teardown (DELETE for ESP then ISAKMP, disconnect script, device
 * closed), on every path. What happens when is decided by the session's state machine (lifecycle.ts).
 */
import { VpncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { VpncConfig } from '../config/validate.js';
import { openTun, type TunDevice } from '../io/index.js';
import { parseIpv4 } from '../wire/ipv4-text.js';
import type { ClientHooks, EndReason } from './client-hooks.js';
import { DataPath } from './datapath.js';
import { EspKeeper } from './esp-keeper.js';
import type { IkeSa } from '../ike/ike-sa.js';
import type { IkeChannel } from './ike-channel.js';
import { SessionLifecycle, type IkeSaSlot, type LifecyclePolicy } from './lifecycle.js';
import { negotiatePairs } from './esp-pairs.js';
import { ciscoPortOf, familiesOf, firstPhase1, openChannel, resolveBackups, sendDeletes, transportFor, type Link, type SessionContext } from './negotiate.js';
import { localAddressFor, resolveGateway, resolveLocalAddress } from './route.js';
import { backupServersOf, ScriptHost } from './script-host.js';
import { loadClientCredentials } from './client-credentials.js';
import { SessionMessages } from './session-messages.js';
import { fakePeerMac } from './tap.js';
import { systemClock, type Clock } from './timers.js';
import { RunningTunnel } from './tunnel.js';
import type { TunnelStatus } from './status.js';

export class VpnClient {
  private readonly scripts: ScriptHost;
  private readonly keeper: EspKeeper;
  private readonly lifecycle: SessionLifecycle;
  private readonly policy: LifecyclePolicy;
  private readonly clock: Clock;
  /** What exists so far, for the teardown: filled in as setup goes. */
  private opened: { tun?: TunDevice; channel?: IkeChannel; link?: Link; slot?: IkeSaSlot; keyed?: IkeSa } = {};
  private connected = false;
  private running: RunningTunnel | undefined;

  constructor(
    private readonly config: VpncConfig,
    private readonly log: Logger,
    private readonly hooks: ClientHooks,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
    this.scripts = new ScriptHost(config, log);
    this.keeper = new EspKeeper(log, config, (pair) => hooks.trace?.espSas(pair), clock);
    this.policy = policyOf(config);
    this.lifecycle = new SessionLifecycle(this.policy);
  }

  /** Ends the connection (from a signal handler): whatever is awaited (a phase 1, a quick mode) ends now. */
  stop(signal: string): void {
    this.lifecycle.signal(signal);
    this.channel?.cancel();
  }

  /** The running tunnel as `vpnc --status` shows it; undefined before it is up. */
  status(): TunnelStatus | undefined {
    return this.running?.status();
  }

  private get channel(): IkeChannel | undefined {
    return this.opened.link?.channel ?? this.opened.channel;
  }

  /** Runs the whole connection; resolves with the reason it ended. Cleans up on every path. */
  async run(): Promise<EndReason> {
    try {
      const ctx = await this.context();
      const { link, messages } = await this.setup(ctx);
      this.running = new RunningTunnel(ctx, this.scripts, this.keeper, this.lifecycle, link, messages);
      return await this.running.run();
    } finally {
      await this.teardown();
    }
  }

  private async context(): Promise<SessionContext> {
    const c = this.config;
    const gateway = await resolveGateway(c.gateway);
    const bindAddress = await resolveLocalAddress(c.localAddr);
    const localAddress = bindAddress !== '0.0.0.0' ? bindAddress : await localAddressFor(gateway);
    this.log.at(2)?.(`S1 init_sockaddr: gateway ${gateway}, local ${localAddress}`);
    const credentials = c.authMode === 'cert' ? await loadClientCredentials(c, this.hooks.promptSecret) : undefined;
    if (credentials) this.log.at(1)?.(`our certificate: ${credentials.chain.length} in the chain, RSA key loaded`);
    return { config: c, log: this.log, hooks: this.hooks, clock: this.clock, policy: this.policy, endpoints: { gateway, origin: gateway, bindAddress, localAddress, backupAddresses: new Map() }, ...(credentials ? { credentials } : {}) };
  }

  private interrupted(): VpncError {
    const s = this.lifecycle.stage;
    return new VpncError('VPNC_ERR_INTERRUPTED', `terminated by signal ${s.kind === 'ended' && s.reason.kind === 'signal' ? s.reason.signal : ''}`);
  }

  private async setup(ctx: SessionContext): Promise<{ link: Link; messages: SessionMessages }> {
    const c = this.config;
    this.hooks.trace?.start(ctx.endpoints.localAddress, ctx.endpoints.gateway);
    await this.scripts.preInit();
    const tun = openTun({ mode: c.ifMode, ...(c.ifName ? { name: c.ifName } : {}), ...(this.hooks.netns ? { netns: this.hooks.netns } : {}) });
    this.opened.tun = tun;
    this.log.at(2)?.(`using interface ${tun.name}`);
    let channel = openChannel(ctx);
    this.opened.channel = channel;
    // The gateway's messages go to whichever channel is current (a reconnection opens a new one).
    const messages = new SessionMessages(ctx, this.keeper, this.lifecycle, () => this.opened.link?.channel ?? channel);
    if (this.lifecycle.ended) throw this.interrupted();
    const p1 = await firstPhase1(
      ctx,
      channel,
      {
        reauthentication: false,
        rememberedPassword: c.passwordTyped ? c.password : undefined,
        keyed: (sa) => {
          this.opened.keyed = sa;
          this.lifecycle.keyed(sa);
        },
      },
      (moved) => {
        // Another gateway now (redirect, backup): an SA of the one left behind is not this one's to delete.
        this.opened.channel = moved;
        this.opened.keyed = undefined;
      },
    );
    const { slot, outcome } = p1;
    channel = p1.channel;
    // The gateway we really connected to (after a load-balancing redirect or at a backup): the script's VPNGATEWAY.
    const { gateway } = ctx.endpoints;
    this.opened.slot = slot;
    const mc = slot.terms.modeConfig;
    this.scripts.setTunnel(tun.name, gateway, mc, ctx.endpoints.origin);
    // Before the script points DNS into the tunnel: a reconnection needs these addresses when the tunnel is dead.
    await resolveBackups(ctx, backupServersOf(mc, c.backupServers));
    await this.scripts.connect();
    this.connected = true;
    const pair = await messages.quickMode(slot);
    const transport = transportFor(ctx, channel, slot.terms);
    const ciscoPort = ciscoPortOf(c, slot.terms);
    this.hooks.trace?.espSas(pair, { kind: transport.kind, localPort: ciscoPort ? c.udpPort : channel.localPort, remotePort: ciscoPort ?? channel.remotePort });
    this.log.at(1)?.(`ESP over ${transport.kind}`);
    this.keeper.install(pair, false);
    const datapath = new DataPath(tun, transport, parseIpv4(gateway), this.log, this.clock);
    datapath.tap = this.hooks.datapathTap;
    datapath.dropTap = this.hooks.dropTap ?? this.hooks.datapathTap;
    if (c.ifMode === 'tap') {
      const tapMac = tun.mac;
      if (!tapMac) throw new VpncError('VPNC_ERR_TAP', `cannot read the MAC address of ${tun.name}`);
      datapath.ethernet = { tapMac, peerMac: fakePeerMac(tapMac), ourAddress: parseIpv4(mc.address) };
    }
    this.keeper.datapath = datapath;
    datapath.install(pair.inbound, pair.outbound);
    datapath.start();
    // IPv6 beside IPv4: its own quick mode, now that the data path can take its pair (esp-pairs.ts). Refused,
    // the script takes the IPv6 it was given back (vpnc-scripts apply a configuration only at connect).
    if (familiesOf(slot.terms).includes(6)) {
      const v6 = await negotiatePairs({ keeper: this.keeper, log: this.log, quickMode: (s, f) => messages.quickMode(s, f) }, slot, false, [6]);
      if (v6.ipv6Dropped) await this.scripts.reconfigure(tun.name, gateway, mc, ctx.endpoints.origin);
    }
    const link: Link = { tun, datapath, channel, transport, reusablePassword: outcome.reusablePassword };
    this.opened.link = link;
    this.lifecycle.established(this.clock.now(), slot);
    this.hooks.onUp?.({ tunDev: tun.name, address: mc.address, gateway });
    return { link, messages };
  }

  private async teardown(): Promise<void> {
    const { tun, link } = this.opened;
    const channel = this.channel;
    // The SA that carried the tunnel last; before the tunnel was up, the one the first phase 1 made.
    const slot = this.lifecycle.last ?? this.opened.slot;
    const esp = this.keeper.inUse;
    const s = this.lifecycle.stage;
    const reason = s.kind === 'ended' ? s.reason : undefined;
    if (reason?.kind === 'signal') this.log.notice(`terminated by signal: ${reason.signal}`);
    this.hooks.onStopping?.();
    link?.datapath.stop();
    // The SA that carried the tunnel; or, when setup failed after AM2 (XAUTH, mode config), the one it made, so
    // that the gateway does not keep it (and an address) until its own timeout.
    const goodbye = slot ? (slot.life.usable ? slot.sa : undefined) : this.opened.keyed;
    if (goodbye && channel && !channel.closed && reason?.kind !== 'peer-delete') {
      try {
        sendDeletes(channel, goodbye, slot ? esp : []);
      } catch (err) {
        this.log.at(1)?.(`could not send DELETE: ${(err as Error).message}`);
      }
    }
    if (this.hooks.detached?.()) this.scripts.output = 'capture';
    if (this.connected) await this.scripts.disconnect();
    channel?.close();
    tun?.close();
  }
}

/** What the state machine is told of the settings. */
function policyOf(c: VpncConfig): LifecyclePolicy {
  return { reconnectTimeoutMs: c.reconnectTimeout * 1000, dpdIdleSeconds: c.dpdIdle, nattMode: c.nattMode, nattFallback: !c.noNattFallback };
}
