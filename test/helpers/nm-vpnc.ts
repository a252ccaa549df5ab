/**
 * NetworkManager-vpnc's service (Debian's nm-vpnc-service 1.2.8, unpacked, never installed) driven the way
 * NetworkManager drives it, without the NetworkManager daemon: in a test namespace with a private mount
 * namespace (tmpfs /run; /usr/lib overlaid so that the service and its helper are where they were compiled to
 * be; the vpnc under test bound over /usr/sbin/vpnc, where the service looks first), on a private system bus.
 * The test calls Connect and Disconnect with gdbus and reads the plugin's signals with `gdbus monitor`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPrerequisites, unpackedPath } from '../prereq/check.js';
import { recordPid } from '../prereq/run-registry.js';
import { nsSpawn, stopChild, waitFor } from './netns.js';
import { writePrivateBusConfig } from './private-bus.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NM_VPNC_NAME = 'org.freedesktop.NetworkManager.vpnc';
const PLUGIN_PATH = '/org/freedesktop/NetworkManager/VPN/Plugin';
const PLUGIN_IFACE = 'org.freedesktop.NetworkManager.VPN.Plugin';

/** One signal of the plugin: its member name and its arguments as gdbus prints them. */
export interface NmSignal {
  readonly member: string;
  readonly args: string;
}

/** NetworkManager's VPN service states (NMVpnServiceState) and failure reasons (NMVpnPluginFailure). */
export const NmVpnState = { starting: 3, started: 4, stopping: 5, stopped: 6 } as const;
export const NmVpnFailure = { loginFailed: 0, connectFailed: 1, badIpConfig: 2 } as const;

export interface NmVpnc {
  /** `Connect` with the connection's vpn data and secrets (all strings), as NetworkManager sends them. */
  connect(data: Record<string, string>, secrets: Record<string, string>): string;
  /** `ConnectInteractive`: the service runs vpnc in its interactive mode and asks for secrets (SecretsRequired). */
  connectInteractive(data: Record<string, string>, secrets: Record<string, string>): string;
  /** `NewSecrets`: the answer to a SecretsRequired, as NetworkManager's secret agent gives it. */
  newSecrets(data: Record<string, string>, secrets: Record<string, string>): string;
  disconnect(): string;
  signals(): NmSignal[];
  /** Waits for a signal `member` (whose arguments match `args`, when given) seen after the first `after` signals. */
  waitForSignal(member: string, timeoutMs: number, args?: RegExp, after?: number): Promise<NmSignal>;
  /** The service's own output (its debug log and vpnc's output). */
  log(): string;
  stop(): Promise<void>;
}

/** A GVariant text string. */
const gstr = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const gdict = (d: Record<string, string>) => `{${Object.entries(d).map(([k, v]) => `${gstr(k)}: ${gstr(v)}`).join(', ')}}`;

/**
 * Starts nm-vpnc-service in `ns`. `vpnc` is the command line of the client under test (ours: node and our
 * bin/vpnc.js), or undefined for Debian's /usr/sbin/vpnc (the control).
 */
