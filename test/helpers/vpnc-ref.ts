/**
 * Debian's real `vpnc` (0.5.3) as the reference client inside the bed's client namespace. It runs in the
 * foreground (`--no-detach`, logging to stderr), with its own pid file and a script of our choosing (Debian's
 * vpnc-script by default), in a private mount namespace with its own /run, so vpnc-script's state files
 * (/var/run/vpnc/...) never reach the host. The configuration is generated in vpnc.conf syntax and handed over
 * on stdin (`-`, as NetworkManager-vpnc does) or as a file.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childExit, nsRun, nsSpawnPrivateRun, stopChild, waitFor, type ExitStatus } from './netns.js';
import { gatewayFailureSince, gatewayLogMarks, type StrongSwanGateway } from './strongswan.js';
import { BED } from './testbed.js';

/** Debian's vpnc binary and route script. */
export const VPNC = '/usr/sbin/vpnc';
export const VPNC_SCRIPT = '/usr/share/vpnc-scripts/vpnc-script';

/** vpnc's `NAT Traversal Mode` values. */
export type NattMode = 'natt' | 'none' | 'force-natt' | 'cisco-udp';

/** Options for one vpnc run. Names follow vpnc's own config keys. */
export interface VpncRefOptions {
  /** The client namespace. */
  netns: string;
  gateway: string;
  group: string;
  groupSecret: string;
  user: string;
  password: string;
  nattMode?: NattMode;
  /** `Debug` level (0, 1, 2, 3 or 99); default 1. */
  debug?: 0 | 1 | 2 | 3 | 99;
  /** The route script (default Debian's vpnc-script). */
  script?: string;
  /** `Local Port`; default vpnc's 500 (the namespace has its own port space). */
  localPort?: number;
  /** `IKE DH Group` (e.g. dh2) and `Perfect Forward Secrecy` (e.g. nopfs, dh2, server). */
  dhGroup?: string;
  pfs?: string;
  /** `DPD idle timeout (our side)` in seconds. */
  dpdIdle?: number;
  enableWeakEncryption?: boolean;
  enableWeakAuthentication?: boolean;
  /** Hand the config over on stdin (`-`, default) or as a file. */
  configVia?: 'stdin' | 'file';
  /** The client command (default Debian's vpnc); our client is `node bin/vpnc.js`. */
  command?: readonly string[];
  /** Extra profile lines (vpnc.conf syntax). */
  extraConfig?: readonly string[];
  /** Extra environment variables for the client (e.g. NOTIFY_SOCKET). */
  env?: Readonly<Record<string, string>>;
}

/** What the tunnel looks like once vpnc is up. */
export interface TunnelInfo {
  /** The address mode config assigned. */
  address: string;
  /** The TUN device vpnc opened (e.g. tun0). */
  device: string;
}

/** A running vpnc. */
export interface VpncRef {
  readonly pid: number;
  readonly pidFile: string;
  readonly dir: string;
  /** Everything vpnc wrote to stdout and stderr so far (the script's output included). */
  output(): string;
  /** Resolves when vpnc reports the tunnel up and the TUN device carries the assigned address. */
  waitForTunnel(timeoutMs?: number): Promise<TunnelInfo>;
  /** Resolves when vpnc exits by itself. */
  readonly exited: Promise<ExitStatus>;
  /** Stops vpnc by its pid (SIGTERM: it sends DELETEs and runs the disconnect script), removes the temp dir. */
  stop(): Promise<ExitStatus>;
}

/** Options for a client in namespace `netns` with the strongSwan gateway's group and first XAUTH account. */
export function strongSwanClient(netns: string, gw: StrongSwanGateway, extra: Partial<VpncRefOptions> = {}): VpncRefOptions {
  const user = gw.options.users[0];
  if (!user) throw new Error('gateway has no XAUTH user');
  return { netns, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, ...extra };
}

/** The vpnc.conf text for these options (secrets included: keep it in a private temp dir or on stdin). */
export function vpncConfig(o: VpncRefOptions, pidFile: string): string {
  const lines = [
    `IPSec gateway ${o.gateway}`,
    `IPSec ID ${o.group}`,
    `IPSec secret ${o.groupSecret}`,
    `Xauth username ${o.user}`,
    `Xauth password ${o.password}`,
    `NAT Traversal Mode ${o.nattMode ?? 'natt'}`,
    `Script ${o.script ?? VPNC_SCRIPT}`,
    `Pidfile ${pidFile}`,
    `Debug ${o.debug ?? 1}`,
    'No Detach',
    'Noninteractive',
  ];
  if (o.localPort !== undefined) lines.push(`Local Port ${o.localPort}`);
  if (o.dhGroup) lines.push(`IKE DH Group ${o.dhGroup}`);
  if (o.pfs) lines.push(`Perfect Forward Secrecy ${o.pfs}`);
  if (o.dpdIdle !== undefined) lines.push(`DPD idle timeout (our side) ${o.dpdIdle}`);
  if (o.enableWeakEncryption) lines.push('Enable weak encryption');
  if (o.enableWeakAuthentication) lines.push('Enable weak authentication');
  if (o.extraConfig) lines.push(...o.extraConfig);
  return `${lines.join('\n')}\n`;
}

