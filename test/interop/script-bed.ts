/**
 * A test bed for route scripts: a client namespace joined by a veth to a "gateway" namespace
 * (198.51.100.2/24 <-> 198.51.100.1/24, default route via 198.51.100.1), a TUN device in the client made with
 * `ip tuntap add` (no VPN client needed), a private /etc/resolv.conf under /etc/netns/NAME/, and a private
 * /run (a bind mount of a temporary folder) so the scripts' state never touches the host's.
 * Scripts run through our own env builder and runner, the way the client will run them.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScriptEnv, type ScriptInvocation, type TunnelConfig } from '../../src/script/env.js';
import { runScript, type ScriptResult } from '../../src/script/runner.js';
import { createNetns, deleteNetns, linkNetns, nsRun, run } from '../helpers/netns.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUR_SCRIPT = join(ROOT, 'scripts/vpnc-script');
export const DEBIAN_SCRIPT = '/usr/share/vpnc-scripts/vpnc-script';
export const WRAPPER = join(ROOT, 'profiles/split-wrapper.sh');
export const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export const CLIENT_ADDR = '198.51.100.2';
export const GATEWAY_ADDR = '198.51.100.1';
export const TUNDEV = 'tun0';
export const VPNPID = 31337;
export const ORIGINAL_RESOLV = 'nameserver 198.51.100.53\nsearch home.example\noptions edns0 timeout:2\n';

export interface ScriptBed {
  client: string;
  gateway: string;
  /** The client's end of the veth, and the gateway's. */
  clientIf: string;
  gatewayIf: string;
  /** Temporary folder: the client's /run, stand-in executables, logs. */
  dir: string;
  runDir: string;
  resolvConf: string;
}

/** Builds the bed. Call {@link destroyScriptBed} in afterEach/afterAll, even after a failure. */
export function createScriptBed(opts: { nsswitch?: string; hosts?: string; hooks?: Record<string, string> } = {}): ScriptBed {
  const client = createNetns('vsc');
  const gateway = createNetns('vsg');
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-script-bed-'));
  try {
    return fillScriptBed(client, gateway, dir, opts);
  } catch (err) {
    destroyScriptBed({ client, gateway, dir, clientIf: '', gatewayIf: '', runDir: '', resolvConf: '' });
    throw err;
  }
}

