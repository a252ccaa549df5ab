/**
 * Runs the configured route script at each stage of a connection with vpnc's environment and a stable
 * VPNPID. A failing script is logged, as vpnc does; a script that cannot be started at all ends the setup.
 */
import type { VpncConfig } from '../config/validate.js';
import type { Logger } from '../log.js';
import type { ModeConfig, SplitNetwork } from '../ike/exchanges/mode-config.js';
import { buildScriptEnv, type ScriptInvocation, type TunnelConfig, type SplitNetwork as ScriptSplit } from '../script/env.js';
import { describeScriptExit, runScript, scriptSucceeded } from '../script/runner.js';
import { removeRestoreState, statePathFor, writeRestoreState } from '../script/state.js';

function toScriptSplit(list: readonly SplitNetwork[]): ScriptSplit[] {
  return list.map((n) => ({ addr: n.address, mask: n.mask, protocol: n.protocol, sport: n.sourcePort, dport: n.destinationPort }));
}

/** Mode config as the script layer describes a tunnel. */
/** What the script is told about the tunnel. */
export interface TunnelState {
  tunDev: string;
  gateway: string;
  config: TunnelConfig;
}

/** The backup servers in force: the gateway's (UNITY_BACKUP_SERVERS) replace the profile's, as with Cisco's client. */
export function backupServersOf(mc: ModeConfig, profile: readonly string[]): readonly string[] {
  return mc.backupServers.length > 0 ? mc.backupServers : profile;
}

/**
 * What the script is told of a tunnel. CISCO_BACKUP_SERVERS names the site's other gateways, to pin routes for:
 * the backup servers in force (the profile's given as `backupServers`), and the configured gateway when the
 * tunnel runs elsewhere (a reconnection starts there again).
 */
export function tunnelConfigOf(mc: ModeConfig, o: { backupServers?: readonly string[]; gateway?: string; origin?: string } = {}): TunnelConfig {
  const t: TunnelConfig = { address: mc.address, dns: mc.dns, nbns: mc.nbns, splitDns: mc.splitDns };
  if (mc.netmask) t.netmask = mc.netmask;
  if (mc.defaultDomain !== undefined) t.defaultDomain = mc.defaultDomain;
  if (mc.banner !== undefined) t.banner = mc.banner;
  if (mc.splitInclude.length) t.splitInclude = toScriptSplit(mc.splitInclude);
  if (mc.splitExclude.length) t.splitExclude = toScriptSplit(mc.splitExclude);
  if (mc.address6) {
    t.address6 = mc.address6;
    if (mc.dns6.length) t.dns6 = mc.dns6;
    if (mc.splitInclude6.length) t.splitInclude6 = mc.splitInclude6;
  }
  const backups = backupServersOf(mc, o.backupServers ?? []);
  const origin = o.origin !== undefined && o.origin !== o.gateway && !backups.includes(o.origin) ? [o.origin] : [];
  if (backups.length + origin.length > 0) t.backupServers = [...origin, ...backups];
  return t;
}

export class ScriptHost {
  private tunnel: TunnelState | undefined;
  /** Script output goes to our stdio until we detach; afterwards it is captured and logged. */
  output: 'inherit' | 'capture' = 'inherit';
  readonly vpnPid = process.pid;

  constructor(
    private readonly config: VpncConfig,
    private readonly log: Logger,
  ) {}

  /** Sets what the script is told about the tunnel. */
  setTunnel(tunDev: string, gateway: string, mc: ModeConfig, origin?: string): void {
    this.tunnel = { tunDev, gateway, config: tunnelConfigOf(mc, { backupServers: this.config.backupServers, gateway, ...(origin ? { origin } : {}) }) };
  }

  /** What the script was last told (to compare with, or to tell it again for a disconnect). */
  get current(): Readonly<TunnelState> | undefined {
    return this.tunnel;
  }

  setTunnelFrom(state: Readonly<TunnelState>): void {
    this.tunnel = state;
  }

  /** Whether the tunnel the script knows now differs from `before`. */
  changedFrom(before: Readonly<TunnelState> | undefined): boolean {
    return before !== undefined && JSON.stringify(before) !== JSON.stringify(this.tunnel);
  }


  async preInit(): Promise<void> {
    await this.run({ reason: 'pre-init', vpnPid: this.vpnPid });
  }

  /** Where the restore state lives (next to the pid file), or undefined without a pid file. */
  get statePath(): string | undefined {
    return this.config.pidFile ? statePathFor(this.config.pidFile) : undefined;
  }

  async connect(): Promise<void> {
    const path = this.statePath;
    const inv = this.invocation('disconnect');
    if (path && inv) {
      try {
        writeRestoreState(path, { version: 1, pid: this.vpnPid, script: this.config.script, cwd: process.cwd(), disconnect: inv });
      } catch (err) {
        this.log.notice(`cannot write the restore state ${path}: ${(err as Error).message}`);
      }
    }
    await this.runTunnel('connect');
  }

  /**
   * Tells the script a new configuration of the same device: `disconnect` with what it was told, then `connect`
   * with the new one (vpnc-scripts apply a configuration only at connect).
   */
  async reconfigure(tunDev: string, gateway: string, mc: ModeConfig, origin?: string): Promise<void> {
    await this.disconnect();
    this.setTunnel(tunDev, gateway, mc, origin);
    await this.connect();
  }

  async disconnect(): Promise<void> {
    try {
      await this.runTunnel('disconnect');
    } catch (err) {
      this.log.error(`disconnect script failed: ${(err as Error).message}`);
    }
    if (this.statePath) removeRestoreState(this.statePath);
  }

  /** The gateway went silent; we try to reconnect (device and routes stay). */
  async attemptReconnect(): Promise<void> {
    await this.runTunnel('attempt-reconnect');
  }

  /** The tunnel is back with the same address. */
  async reconnect(): Promise<void> {
    await this.runTunnel('reconnect');
  }

  private invocation(reason: 'connect' | 'disconnect' | 'reconnect' | 'attempt-reconnect'): ScriptInvocation | undefined {
    const t = this.tunnel;
    if (!t) return undefined;
    const inv: ScriptInvocation = { reason, vpnPid: this.vpnPid, tunDev: t.tunDev, gateway: t.gateway, tunnel: t.config };
    if (this.config.ifMtu > 0) inv.interfaceMtu = this.config.ifMtu;
    return inv;
  }

  private async runTunnel(reason: 'connect' | 'disconnect' | 'reconnect' | 'attempt-reconnect'): Promise<void> {
    const inv = this.invocation(reason);
    if (inv) await this.run(inv);
  }

  private async run(inv: ScriptInvocation): Promise<void> {
    const env = buildScriptEnv(inv, process.env);
    this.log.at(2)?.(`running script ${this.config.script} (reason ${inv.reason})`);
    const result = await runScript({ command: this.config.script, env, output: this.output, cwd: process.cwd() });
    if (this.output === 'capture') {
      for (const line of `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)) this.log.notice(`script: ${line}`);
    }
    if (!scriptSucceeded(result)) this.log.notice(`script ${inv.reason} ${describeScriptExit(result.exit)}`);
    else this.log.at(2)?.(`script ${inv.reason} finished`);
  }
}
