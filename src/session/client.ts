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
import { ExchangeType } from '../ike/constants.js';
import { buildDeleteEsp, buildDeleteIsakmp, buildDpd, parseInformational } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import { decodeHeader } from '../ike/message.js';
import { openTun, parseIpv4Address, type TunDevice } from '../io/index.js';
import { DataPath } from './datapath.js';
import { CiscoUdpTransport, DraftUdpTransport, RawEspTransport, UdpEspTransport, type EspTransport } from './esp-transport.js';
import { IkeChannel } from './ike-channel.js';
import { Phase1Driver, type SecretPrompt } from './phase1.js';
import { encapModeFor, pfsGroupFor, runQuickMode, type EspPair } from './quick-mode-driver.js';
import { localAddressFor } from './route.js';
import { ScriptHost } from './script-host.js';

export interface ClientHooks {
  /** Asks the user for an XAUTH secret. */
  promptSecret: SecretPrompt;
  /** Called once the tunnel carries traffic (the CLI detaches here). */
  onUp?: (info: { tunDev: string; address: string }) => void;
  /** Optional observer of packets (diagnostic trace). */
  datapathTap?: DataPath['tap'];
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
  private dpd = { enabled: false, seq: 0, outstanding: 0, lastSent: 0, attempts: 0 };

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
    await this.scripts.preInit();
    if (c.ifMode === 'tap') throw new VpncError('VPNC_ERR_UNSUPPORTED', 'interface mode tap is not supported yet; use --ifmode tun');
    this.tun = openTun({ mode: 'tun', ...(c.ifName ? { name: c.ifName } : {}), ...(this.hooks.netns ? { netns: this.hooks.netns } : {}) });
    this.log.debug(2, () => `using interface ${this.tun!.name}`);
    this.channel = new IkeChannel({
      localAddress: c.localAddr,
      localPort: c.localPort,
      gateway,
      gatewayPort: 500,
      log: this.log,
      ...(this.hooks.netns ? { netns: this.hooks.netns } : {}),
    });
    const local = { address: localAddress, port: this.channel.localPort };
    const remote = { address: gateway, port: 500 };
    if (this.end) throw new VpncError('VPNC_ERR_INTERRUPTED', `terminated by signal ${this.end.kind === 'signal' ? this.end.signal : ''}`);
    const p1 = await new Phase1Driver(c, this.channel, this.log, this.hooks.promptSecret).run(local, remote, { initialContact: true });
    this.sa = p1.sa;
    this.dpd.enabled = c.dpdIdle !== 0 && p1.am.peer.dpd;
    this.dpd.seq = (Math.random() * 0x7fffffff) >>> 0;
    this.scripts.setTunnel(this.tun.name, gateway, p1.modeConfig);
    await this.scripts.connect();
    this.connected = true;

    const ciscoPort = c.nattMode === 'cisco-udp' && p1.natt === 'none' ? p1.modeConfig.udpEncapPort : undefined;
    this.esp = await runQuickMode(p1.sa, this.channel, this.log, {
      config: c,
      localAddress: p1.modeConfig.address,
      pfsGroup: pfsGroupFor(c.pfs, p1.modeConfig.pfs),
      encapMode: encapModeFor(p1.natt),
    }, (d) => this.handleIke(d));
    this.transport = this.makeTransport(p1.natt, localAddress, gateway, ciscoPort);
    this.log.debug(1, () => `ESP over ${this.transport!.kind}`);
    this.datapath = new DataPath(this.tun, this.transport, parseIpv4Address(gateway), this.log);
    if (this.hooks.datapathTap) this.datapath.tap = this.hooks.datapathTap;
    this.datapath.install(this.esp.inbound, this.esp.outbound);
    this.datapath.start();
    this.hooks.onUp?.({ tunDev: this.tun.name, address: p1.modeConfig.address });
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
      if (this.transport && this.transport.kind !== 'raw' && now - lastKeepalive >= Timers.natKeepaliveMs) {
        this.transport.keepalive();
        lastKeepalive = now;
      }
      this.checkDpd(now);
    }
    return this.end;
  }

  private lastHeard(): number {
    return Math.max(this.channel?.lastReceive ?? 0, this.datapath?.lastInbound ?? 0);
  }

  private checkDpd(now: number): void {
    const d = this.dpd;
    if (!d.enabled || !this.sa || !this.channel) return;
    if (d.outstanding === 0) {
      if (now - this.lastHeard() < this.config.dpdIdle * 1000) return;
      d.seq = (d.seq + 1) >>> 0;
      d.outstanding = d.seq;
      d.attempts = 0;
    } else if (now - d.lastSent < Math.min(Timers.dpdRetryMaxMs, this.config.dpdIdle * 200)) {
      return;
    }
    if (d.attempts >= Timers.dpdAttempts) {
      this.log.notice('connection terminated by dead peer detection');
      this.end = { kind: 'dead-peer' };
      return;
    }
    d.attempts++;
    d.lastSent = now;
    this.log.debug(2, () => `sending DPD R-U-THERE seq ${d.outstanding} (attempt ${d.attempts})`);
    this.channel.send(buildDpd(this.sa, randomMessageId(), false, d.outstanding));
  }

  /** An IKE message from the gateway while the tunnel runs (or arriving during quick mode). */
  private handleIke(d: Buffer): void {
    const sa = this.sa;
    if (!sa) return;
    let h;
    try {
      h = decodeHeader(d);
    } catch {
      return;
    }
    if (!h.initiatorCookie.equals(sa.cookieI)) return;
    if (h.exchangeType !== ExchangeType.INFORMATIONAL) {
      this.log.debug(2, () => `ignoring exchange type ${h.exchangeType} from the gateway (message id ${h.messageId})`);
      return;
    }
    try {
      const msg = sa.open(d);
      sa.verifyHash(msg);
      for (const ev of parseInformational(msg)) {
        switch (ev.kind) {
          case 'r-u-there':
            this.channel!.send(buildDpd(sa, randomMessageId(), true, ev.seq));
            break;
          case 'r-u-there-ack':
            if (ev.seq === this.dpd.outstanding) this.dpd.outstanding = 0;
            break;
          case 'delete-isakmp':
            this.log.notice('connection terminated by peer');
            this.end ??= { kind: 'peer-delete' };
            break;
          case 'delete-esp':
            if (this.esp && ev.spis.some((s) => s.readUInt32BE(0) === this.esp!.outbound.spi)) {
              this.log.notice('connection terminated by peer (ESP SA deleted)');
              this.end ??= { kind: 'peer-delete' };
            }
            break;
          default:
            this.log.debug(2, () => `informational from the gateway: ${JSON.stringify(ev.kind)}`);
        }
      }
    } catch (err) {
      this.log.debug(2, () => `dropped an informational message: ${(err as Error).message}`);
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