export async function startNmVpnc(ns: string, vpnc: readonly string[] | undefined): Promise<NmVpnc> {
  const table = loadPrerequisites(ROOT);
  const unpacked = (p: string) => unpackedPath(table, p);
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-nm-'));
  const upper = join(dir, 'upper', 'NetworkManager');
  mkdirSync(upper, { recursive: true });
  for (const f of ['nm-vpnc-service', 'nm-vpnc-service-vpnc-helper']) copyFileSync(unpacked(`usr/lib/NetworkManager/${f}`), join(upper, f));
  for (const f of ['nm-vpnc-service', 'nm-vpnc-service-vpnc-helper']) chmodSync(join(upper, f), 0o755);
  const { config, address } = writePrivateBusConfig(dir, [unpacked('usr/share/dbus-1/system.d')]);
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: address };
  const wrapper = join(dir, 'vpnc');
  if (vpnc) {
    writeFileSync(wrapper, `#!/bin/sh\nexec ${vpnc.join(' ')} "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  writeFileSync(join(dir, 'start.sh'), [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/dbus /run/NetworkManager',
    `mount -t overlay overlay -o lowerdir=${join(dir, 'upper')}:/usr/lib /usr/lib`,
    vpnc ? `mount --bind ${wrapper} /usr/sbin/vpnc` : '',
    `dbus-daemon --config-file=${config} --fork --print-pid > ${dir}/dbus.pid`,
    `export DBUS_SYSTEM_BUS_ADDRESS=${address} LD_LIBRARY_PATH=${unpacked('usr/lib/x86_64-linux-gnu')}`,
    'exec /usr/lib/NetworkManager/nm-vpnc-service --debug --persist',
    '',
  ].join('\n'));
  const service: ChildProcess = nsSpawn(ns, 'unshare', ['-m', '--propagation', 'private', 'sh', join(dir, 'start.sh')]);
  let log = '';
  service.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  service.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const gdbus = (args: string[]) => execFileSync('gdbus', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor('nm-vpnc-service on its bus', () => {
    if (service.exitCode !== null) throw new Error(`nm-vpnc-service exited (${service.exitCode}):\n${log}`);
    try {
      return gdbus(['call', '--system', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', NM_VPNC_NAME]).includes('true') ? true : undefined;
    } catch {
      return undefined;
    }
  }, 10_000);
  const monitor = spawn('gdbus', ['monitor', '--system', '--dest', NM_VPNC_NAME], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  recordPid(monitor.pid);
  const seen: NmSignal[] = [];
  let pending = '';
  monitor.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = new RegExp(`^${PLUGIN_PATH}: ${PLUGIN_IFACE.replace(/\./g, '\\.')}\\.(\\w+) (.*)$`).exec(line);
      if (m) seen.push({ member: m[1]!, args: m[2]! });
    }
  });
  await new Promise((r) => setTimeout(r, 300)); // gdbus monitor subscribes before the first call
  const call = (method: string, ...args: string[]) => gdbus(['call', '--system', '--dest', NM_VPNC_NAME, '--object-path', PLUGIN_PATH, '--method', `${PLUGIN_IFACE}.${method}`, ...args]);
  const connection = (data: Record<string, string>, secrets: Record<string, string>) =>
    `{'connection': {'id': <'vpnc-ts test'>, 'uuid': <'5e2f0c61-5a2b-4d0e-9a53-1c0ffee0a1b2'>, 'type': <'vpn'>}, 'vpn': {'service-type': <'${NM_VPNC_NAME}'>, 'data': <${gdict(data)}>, 'secrets': <${gdict(secrets)}>}}`;
  return {
    connect: (data, secrets) => call('Connect', connection(data, secrets)),
    connectInteractive: (data, secrets) => call('ConnectInteractive', connection(data, secrets), '{}'),
    newSecrets: (data, secrets) => call('NewSecrets', connection(data, secrets)),
    disconnect: () => call('Disconnect'),
    signals: () => [...seen],
    waitForSignal: (member, timeoutMs, args, after = 0) =>
      waitFor(`the plugin's ${member} signal${args ? ` matching ${args}` : ''}`, () => {
        const s = seen.slice(after).find((x) => x.member === member && (!args || args.test(x.args)));
        if (s) return s;
        if (service.exitCode !== null) throw new Error(`nm-vpnc-service exited (${service.exitCode}):\n${log}`);
        return undefined;
      }, timeoutMs),
    log: () => log,
    stop: async () => {
      await stopChild(service);
      await stopChild(monitor);
      try {
        process.kill(Number(readFileSync(join(dir, 'dbus.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A network-order uint32 as gdbus prints it (read on this little-endian machine) as a dotted quad. */
export function nmAddress(value: number): string {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24].join('.');
}

/** The uint32 value of key `key` in a printed a{sv} (`'key': <uint32 N>`). */
export function nmUint(args: string, key: string): number | undefined {
  const m = new RegExp(`'${key}': <uint32 (\\d+)>`).exec(args);
  return m ? Number(m[1]) : undefined;
}

/** A string value (`'key': <'text'>`). */
export function nmString(args: string, key: string): string | undefined {
  return new RegExp(`'${key}': <'([^']*)'>`).exec(args)?.[1];
}

/** The split routes of an Ip4Config (`'routes': <[[uint32 net, prefix, next hop, metric], ...]>`), as CIDR text. */
export function nmRoutes(args: string): string[] {
  const m = /'routes': <\[(.*?)\]>/.exec(args);
  if (!m) return [];
  return [...m[1]!.matchAll(/\[(?:uint32 )?(\d+), (?:uint32 )?(\d+), (?:uint32 )?(\d+), (?:uint32 )?(\d+)\]/g)].map((r) => `${nmAddress(Number(r[1]))}/${r[2]}`);
}

/** The DNS servers of an Ip4Config (`'dns': <[uint32 a, b]>`). */
export function nmDns(args: string): string[] {
  const m = /'dns': <\[(?:uint32 )?([\d, ]*)\]>/.exec(args);
  return m ? m[1]!.split(/,\s*/).filter(Boolean).map((v) => nmAddress(Number(v))) : [];
}
