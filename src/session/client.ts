/**
 * One VPN connection from start to end: pre-init script, TUN device, phase 1 + XAUTH + mode config,
 * connect script, quick mode, the data path, then the main loop (DPD, keepalives, the gateway's
 * informational messages) until a signal, a gateway DELETE or a dead peer ends it, and an orderly
 * teardown (DELETE for ESP then ISAKMP, disconnect script, device closed). The only code with I/O and time.
 */
import { lookup } from 'node:dns/promises';
import { ProtocolError, VpncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { VpncConfig } from '../config/validate.js';
import { ExchangeType, notifyTypeName } from '../ike/constants.js';

/** Notify types below this are errors (RFC 2408 3.14.1); above are status messages. */
const NOTIFY_STATUS_BASE = 16384;
import { buildDeleteEsp, buildDeleteIsakmp, buildDpd, parseInformational, type InformationalEvent } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import { decodeHeader } from '../ike/message.js';
import { openTun, parseIpv4Address, type TunDevice } from '../io/index.js';
import { DataPath } from './datapath.js';
import { CiscoUdpTransport, DraftUdpTransport, RawEspTransport, UdpEspTransport, type EspTransport } from './esp-transport.js';
import { IkeChannel } from './ike-channel.js';
import { Phase1Driver, type SecretPrompt } from './phase1.js';
import { encapModeFor, pfsGroupFor, randomSpi, runQuickMode, type EspPair } from './quick-mode-driver.js';
import { QuickModeResponder } from '../ike/exchanges/quick-mode-responder.js';
import { EspSa } from '../esp/sa.js';
import { localAddressFor } from './route.js';
import { ScriptHost } from './script-host.js';
import { DeadPeerDetector } from './dpd.js';
import { randomBytes } from 'node:crypto';
import type { SessionTrace } from './trace/taps.js';
import { fakePeerMac } from './tap.js';

export interface ClientHooks {
  /** Asks the user for an XAUTH secret. */
  promptSecret: SecretPrompt;
  /** Called once the tunnel carries traffic (the CLI detaches here). */
  onUp?: (info: { tunDev: string; address: string }) => void;
  /** Optional observer of packets (diagnostic trace). */
  datapathTap?: DataPath['tap'];
  /** Optional diagnostic trace: IKE datagrams and the SAs' keys (src/session/trace). */
  trace?: SessionTrace;
  /** Network namespace to open sockets and the device in (tests, gateway tooling); default: ours. */
  netns?: string;
  /** True once the process has detached from the terminal: script output is then captured and logged. */
  detached?: () => boolean;
}

/** Why the connection ended. */
export type EndReason = { kind: 'signal'; signal: string } | { kind: 'peer-delete' } | { kind: 'dead-peer' };

/** Timers, named (seconds unless stated). */
export const Timers = {
  natKeepaliveMs: 9_000,
  /** Longest wait between unanswered R-U-THEREs (shorter for short idle times: a fifth of them). */
  dpdRetryMaxMs: 5_000,
  dpdAttempts: 6,
  loopTickMs: 1_000,
  /** How long an inbound SA stays usable after a rekey replaced it. */
  retiredGraceMs: 30_000,
} as const;

export class VpnClient {
  private readonly log: Logger;
  private channel: IkeChannel | undefined;
  private tun: TunDevice | undefined;
  private datapath: DataPath | undefined;
  private transport: EspTransport | undefined;
  private sa: IkeSa | undefined;
  private esp: EspPair | undefined;
  private scripts: ScriptHost;
  private end: EndReason | undefined;
  private connected = false;
  private dpd: DeadPeerDetector | undefined;
  /** Quick modes the gateway started (rekeys), by message id, waiting for their QM3. */
  private readonly responders = new Map<number, QuickModeResponder>();
  /** When our ESP SA must be replaced because the gateway deleted it (at once: traffic stops until then). */
  private rekeyAt = Infinity;
  private espEstablishedAt = 0;
  private encapMode = 0;
  private pfsGroup = 0;
  private localAddress = '';
  private retired: Array<{ sa: EspPair; at: number }> = [];

  constructor(
    private readonly config: VpncConfig,
    log: Logger,
    private readonly hooks: ClientHooks,
  ) {
    this.log = log;
    this.scripts = new ScriptHost(config, log);
  }

  /** Ends the connection (from a signal handler); the main loop notices within a moment. */
  stop(signal: string): void {
    if (!this.end) this.end = { kind: 'signal', signal };
    this.channel?.interrupt();
  }

  /** Runs the whole connection; resolves with the reason it ended. Cleans up on every path. */
  async run(): Promise<EndReason> {
    try {
      await this.setup();
      return await this.mainLoop();
    } finally {
      await this.teardown();
    }
  }

  private async setup(): Promise<void> {
    const c = this.config;
    const gateway = await resolveGateway(c.gateway);
    const localAddress = c.localAddr !== '0.0.0.0' ? c.localAddr : await localAddressFor(gateway);
    this.log.debug(2, () => `S1 init_sockaddr: gateway ${gateway}, local ${localAddress}`);
    this.hooks.trace?.start(localAddress, gateway);
    await this.scripts.preInit();
    this.tun = openTun({ mode: c.ifMode, ...(c.ifName ? { name: c.ifName } : {}), ...(this.hooks.netns ? { netns: this.hooks.netns } : {}) });
    this.log.debug(2, () => `using interface ${this.tun!.name}`);
    this.channel = new IkeChannel({
      localAddress: c.localAddr,
      localPort: c.localPort,
      gateway,
      gatewayPort: 500,
      log: this.log,
      ...(this.hooks.netns ? { netns: this.hooks.netns } : {}),
      ...(this.hooks.trace ? { tap: this.hooks.trace } : {}),
    });
    const local = { address: localAddress, port: this.channel.localPort };
    const remote = { address: gateway, port: 500 };
    if (this.end) throw new VpncError('VPNC_ERR_INTERRUPTED', `terminated by signal ${this.end.kind === 'signal' ? this.end.signal : ''}`);
    const p1 = await new Phase1Driver(c, this.channel, this.log, this.hooks.promptSecret, (sa) => this.hooks.trace?.ikeSa(sa)).run(local, remote, { initialContact: true });
    this.sa = p1.sa;
    if (c.dpdIdle !== 0 && p1.am.peer.dpd) {
      this.dpd = new DeadPeerDetector({
        idleMs: c.dpdIdle * 1000,
        retryMs: Math.min(Timers.dpdRetryMaxMs, c.dpdIdle * 200),
        attempts: Timers.dpdAttempts,
        initialSeq: randomBytes(4).readUInt32BE(0) & 0x7fffffff,
      });
    }
    this.scripts.setTunnel(this.tun.name, gateway, p1.modeConfig);
    await this.scripts.connect();
    this.connected = true;

    const ciscoPort = c.nattMode === 'cisco-udp' && p1.natt === 'none' ? p1.modeConfig.udpEncapPort : undefined;
    this.encapMode = encapModeFor(p1.natt);
    this.localAddress = p1.modeConfig.address;
    this.pfsGroup = pfsGroupFor(c.pfs, p1.modeConfig.pfs);
    this.esp = await this.quickMode();
    this.espEstablishedAt = Date.now();
    this.transport = this.makeTransport(p1.natt, localAddress, gateway, ciscoPort);
    this.hooks.trace?.espSas(this.esp, { kind: this.transport.kind, localPort: ciscoPort ? c.udpPort : this.channel.localPort, remotePort: ciscoPort ?? this.channel.remotePort });
    this.log.debug(1, () => `ESP over ${this.transport!.kind}`);
    this.datapath = new DataPath(this.tun, this.transport, parseIpv4Address(gateway), this.log);
    if (this.hooks.datapathTap) this.datapath.tap = this.hooks.datapathTap;
    if (c.ifMode === 'tap') {
      const tapMac = this.tun.mac;
      if (!tapMac) throw new VpncError('VPNC_ERR_TAP', `cannot read the MAC address of ${this.tun.name}`);
      this.datapath.ethernet = { tapMac, peerMac: fakePeerMac(tapMac), ourAddress: parseIpv4Address(p1.modeConfig.address) };
    }
    this.datapath.install(this.esp.inbound, this.esp.outbound);
    this.datapath.start();
    this.hooks.onUp?.({ tunDev: this.tun.name, address: p1.modeConfig.address });
  }

  private quickMode(): Promise<EspPair> {
    return runQuickMode(this.sa!, this.channel!, this.log, {
      config: this.config,
      localAddress: this.localAddress,
      pfsGroup: this.pfsGroup,
      encapMode: this.encapMode,
    }, (d) => {
      const events = this.handleIke(d);
      // The gateway ended the connection while we were negotiating: stop waiting for its answer.
      if (this.end) throw new VpncError('VPNC_ERR_INTERRUPTED', 'connection ended during quick mode');
      const refusal = events.find((e) => e.kind === 'notify' && e.messageType < NOTIFY_STATUS_BASE);
      if (refusal?.kind === 'notify') throw new ProtocolError(`gateway refused quick mode: ${notifyTypeName(refusal.messageType)}`, refusal.messageType);
    });
  }

  /** Seconds after which we replace our ESP SAs ourselves: 85 % of the lifetime, if the gateway named one. */
  private rekeyAfterMs(): number {
    const life = this.esp?.lifetimeSeconds ?? 0;
    return life > 0 ? life * 850 : Infinity;
  }

  /** Client-initiated ESP rekey: a new quick mode, the new SAs take over, the old ones are deleted a bit later. */
  private async rekeyEsp(): Promise<void> {
    this.rekeyAt = Infinity;
    const old = this.esp;
    this.log.debug(1, () => 'rekeying the ESP SAs');
    const fresh = await this.quickMode();
    this.installEsp(fresh);
    if (old) {
      this.retired.push({ sa: old, at: Date.now() });
      this.channel!.send(buildDeleteEsp(this.sa!, randomMessageId(), [spiBytes(old.inbound.spi), spiBytes(old.outbound.spi)]));
    }
  }

  private installEsp(fresh: EspPair): void {
    this.esp = fresh;
    this.espEstablishedAt = Date.now();
    this.hooks.trace?.espSas(fresh);
    this.datapath?.install(fresh.inbound, fresh.outbound);
  }

  private makeTransport(natt: 'none' | 'rfc' | 'draft', localAddress: string, gateway: string, ciscoPort: number | undefined): EspTransport {
    const ns = this.hooks.netns;
    if (natt === 'rfc') return new UdpEspTransport(this.channel!);
    if (natt === 'draft') return new DraftUdpTransport(this.channel!);
    if (ciscoPort) return new CiscoUdpTransport(this.config.localAddr, this.config.udpPort, gateway, ciscoPort, ns);
    return new RawEspTransport(localAddress, gateway, ns);
  }

  private async mainLoop(): Promise<EndReason> {
    const channel = this.channel!;
    if (this.hooks.detached?.()) this.scripts.output = 'capture';
    let lastKeepalive = Date.now();
    this.log.debug(2, () => 'S7.9 main loop');
    while (!this.end) {
      const d = await channel.next(Timers.loopTickMs);
      if (d) this.handleIke(d);
      const now = Date.now();
      if (!this.end && (now >= this.rekeyAt || now - this.espEstablishedAt >= this.rekeyAfterMs())) {
        try {
          await this.rekeyEsp();
        } catch (err) {
          if (this.end) break; // ended by the gateway or a signal meanwhile
          this.log.notice(`ESP rekey failed: ${(err as Error).message}`);
          this.end = { kind: 'dead-peer' };
          break;
        }
      }
      this.retireOld(now);
      if (this.transport && this.transport.kind !== 'raw' && now - lastKeepalive >= Timers.natKeepaliveMs) {
        this.transport.keepalive();
        lastKeepalive = now;
      }
      this.checkDpd(now);
    }
    return this.end;
  }

  /** Inbound SAs replaced by a rekey keep working for a grace period, for packets already in flight. */
  private retireOld(now: number): void {
    while (this.retired.length && now - this.retired[0]!.at > Timers.retiredGraceMs) {
      this.datapath?.removeInbound(this.retired.shift()!.sa.inbound.spi);
    }
  }

  private lastHeard(): number {
    return Math.max(this.channel?.lastReceive ?? 0, this.datapath?.lastInbound ?? 0);
  }

  private checkDpd(now: number): void {
    if (!this.dpd || !this.sa || !this.channel) return;
    const action = this.dpd.poll(now, this.lastHeard());
    if (action.kind === 'dead') {
      this.log.notice('connection terminated by dead peer detection');
      this.end = { kind: 'dead-peer' };
    } else if (action.kind === 'send') {
      this.log.debug(2, () => `sending DPD R-U-THERE seq ${action.seq} (attempt ${action.attempt})`);
      this.channel.send(buildDpd(this.sa, randomMessageId(), false, action.seq));
    }
  }

  /** An IKE message from the gateway while the tunnel runs (or arriving during quick mode); returns its events. */
  private handleIke(d: Buffer): InformationalEvent[] {
    const sa = this.sa;
    if (!sa) return [];
    let h;
    try {
      h = decodeHeader(d);
    } catch {
      return [];
    }
    if (!h.initiatorCookie.equals(sa.cookieI)) return [];
    if (h.exchangeType === ExchangeType.QUICK) {
      this.gatewayQuickMode(d, h.messageId);
      return [];
    }
    if (h.exchangeType !== ExchangeType.INFORMATIONAL) {
      this.log.debug(2, () => `ignoring exchange type ${h.exchangeType} from the gateway (message id ${h.messageId})`);
      return [];
    }
    try {
      const msg = sa.open(d);
      sa.verifyHash(msg);
      const events = parseInformational(msg);
      for (const ev of events) {
        switch (ev.kind) {
          case 'r-u-there':
            this.channel!.reply(buildDpd(sa, randomMessageId(), true, ev.seq));
            break;
          case 'r-u-there-ack':
            this.dpd?.ack(ev.seq);
            break;
          case 'delete-isakmp':
            this.log.notice('connection terminated by peer');
            this.end ??= { kind: 'peer-delete' };
            break;
          case 'delete-esp':
            this.espDeleted(ev.spis.map((x) => x.readUInt32BE(0)));
            break;
          case 'notify':
            this.log.debug(1, () => `gateway notice: ${notifyTypeName(ev.messageType)}`);
            break;
          default:
            this.log.debug(2, () => `informational from the gateway: ${ev.kind}`);
        }
      }
      return events;
    } catch (err) {
      this.log.debug(2, () => `dropped an informational message: ${(err as Error).message}`);
      return [];
    }
  }

  /** The gateway deleted ESP SAs: old ones are dropped; losing the current one means a new quick mode (as vpnc). */
  private espDeleted(spis: number[]): void {
    const cur = this.esp;
    for (const spi of spis) {
      if (cur && (spi === cur.outbound.spi || spi === cur.inbound.spi)) {
        this.log.debug(1, () => 'gateway deleted the ESP SA in use; negotiating a new one');
        this.rekeyAt = 0;
        this.channel?.interrupt();
        continue;
      }
      const i = this.retired.findIndex((r) => r.sa.inbound.spi === spi || r.sa.outbound.spi === spi);
      if (i >= 0) this.datapath?.removeInbound(this.retired.splice(i, 1)[0]!.sa.inbound.spi);
    }
  }

  /** A quick mode the gateway started (it rekeys): answer QM1, install the SAs on QM3. */
  private gatewayQuickMode(d: Buffer, msgId: number): void {
    const sa = this.sa!;
    try {
      const msg = sa.open(d);
      const pending = this.responders.get(msgId);
      if (pending) {
        this.responders.delete(msgId);
        const r = pending.finish(msg);
        const old = this.esp;
        const fresh: EspPair = {
          inbound: EspSa.fromKeymat(r.spiIn.readUInt32BE(0), r.suite, r.keymatIn),
          outbound: EspSa.fromKeymat(r.spiOut.readUInt32BE(0), r.suite, r.keymatOut),
          lifetimeSeconds: r.lifetimeSeconds,
          lifetimeKilobytes: r.lifetimeKilobytes,
          description: `${r.suite.name}, SPI in 0x${r.spiIn.toString('hex')} out 0x${r.spiOut.toString('hex')}`,
        };
        this.installEsp(fresh);
        if (old) this.retired.push({ sa: old, at: Date.now() });
        this.log.debug(1, () => `gateway rekeyed the ESP SAs: ${fresh.description}`);
        return;
      }
      const responder = new QuickModeResponder({
        sa,
        policy: { weakEncryption: this.config.weakEncryption, weakAuthentication: this.config.weakAuthentication, noEncryption: this.config.noEncryption },
        encapMode: this.encapMode,
        spiIn: randomSpi(),
      });
      this.channel!.reply(responder.receive(msg));
      this.responders.set(msgId, responder);
    } catch (err) {
      this.log.notice(`gateway's quick mode refused: ${(err as Error).message}`);
    }
  }

  private async teardown(): Promise<void> {
    const { sa, channel, esp } = this;
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

function spiBytes(spi: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(spi >>> 0);
  return b;
}

async function resolveGateway(name: string): Promise<string> {
  try {
    return (await lookup(name, { family: 4 })).address;
  } catch {
    throw new ProtocolError(`unknown host '${name}': cannot resolve the gateway's address`);
  }
}

