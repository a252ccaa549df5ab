/**
 * One VPN connection from start to end: pre-init script, TUN device, phase 1 + XAUTH + mode config,
 * connect script, quick mode, the data path, then the main loop (DPD, keepalives, rekeys, the gateway's
 * informational messages) until a signal, a gateway DELETE or a dead peer ends it (a dead peer can be
 * reconnected to, keeping the device and routes), and an orderly teardown (DELETE for ESP then ISAKMP,
 * disconnect script, device closed). The only code with I/O and time.
 */
import { randomBytes } from 'node:crypto';
import { AuthError, ProtocolError, VpncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { VpncConfig } from '../config/validate.js';
import { notifyTypeName } from '../ike/constants.js';
import { buildDeleteEsp, buildDeleteIsakmp, buildDpd, type InformationalEvent } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import { prefixRange } from '../ike/exchanges/quick-mode-ids.js';
import { openTun, parseIpv4Address, type TunDevice } from '../io/index.js';
import { spiBytes } from '../esp/sa.js';
import { DataPath } from './datapath.js';
import { DeadPeerDetector } from './dpd.js';
import { EspKeeper, type GatewayRekeyTerms } from './esp-keeper.js';
import { CiscoUdpTransport, DraftUdpTransport, RawEspTransport, UdpEspTransport, type EspTransport } from './esp-transport.js';
import { IkeChannel } from './ike-channel.js';
import { IkeSaLife } from './ike-sa-life.js';
import { handleGatewayMessage, type MessageSession } from './gateway-messages.js';
import { Phase1Driver, type Phase1Outcome } from './phase1.js';
import type { ModeConfig } from '../ike/exchanges/mode-config.js';
import { encapModeFor, pfsGroupFor, runQuickMode, type EspPair } from './quick-mode-driver.js';
import { localAddressFor, resolveGateway, resolveLocalAddress } from './route.js';
import { ScriptHost } from './script-host.js';
import { fakePeerMac } from './tap.js';
import { Timers, type ClientHooks, type EndReason } from './client-hooks.js';

/** Notify types below this are errors (RFC 2408 3.14.1); above are status messages. */
const NOTIFY_STATUS_BASE = 16384;

export class VpnClient {
  private channel: IkeChannel | undefined;
  private tun: TunDevice | undefined;
  private datapath: DataPath | undefined;
  private transport: EspTransport | undefined;
  private sa: IkeSa | undefined;
  private readonly scripts: ScriptHost;
  private readonly keeper: EspKeeper;
  private end: EndReason | undefined;
  private connected = false;
  private dpd: DeadPeerDetector | undefined;
  private gateway = '';
  /** Our outer address (NAT-D, raw ESP source). */
  private localAddress = '';
  /** The address sockets bind to: --local-addr resolved, or 0.0.0.0 (the kernel chooses). */
  private bindAddress = '0.0.0.0';
  private tunnelAddress = '';
  private encapMode = 0;
  private pfsGroup = 0;
  private readonly ikeLife = new IkeSaLife();
  /** stop() was called: no new channel may start waiting. */
  private stopped = false;
  private messages: MessageSession | undefined;
  private wakeSleep: (() => void) | undefined;
  private lastReauthError: string | undefined;
  /** An XAUTH password typed at a prompt that may serve a re-authentication (memory only). */
  private reusablePassword: string | undefined;

  constructor(
    private readonly config: VpncConfig,
    private readonly log: Logger,
    private readonly hooks: ClientHooks,
  ) {
    this.scripts = new ScriptHost(config, log);
    // Typed at the start-up prompt: good for the first phase 1; later ones only if mode config allows it.
    if (config.passwordTyped) this.reusablePassword = config.password;
    this.keeper = new EspKeeper(log, config, (pair) => hooks.trace?.espSas(pair));
  }

  /** Ends the connection (from a signal handler); the main loop notices within a moment. */
  stop(signal: string): void {
    if (!this.end || this.end.kind === 'dead-peer') this.end = { kind: 'signal', signal };
    this.stopped = true;
    this.wakeSleep?.();
    // Whatever we wait for (a quick mode, a reconnection's phase 1) ends now.
    this.channel?.cancel();
  }

  /** Runs the whole connection; resolves with the reason it ended. Cleans up on every path. */
  async run(): Promise<EndReason> {
    try {
      await this.setup();
      for (;;) {
        const end = await this.mainLoop();
        if (end.kind !== 'dead-peer' || this.config.reconnectTimeout <= 0 || !(await this.reconnect())) return this.end ?? end;
      }
    } finally {
      await this.teardown();
    }
  }

  private async setup(): Promise<void> {
    const c = this.config;
    this.gateway = await resolveGateway(c.gateway);
    this.bindAddress = await resolveLocalAddress(c.localAddr);
    this.localAddress = this.bindAddress !== '0.0.0.0' ? this.bindAddress : await localAddressFor(this.gateway);
    this.log.debug(2, () => `S1 init_sockaddr: gateway ${this.gateway}, local ${this.localAddress}`);
    this.hooks.trace?.start(this.localAddress, this.gateway);
    await this.scripts.preInit();
    this.tun = openTun({ mode: c.ifMode, ...(c.ifName ? { name: c.ifName } : {}), ...(this.hooks.netns ? { netns: this.hooks.netns } : {}) });
    this.log.debug(2, () => `using interface ${this.tun!.name}`);
    const p1 = await this.phase1();
    this.scripts.setTunnel(this.tun.name, this.gateway, p1.modeConfig);
    await this.scripts.connect();
    this.connected = true;
    const transport = await this.startEsp(p1);
    this.datapath = new DataPath(this.tun, transport, parseIpv4Address(this.gateway), this.log);
    this.datapath.tap = this.hooks.datapathTap;
    this.datapath.dropTap = this.hooks.dropTap ?? this.hooks.datapathTap;
    this.datapath.onSoftLimit = () => this.channel?.interrupt();
    if (c.ifMode === 'tap') {
      const tapMac = this.tun.mac;
      if (!tapMac) throw new VpncError('VPNC_ERR_TAP', `cannot read the MAC address of ${this.tun.name}`);
      this.datapath.ethernet = { tapMac, peerMac: fakePeerMac(tapMac), ourAddress: parseIpv4Address(p1.modeConfig.address) };
    }
    this.keeper.datapath = this.datapath;
    this.datapath.install(this.keeper.current!.inbound, this.keeper.current!.outbound);
    this.datapath.start();
    this.hooks.onUp?.({ tunDev: this.tun.name, address: p1.modeConfig.address });
  }

  /** A new IKE channel and ISAKMP SA: aggressive mode, XAUTH and mode config. */
  private async phase1(): Promise<Phase1Outcome> {
    const c = this.config;
    this.channel?.close();
    this.channel = new IkeChannel({
      localAddress: this.bindAddress,
      localPort: c.localPort,
      gateway: this.gateway,
      gatewayPort: 500,
      log: this.log,
      ...(this.hooks.netns ? { netns: this.hooks.netns } : {}),
      ...(this.hooks.trace ? { tap: this.hooks.trace } : {}),
    });
    if (this.stopped || this.end) throw new VpncError('VPNC_ERR_INTERRUPTED', `terminated by signal ${this.end?.kind === 'signal' ? this.end.signal : ''}`);
    const local = { address: this.localAddress, port: this.channel.localPort };
    const remote = { address: this.gateway, port: 500 };
    const p1 = await this.newDriver().run(local, remote, { initialContact: true });
    this.adopt(p1);
    this.encapMode = encapModeFor(p1.natt);
    this.tunnelAddress = p1.modeConfig.address;
    this.pfsGroup = pfsGroupFor(c.pfs, p1.modeConfig.pfs);
    return p1;
  }

  private newDriver(reauthentication = false): Phase1Driver {
    return new Phase1Driver(this.config, this.channel!, this.log, this.hooks.promptSecret, (sa) => this.hooks.trace?.ikeSa(sa), {
      foreign: (d) => this.handleIke(d),
      reauthentication,
      ...(this.reusablePassword !== undefined ? { rememberedPassword: this.reusablePassword } : {}),
    });
  }

  /** Makes a new ISAKMP SA the one in use: its lifetime, its DPD, what may be kept of the credentials. */
  private adopt(p1: Phase1Outcome): void {
    const c = this.config;
    this.sa = p1.sa;
    this.ikeLife.established(p1.establishedAt, p1.lifetimeSeconds);
    this.reusablePassword = p1.reusablePassword;
    this.dpd =
      c.dpdIdle !== 0 && p1.am.peer.dpd
        ? new DeadPeerDetector({
            idleMs: c.dpdIdle * 1000,
            retryMs: Math.min(Timers.dpdRetryMaxMs, c.dpdIdle * 200),
            attempts: Timers.dpdAttempts,
            initialSeq: randomBytes(4).readUInt32BE(0) & 0x7fffffff,
          })
        : undefined;
  }

  /**
   * Phase-1 re-authentication, make-before-break: a new aggressive mode (no INITIAL-CONTACT), XAUTH and mode
   * config on the same socket while the old ISAKMP SA and the ESP SAs keep working, then quick mode on the new
   * SA; the old ESP pair stays usable inbound for its grace period and the old SAs are deleted. The device,
   * routes and DNS stay; a new address or split from mode config is applied with the script's `reconnect`.
   */
  private async reauthenticate(): Promise<void> {
    const old = this.sa!;
    const oldUsable = this.ikeLife.usable;
    this.log.debug(1, () => `re-authenticating phase 1 (${this.ikeLife.describe(Date.now())})`);
    const channel = this.channel!;
    const local = { address: this.localAddress, port: channel.localPort };
    const remote = { address: this.gateway, port: channel.remotePort };
    const p1 = await this.newDriver(true).run(local, remote, { initialContact: false });
    const oldAddress = this.tunnelAddress;
    this.adopt(p1);
    this.pfsGroup = pfsGroupFor(this.config.pfs, p1.modeConfig.pfs);
    this.tunnelAddress = p1.modeConfig.address;
    // From a new place the gateway may see us behind a NAT, or no longer: ESP then travels another way.
    const encapMode = encapModeFor(p1.natt);
    const moved = encapMode !== this.encapMode;
    this.encapMode = encapMode;
    const pair = await this.quickMode();
    if (moved && this.datapath) {
      const ciscoPort = this.config.nattMode === 'cisco-udp' && p1.natt === 'none' ? p1.modeConfig.udpEncapPort : undefined;
      this.transport = this.makeTransport(p1.natt, ciscoPort);
      this.datapath.replaceTransport(this.transport);
      this.log.notice(`ESP now over ${this.transport.kind}`);
    }
    const replaced = this.keeper.install(pair, true);
    if (oldUsable) {
      if (replaced) channel.send(buildDeleteEsp(old, randomMessageId(), [spiBytes(replaced.inbound.spi), spiBytes(replaced.outbound.spi)]));
      channel.send(buildDeleteIsakmp(old, randomMessageId()));
    }
    await this.applyModeConfig(p1.modeConfig, oldAddress);
    this.log.notice(`phase 1 re-authenticated: ISAKMP SA lifetime ${p1.lifetimeSeconds} s`);
  }

  /**
   * The script after a new phase 1 on the same device: `reconnect` when mode config is what it was; when the
   * address, split or DNS changed, `disconnect` then `connect` (vpnc-scripts apply a configuration only there).
   */
  private async applyModeConfig(mc: ModeConfig, oldAddress: string): Promise<void> {
    const before = this.scripts.current;
    this.scripts.setTunnel(this.tun!.name, this.gateway, mc);
    if (mc.address === oldAddress && !this.scripts.changedFrom(before)) {
      await this.scripts.reconnect();
      return;
    }
    this.log.notice(`the gateway's configuration changed (address ${mc.address}); reconfiguring`);
    if (this.datapath?.ethernet) this.datapath.ethernet = { ...this.datapath.ethernet, ourAddress: parseIpv4Address(mc.address) };
    if (before) {
      this.scripts.setTunnelFrom(before);
      await this.scripts.disconnect();
      this.scripts.setTunnel(this.tun!.name, this.gateway, mc);
    }
    await this.scripts.connect();
  }

  /** Quick mode and the ESP transport for a fresh phase 1; the pair goes to the keeper. */
  private async startEsp(p1: Phase1Outcome): Promise<EspTransport> {
    const c = this.config;
    const ciscoPort = c.nattMode === 'cisco-udp' && p1.natt === 'none' ? p1.modeConfig.udpEncapPort : undefined;
    const pair = await this.quickMode();
    this.transport = this.makeTransport(p1.natt, ciscoPort);
    this.hooks.trace?.espSas(pair, {
      kind: this.transport.kind,
      localPort: ciscoPort ? c.udpPort : this.channel!.localPort,
      remotePort: ciscoPort ?? this.channel!.remotePort,
    });
    this.log.debug(1, () => `ESP over ${this.transport!.kind}`);
    this.keeper.install(pair, false);
    return this.transport;
  }

  private quickMode(): Promise<EspPair> {
    return runQuickMode(this.sa!, this.channel!, this.log, {
      config: this.config,
      localAddress: this.tunnelAddress,
      pfsGroup: this.pfsGroup,
      encapMode: this.encapMode,
    }, (d) => {
      const events = this.handleIke(d);
      // The gateway ended the connection, or deleted the ISAKMP SA, while we were negotiating: stop waiting.
      if (this.end) throw new VpncError('VPNC_ERR_INTERRUPTED', 'connection ended during quick mode');
      if (!this.ikeLife.usable) throw new VpncError('VPNC_ERR_INTERRUPTED', 'the gateway deleted the ISAKMP SA during quick mode');
      const refusal = events.find((e) => e.kind === 'notify' && e.messageType < NOTIFY_STATUS_BASE);
      if (refusal?.kind === 'notify') throw new ProtocolError(`gateway refused quick mode: ${notifyTypeName(refusal.messageType)}`, refusal.messageType);
    });
  }

  /** What the gateway's own quick modes must agree with. */
  private rekeyTerms(): GatewayRekeyTerms {
    const t = this.config.targetNetwork;
    return {
      encapMode: this.encapMode,
      pfsGroup: this.pfsGroup,
      tunnel: { ours: parseIpv4Address(this.tunnelAddress), theirs: prefixRange(parseIpv4Address(t.address), t.prefixLength) },
    };
  }

  /** Our own rekey: a new quick mode; the old pair stays usable inbound for a while and is deleted. */
  private async rekeyEsp(): Promise<void> {
    this.log.debug(1, () => `rekeying the ESP SAs: ${this.keeper.dueReason(Date.now()) ?? 'due'}`);
    const old = this.keeper.install(await this.quickMode(), true);
    if (old) this.channel!.send(buildDeleteEsp(this.sa!, randomMessageId(), [spiBytes(old.inbound.spi), spiBytes(old.outbound.spi)]));
  }

  private makeTransport(natt: 'none' | 'rfc' | 'draft', ciscoPort: number | undefined): EspTransport {
    const ns = this.hooks.netns;
    if (natt === 'rfc') return new UdpEspTransport(this.channel!);
    if (natt === 'draft') return new DraftUdpTransport(this.channel!);
    if (ciscoPort) return new CiscoUdpTransport(this.bindAddress, this.config.udpPort, this.gateway, ciscoPort, ns);
    return new RawEspTransport(this.localAddress, this.gateway, ns);
  }

  private async mainLoop(): Promise<EndReason> {
    const channel = this.channel!;
    if (this.hooks.detached?.()) this.scripts.output = 'capture';
    let lastKeepalive = Date.now();
    let lastRouteCheck = Date.now();
    this.log.debug(2, () => 'S7.9 main loop');
    while (!this.end) {
      const waitFrom = Date.now();
      const d = await channel.next(Timers.loopTickMs);
      const now = Date.now();
      // next() waits at most a tick: a longer gap means this process did not run (suspend, SIGSTOP).
      const frozenMs = now - waitFrom - Timers.loopTickMs;
      if (frozenMs > Timers.freezeMs) this.thawed(frozenMs);
      if (d) this.handleIke(d);
      if (now - lastRouteCheck >= Timers.routeCheckMs) {
        lastRouteCheck = now;
        await this.checkOuterAddress();
      }
      if (!this.end && this.ikeLife.spent(now)) {
        this.log.notice(`the ISAKMP SA ended and could not be replaced: ${this.lastReauthError ?? 'no new one'}`);
        this.end = { kind: 'dead-peer' };
        break;
      }
      if (!this.end && this.ikeLife.due(now)) {
        try {
          await this.reauthenticate();
        } catch (err) {
          if (this.end) break;
          const why = (err as Error).message;
          this.lastReauthError = why;
          this.log.notice(`phase 1 re-authentication failed: ${why}`);
          if (err instanceof AuthError && this.ikeLife.usable) {
            // The same credentials again would fail again (and may lock the account): no more tries on this SA.
            this.log.notice('no more re-authentication attempts: the tunnel runs until the ISAKMP SA ends');
            this.reusablePassword = undefined;
            this.ikeLife.giveUp();
            continue;
          }
          if (!this.ikeLife.failed(Date.now())) {
            this.log.notice(`the ISAKMP SA ended and could not be replaced: ${why}`);
            this.end = { kind: 'dead-peer' };
            break;
          }
        }
        continue;
      }
      if (!this.end && this.ikeLife.usable && this.keeper.due(now)) {
        try {
          await this.rekeyEsp();
        } catch (err) {
          if (this.end) break; // ended by the gateway or a signal meanwhile
          if (!this.ikeLife.usable) continue; // the gateway deleted the ISAKMP SA meanwhile: re-authenticate first
          this.log.notice(`ESP rekey failed: ${(err as Error).message}`);
          this.end = { kind: 'dead-peer' };
          break;
        }
      }
      this.keeper.expire(now);
      if (this.transport && this.transport.kind !== 'raw' && now - lastKeepalive >= Timers.natKeepaliveMs) {
        this.transport.keepalive();
        lastKeepalive = now;
      }
      this.checkDpd(now);
    }
    return this.end;
  }

  /**
   * Roaming: the source address the kernel would use towards the gateway changed (a new DHCP lease, another
   * uplink). Sockets bound to the wildcard follow by themselves; raw ESP is reopened on the new address; the
   * gateway is probed at once from there: a NAT-T gateway moves the SAs to the new address when an authenticated
   * message arrives from it, and if it does not answer, DPD declares it dead and the client reconnects.
   */
  private async checkOuterAddress(): Promise<void> {
    if (this.bindAddress !== '0.0.0.0') return; // --local-addr: the user fixed it
    let now: string;
    try {
      now = await localAddressFor(this.gateway);
    } catch {
      return; // no route at the moment (between two networks): try again at the next check
    }
    // Unchanged; no address at the moment; or the tunnel's own (the route to the gateway is gone for now).
    if (now === this.localAddress || now === '0.0.0.0' || now === this.tunnelAddress) return;
    const raw = this.transport?.kind === 'raw';
    this.log.notice(`the outer address changed from ${this.localAddress} to ${now}; ${raw ? 're-authenticating from there' : 'probing the gateway from there'}`);
    this.localAddress = now;
    if (raw && this.datapath) {
      this.transport = new RawEspTransport(now, this.gateway, this.hooks.netns);
      this.datapath.replaceTransport(this.transport);
      // Without NAT-T a gateway does not move raw ESP SAs to a new address (it would still answer DPD):
      // a new phase 1 from here gives new SAs, and NAT detection says how ESP must travel now.
      this.ikeLife.dueNow(Date.now());
      return;
    }
    this.dpd?.probeNow();
  }

  /** After a freeze the gateway may have dropped us (its DPD gave up): probe it at once. */
  private thawed(frozenMs: number): void {
    this.log.notice(`the client did not run for ${Math.round(frozenMs / 1000)} s (suspend or stopped); ${this.dpd ? 'probing the gateway' : 'DPD is off, so the gateway cannot be probed'}`);
    this.dpd?.probeNow();
  }

  private lastHeard(): number {
    return Math.max(this.channel?.lastReceive ?? 0, this.datapath?.lastInbound ?? 0);
  }

  private checkDpd(now: number): void {
    if (!this.dpd || !this.sa || !this.channel || !this.ikeLife.usable) return;
    const action = this.dpd.poll(now, this.lastHeard());
    if (action.kind === 'dead') {
      this.log.notice('connection terminated by dead peer detection');
      this.end = { kind: 'dead-peer' };
    } else if (action.kind === 'send') {
      this.log.debug(2, () => `sending DPD R-U-THERE seq ${action.seq} (attempt ${action.attempt})`);
      this.channel.send(buildDpd(this.sa, randomMessageId(), false, action.seq));
    }
  }

  /**
   * After a dead peer: keep the device and routes (no traffic leaks around the tunnel), run the script with
   * `attempt-reconnect`, and try a fresh phase 1 and quick mode until --reconnect-timeout runs out; then
   * `reconnect` (or, if the gateway handed out another address, `disconnect` and `connect`).
   */
  private async reconnect(): Promise<boolean> {
    const deadline = Date.now() + this.config.reconnectTimeout * 1000;
    this.log.notice(`trying to reconnect for up to ${this.config.reconnectTimeout} s`);
    await this.scripts.attemptReconnect();
    if (this.signalled()) return false;
    let backoff: number = Timers.reconnectFirstBackoffMs;
    const oldAddress = this.tunnelAddress;
    while (Date.now() < deadline && !this.stopped) {
      if (this.end?.kind !== 'signal') this.end = undefined;
      try {
        const p1 = await this.phase1();
        this.keeper.reset();
        const transport = await this.startEsp(p1);
        this.datapath!.replaceTransport(transport);
        this.datapath!.install(this.keeper.current!.inbound, this.keeper.current!.outbound);
        await this.applyModeConfig(p1.modeConfig, oldAddress);
        this.log.notice('reconnected');
        return true;
      } catch (err) {
        if (this.signalled()) return false;
        this.log.notice(`reconnect failed: ${(err as Error).message}`);
        if (err instanceof AuthError) break;
      }
      const wait = Math.min(backoff, deadline - Date.now());
      if (wait > 0) await this.sleep(wait);
      backoff = Math.min(backoff * 2, Timers.reconnectMaxBackoffMs);
      if (this.signalled()) return false;
    }
    if (this.signalled()) return false;
    this.end = { kind: 'dead-peer' };
    this.log.notice('giving up reconnecting');
    return false;
  }

  /** Waits `ms`, or less when stop() is called. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  private signalled(): boolean {
    return this.stopped || this.end?.kind === 'signal';
  }

  /** An IKE message from the gateway while the tunnel runs (or arriving during quick mode); returns its events. */
  private handleIke(d: Buffer): InformationalEvent[] {
    return handleGatewayMessage(this.messageSession, d);
  }

  /** What the gateway's messages may see and change of this session. */
  private get messageSession(): MessageSession {
    return (this.messages ??= {
      sa: () => this.sa,
      channel: () => this.channel,
      dpd: () => this.dpd,
      keeper: this.keeper,
      log: this.log,
      rekeyTerms: () => this.rekeyTerms(),
      peerEnded: () => {
        this.end ??= { kind: 'peer-delete' };
      },
      isakmpDeleted: () => this.ikeLife.deleted(Date.now()),
    });
  }

  private async teardown(): Promise<void> {
    const { sa, channel } = this;
    const esp = this.keeper.current;
    if (this.end?.kind === 'signal') this.log.notice(`terminated by signal: ${this.end.signal}`);
    this.datapath?.stop();
    if (sa && channel && !channel.closed && this.end?.kind !== 'peer-delete') {
      try {
        if (esp) channel.send(buildDeleteEsp(sa, randomMessageId(), [spiBytes(esp.inbound.spi), spiBytes(esp.outbound.spi)]));
        channel.send(buildDeleteIsakmp(sa, randomMessageId()));
      } catch (err) {
        this.log.debug(1, () => `could not send DELETE: ${(err as Error).message}`);
      }
    }
    if (this.hooks.detached?.()) this.scripts.output = 'capture';
    if (this.connected) await this.scripts.disconnect();
    channel?.close();
    this.tun?.close();
  }
}