function fillScriptBed(client: string, gateway: string, dir: string, opts: { nsswitch?: string; hosts?: string; hooks?: Record<string, string> }): ScriptBed {
  const { aIf, bIf } = linkNetns(client, `${CLIENT_ADDR}/24`, gateway, `${GATEWAY_ADDR}/24`);
  nsRun(client, 'ip', ['route', 'add', 'default', 'via', GATEWAY_ADDR]);
  nsRun(client, 'ip', ['tuntap', 'add', 'dev', TUNDEV, 'mode', 'tun']);
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  mkdirSync(join(dir, 'bin'));
  const etc = `/etc/netns/${client}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'resolv.conf'), ORIGINAL_RESOLV);
  if (opts.nsswitch !== undefined) writeFileSync(join(etc, 'nsswitch.conf'), opts.nsswitch);
  if (opts.hosts !== undefined) writeFileSync(join(etc, 'hosts'), opts.hosts);
  for (const [rel, body] of Object.entries(opts.hooks ?? {})) {
    mkdirSync(join(etc, 'vpnc', rel, '..'), { recursive: true });
    writeFileSync(join(etc, 'vpnc', rel), body);
  }
  return { client, gateway, clientIf: aIf, gatewayIf: bIf, dir, runDir, resolvConf: join(etc, 'resolv.conf') };
}

export function destroyScriptBed(bed: ScriptBed | undefined): void {
  if (bed === undefined) return;
  deleteNetns(bed.client);
  deleteNetns(bed.gateway);
  rmSync(bed.dir, { recursive: true, force: true });
}

/** A stand-in executable in the bed's bin/ that appends its name and argv (tab-separated) to log.txt. */
export function addStandIn(bed: ScriptBed, name: string, opts: { status?: number; readStdin?: boolean; statusExit?: number } = {}): void {
  const log = join(bed.dir, 'log.txt');
  const body = [
    '#!/bin/sh',
    `{ printf '%s' '${name}'; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> '${log}'`,
    opts.readStdin ? `[ "$1" = -a ] && { printf '<<<\\n'; cat; printf '>>>\\n'; } >> '${log}'` : '',
    opts.statusExit !== undefined ? `[ "$1" = status ] && exit ${opts.statusExit}` : '',
    `exit ${opts.status ?? 0}`,
  ].join('\n');
  const path = join(bed.dir, 'bin', name);
  writeFileSync(path, body + '\n');
  chmodSync(path, 0o755);
}

/** Makes bin/NAME a symlink to bin/TARGET (e.g. resolvconf -> resolvectl as some systemd versions ship). */
export function linkStandIn(bed: ScriptBed, name: string, target: string): void {
  symlinkSync(join(bed.dir, 'bin', target), join(bed.dir, 'bin', name));
}

/** The calls the stand-ins recorded, one string per line. */
export function standInLog(bed: ScriptBed): string[] {
  try {
    return readFileSync(join(bed.dir, 'log.txt'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The sample tunnel: the gateway's answer in mode config. */
export function sampleTunnel(over: Partial<TunnelConfig> = {}): TunnelConfig {
  return { address: '192.0.2.10', dns: ['192.0.2.53', '192.0.2.54'], defaultDomain: 'corp.example', ...over };
}

export const SPLIT = [
  { addr: '203.0.113.0', mask: '255.255.255.0', protocol: 0, sport: 0, dport: 0 },
  { addr: '10.20.0.0', mask: '255.255.0.0', protocol: 0, sport: 0, dport: 0 },
];

/** Runs `script` inside the client namespace with the env built for this reason and tunnel. */
export async function runInBed(
  bed: ScriptBed,
  script: string,
  reason: ScriptInvocation['reason'],
  tunnel: TunnelConfig,
  extraEnv: Record<string, string> = {},
  opts: { gateway?: string; interfaceMtu?: number } = {},
): Promise<ScriptResult> {
  const gateway = opts.gateway ?? GATEWAY_ADDR;
  const inv: ScriptInvocation =
    reason === 'pre-init'
      ? { reason, vpnPid: VPNPID }
      : { reason, vpnPid: VPNPID, tunDev: TUNDEV, gateway, tunnel, ...(opts.interfaceMtu ? { interfaceMtu: opts.interfaceMtu } : {}) };
  const env = { ...buildScriptEnv(inv, { PATH: `${join(bed.dir, 'bin')}:${SYSTEM_PATH}`, ...extraEnv }) };
  // ip netns exec gives the command a private mount namespace: /run is replaced there only.
  const command = `exec ip netns exec ${bed.client} sh -c 'mount --bind "$0" /run && exec sh "$1"' ${bed.runDir} ${script}`;
  return runScript({ command, env, timeoutMs: 30_000 });
}

/** Like {@link runInBed} but throws unless the script exited 0. */
export async function mustRun(
  bed: ScriptBed,
  script: string,
  reason: ScriptInvocation['reason'],
  tunnel: TunnelConfig,
  extraEnv: Record<string, string> = {},
  opts: { gateway?: string; interfaceMtu?: number } = {},
): Promise<ScriptResult> {
  const r = await runInBed(bed, script, reason, tunnel, extraEnv, opts);
  if (r.exit.kind !== 'exited' || r.exit.status !== 0) {
    throw new Error(`${script} ${reason}: ${JSON.stringify(r.exit)}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** What must be the same before connect and after disconnect. */
export interface Snapshot {
  routes: string[];
  addrs: string[];
  tunLink: string;
  resolvConf: string;
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
}

/** IPv4 routes of every table, IPv4 addresses (IPv6 DAD states change on their own), the TUN link's mtu and flags, and resolv.conf. */
export function snapshot(bed: ScriptBed): Snapshot {
  const link = nsRun(bed.client, 'ip', ['-o', 'link', 'show', 'dev', TUNDEV]);
  return {
    routes: lines(nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all'])),
    addrs: lines(nsRun(bed.client, 'ip', ['-4', '-o', 'addr', 'show'])),
    tunLink: (/<[^>]*>.* mtu \d+/.exec(link) ?? [''])[0],
    resolvConf: readFileSync(bed.resolvConf, 'utf8'),
  };
}

/** The main-table IPv4 routes right now. */
export function mainRoutes(bed: ScriptBed): string[] {
  return lines(nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'main']));
}

/** The device (and gateway, if any) the client would use for `addr`: "dev tun0" or "via X dev Y". */
export function pathTo(bed: ScriptBed, addr: string): string {
  const out = nsRun(bed.client, 'ip', ['-4', 'route', 'get', addr]);
  const via = / via (\S+)/.exec(out)?.[1];
  const dev = / dev (\S+)/.exec(out)?.[1] ?? '?';
  return via ? `via ${via} dev ${dev}` : `dev ${dev}`;
}

/** Runs a command in the client namespace (for setting up extra routes). */
export function inClient(bed: ScriptBed, ...args: string[]): string {
  return nsRun(bed.client, args[0] ?? 'true', args.slice(1));
}

export { run };