/** The marker vpnc prints in the foreground once quick mode is done and packets flow. */
export const VPNC_UP_MARKER = 'VPNC started in foreground';

function findTunnel(ns: string, output: string): TunnelInfo | undefined {
  if (!output.includes(VPNC_UP_MARKER)) return undefined;
  // vpnc says "got address" after a mode config pull; a pushed one (Vendor netscreen) it takes silently: then
  // the TUN device with an IPv4 address is the tunnel.
  const address = /got address (\d+\.\d+\.\d+\.\d+)/.exec(output)?.[1];
  const line = nsRun(ns, 'ip', ['-o', '-4', 'addr', 'show'])
    .split('\n')
    .find((l) => (address ? l.includes(` ${address}/`) : /^\d+:\s+tun\d+\s+inet /.test(l)));
  const fields = line?.split(/\s+/);
  const device = fields?.[1];
  const found = address ?? fields?.[3]?.split('/')[0];
  return device && found ? { address: found, device } : undefined;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines - 1).join('\n');
}

/** Starts vpnc in the client namespace. Use {@link VpncRef.waitForTunnel} or {@link VpncRef.exited} next. */
export function startVpnc(o: VpncRefOptions): VpncRef {
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-ref-'));
  const pidFile = join(dir, 'vpnc.pid');
  const config = vpncConfig(o, pidFile);
  const viaFile = o.configVia === 'file';
  const configPath = join(dir, 'vpnc.conf');
  if (viaFile) writeFileSync(configPath, config, { mode: 0o600 });
  // vpnc prints its progress with stdio: line-buffer it (stdbuf execs, so the pid stays vpnc's).
  const child: ChildProcess = nsSpawnPrivateRun(o.netns, 'stdbuf', ['-oL', '-eL', ...(o.command ?? [VPNC]), viaFile ? configPath : '-'], {
    stdio: [viaFile ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
  });
  if (!viaFile) child.stdin?.end(config);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = childExit(child);
  const waitForTunnel = (timeoutMs = 15_000): Promise<TunnelInfo> => {
    const marks = gatewayLogMarks();
    return waitFor('vpnc tunnel', () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`vpnc exited (code ${child.exitCode}, signal ${child.signalCode}) before the tunnel was up:\n${tail(out, 30)}`);
      }
      const failure = gatewayFailureSince(marks);
      if (failure) throw new Error(failure);
      return findTunnel(o.netns, out);
    }, timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}\n--- vpnc output (tail) ---\n${tail(out, 30)}`);
    });
  };
  return {
    pid: child.pid ?? -1,
    pidFile,
    dir,
    output: () => out,
    waitForTunnel,
    exited,
    stop: async () => {
      const status = await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      return status;
    },
  };
}

/** Runs vpnc until it exits by itself (e.g. on an authentication failure); kills it after `timeoutMs`. */
export async function runVpncToExit(o: VpncRefOptions, timeoutMs = 20_000): Promise<ExitStatus & { output: string }> {
  const vpnc = startVpnc(o);
  const timer = setTimeout(() => void vpnc.stop(), timeoutMs);
  const status = await vpnc.exited;
  clearTimeout(timer);
  await vpnc.stop();
  return { ...status, output: vpnc.output() };
}

/** Reads the pid vpnc wrote to its pid file, or undefined when the file is absent. */
export function readPidFile(path: string): number | undefined {
  return existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) : undefined;
}

/**
 * A route script that records its environment per `reason` (in a temp dir, removed by the caller), then runs
 * Debian's vpnc-script.
 */
export function envRecordingScript(target: string = VPNC_SCRIPT): { path: string; dir: string; env: (reason: string) => Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-script-'));
  const path = join(dir, 'record-env.sh');
  writeFileSync(path, `#!/bin/sh\nenv > "${dir}/env.$reason"\nexec ${target}\n`);
  chmodSync(path, 0o755);
  const env = (reason: string): Map<string, string> => {
    const file = join(dir, `env.${reason}`);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  return { path, dir, env };
}
