/**
 * The vpnc-script environment, built as a value: a typed description of the tunnel in, a record of
 * environment variables out, formatted exactly as vpnc 0.5.3 formats them (`do_config_to_env`,
 * `setup_tunnel`, `config_tunnel` in src/vpnc.c), so Debian's vpnc-script and users' wrappers run unchanged.
 *
 * Additions over vpnc, all from OpenConnect's side of the same contract: a stable `VPNPID`, the split-exclude
 * list `CISCO_SPLIT_EXC*` when the gateway sends one (Cisco Unity "local LAN", attribute 0x7006), and the
 * reasons `attempt-reconnect` and `reconnect`, and IPv6 as OpenConnect exports it (`INTERNAL_IP6_*`,
 * `CISCO_IPV6_SPLIT_INC*`).
 *
 * Pure: no process environment is read or written here; the caller passes the inherited environment in.
 */
import { formatIpv4, maskToMasklen, parseIpv4 } from '../wire/ipv4-text.js';
import { formatIpv6, parseIpv6 as parseIpv6Text } from '../wire/ipv6-text.js';
import { ScriptError, ScriptErrorCode } from './errors.js';

/** Why the script is run. vpnc itself uses the first three; OpenConnect added the other two. */
export const ScriptReason = {
  preInit: 'pre-init',
  connect: 'connect',
  disconnect: 'disconnect',
  attemptReconnect: 'attempt-reconnect',
  reconnect: 'reconnect',
} as const;
export type ScriptReason = (typeof ScriptReason)[keyof typeof ScriptReason];

/** One line of a Cisco Unity split-include or split-exclude ACL, as the gateway sent it. */
export interface SplitNetwork {
  /** Network address, dotted quad (exported as given, not masked, like vpnc). */
  addr: string;
  /** Netmask, dotted quad. */
  mask: string;
  /** IP protocol number (usually 0 = any). */
  protocol: number;
  /** Source port (usually 0). */
  sport: number;
  /** Destination port (usually 0). */
  dport: number;
}

/** What mode config told us about the tunnel. Lists are in the order the attributes arrived. */
export interface TunnelConfig {
  /** INTERNAL_IP4_ADDRESS, dotted quad. */
  address: string;
  /** INTERNAL_IP4_NETMASK, dotted quad, when sent. */
  netmask?: string;
  /** INTERNAL_IP4_DNS servers. */
  dns?: readonly string[];
  /** INTERNAL_IP4_NBNS (WINS) servers. */
  nbns?: readonly string[];
  /** UNITY_DEF_DOMAIN, raw. */
  defaultDomain?: string;
  /** UNITY_BANNER, raw (may hold newlines or anything else: it reaches the script only as a value). */
  banner?: string;
  /** UNITY_SPLITDNS_NAME values as received, each a comma-separated list; vpnc joins repeats with a space. */
  splitDns?: readonly string[];
  /** UNITY_SPLIT_INCLUDE; absent = not sent (full tunnel), `[]` = sent empty (`CISCO_SPLIT_INC=0`). */
  splitInclude?: readonly SplitNetwork[];
  /** UNITY_LOCAL_LAN (split exclude); absent = not sent. */
  splitExclude?: readonly SplitNetwork[];
  /** UNITY_BACKUP_SERVERS (ours: vpnc never asked): CISCO_BACKUP_SERVERS, blank-separated. */
  backupServers?: readonly string[];
  /** INTERNAL_IP6_ADDRESS with its prefix (ours: vpnc is IPv4 only): INTERNAL_IP6_ADDRESS, INTERNAL_IP6_NETMASK. */
  address6?: Ipv6Network;
  /** INTERNAL_IP6_DNS servers. */
  dns6?: readonly string[];
  /** INTERNAL_IP6_SUBNET networks: CISCO_IPV6_SPLIT_INC and its entries (absent: IPv6 is a full tunnel). */
  splitInclude6?: readonly Ipv6Network[];
}

/** An IPv6 address or network and its prefix length. */
export interface Ipv6Network {
  address: string;
  prefixLength: number;
}

/** `pre-init` runs before the tunnel device exists and before IKE starts: only the reason and VPNPID. */
export interface PreInitInvocation {
  reason: 'pre-init';
  /** The controlling process's pid; the same for every invocation of one connection. */
  vpnPid: number;
}

/** Every later invocation carries the whole tunnel description, as vpnc's environment does. */
export interface TunnelInvocation {
  reason: 'connect' | 'disconnect' | 'attempt-reconnect' | 'reconnect';
  vpnPid: number;
  /** TUNDEV: the tunnel interface name. */
  tunDev: string;
  /** VPNGATEWAY: the gateway's IPv4 address (after any load-balancing redirect). */
  gateway: string;
  /** INTERNAL_IP4_MTU: from `--ifmtu`; exported only when 1..65535 (vpnc ignores other values). */
  interfaceMtu?: number;
  tunnel: TunnelConfig;
}

/** One run of the script. */
export type ScriptInvocation = PreInitInvocation | TunnelInvocation;

/** An environment as passed to a child process. */
export type ScriptEnv = Record<string, string>;

/** The variables vpnc unsets before exporting mode config (`do_config_to_env`, `setup_tunnel`). */
export const VPNC_UNSET_VARIABLES: readonly string[] = [
  'CISCO_BANNER',
  'CISCO_DEF_DOMAIN',
  'CISCO_SPLIT_DNS',
  'CISCO_SPLIT_INC',
  'CISCO_IPV6_SPLIT_INC',
  'INTERNAL_IP4_NBNS',
  'INTERNAL_IP4_DNS',
  'INTERNAL_IP4_NETMASK',
  'INTERNAL_IP4_ADDRESS',
  'INTERNAL_IP6_DNS',
  'INTERNAL_IP6_NETMASK',
  'INTERNAL_IP6_ADDRESS',
  'INTERNAL_IP4_MTU',
];

/**
 * Further inherited variables we drop although vpnc would leave them: every other name this contract
 * defines. A stale `TUNDEV` or `CISCO_SPLIT_INC_3_ADDR` in the caller's environment must not reach a
 * script that runs with a different tunnel.
 */
const OWNED_NAMES: ReadonlySet<string> = new Set([
  ...VPNC_UNSET_VARIABLES,
  'reason',
  'TUNDEV',
  'VPNGATEWAY',
  'VPNPID',
  'INTERNAL_IP4_NETMASKLEN',
  'INTERNAL_IP4_NETADDR',
  'CISCO_SPLIT_EXC',
  'CISCO_BACKUP_SERVERS',
]);
const OWNED_PREFIXES: readonly string[] = ['CISCO_SPLIT_INC_', 'CISCO_SPLIT_EXC_', 'CISCO_IPV6_SPLIT_', 'INTERNAL_IP6_'];

/** Whether an inherited variable is one the builder removes before adding its own. */
export function isOwnedVariable(name: string): boolean {
  return OWNED_NAMES.has(name) || OWNED_PREFIXES.some((p) => name.startsWith(p));
}

function badInput(message: string): ScriptError {
  return new ScriptError(ScriptErrorCode.badInput, message);
}

/** A strict dotted quad (src/wire/ipv4-text.ts) as a number; a ScriptError when it is not one. */
function ipv4(text: string): number {
  return parseIpv4(text, badInput);
}

function ipv4Text(text: string): string {
  return formatIpv4(ipv4(text));
}

/** A value as it may appear in an environment: C strings end at the first NUL, as vpnc's do. */
function cString(value: string): string {
  const nul = value.indexOf('\0');
  return nul === -1 ? value : value.slice(0, nul);
}

function u16(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw badInput(`${what} out of range: ${value}`);
  return String(value);
}

/** The per-entry variables of a split list, `<PREFIX>=count` and `<PREFIX>_<i>_ADDR` ... `_DPORT`. */
export function splitListVariables(prefix: 'CISCO_SPLIT_INC' | 'CISCO_SPLIT_EXC', list: readonly SplitNetwork[]): ScriptEnv {
  const env: ScriptEnv = { [prefix]: String(list.length) };
  list.forEach((entry, i) => {
    const mask = ipv4(entry.mask);
    env[`${prefix}_${i}_ADDR`] = ipv4Text(entry.addr);
    env[`${prefix}_${i}_MASK`] = formatIpv4(mask);
    env[`${prefix}_${i}_MASKLEN`] = String(maskToMasklen(mask));
    env[`${prefix}_${i}_PROTOCOL`] = u16(entry.protocol, 'split protocol');
    env[`${prefix}_${i}_SPORT`] = u16(entry.sport, 'split source port');
    env[`${prefix}_${i}_DPORT`] = u16(entry.dport, 'split destination port');
  });
  return env;
}

function addressList(list: readonly string[] | undefined): string | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map(ipv4Text).join(' ');
}

function ipv6Text(text: string): string {
  return formatIpv6(parseIpv6Text(text, badInput));
}

function prefix6(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 128) throw badInput(`IPv6 prefix length out of range: ${n}`);
  return String(n);
}

/**
 * The IPv6 variables, named and formatted as OpenConnect exports them for the same scripts: INTERNAL_IP6_NETMASK
 * is `address/prefix`, the split entries give ADDR and MASKLEN.
 */
export function ipv6Variables(tunnel: TunnelConfig): ScriptEnv {
  const env: ScriptEnv = {};
  if (tunnel.address6 !== undefined) {
    const a = ipv6Text(tunnel.address6.address);
    env.INTERNAL_IP6_ADDRESS = a;
    env.INTERNAL_IP6_NETMASK = `${a}/${prefix6(tunnel.address6.prefixLength)}`;
  }
  if (tunnel.dns6 !== undefined && tunnel.dns6.length > 0) env.INTERNAL_IP6_DNS = tunnel.dns6.map(ipv6Text).join(' ');
  if (tunnel.splitInclude6 !== undefined) {
    env.CISCO_IPV6_SPLIT_INC = String(tunnel.splitInclude6.length);
    tunnel.splitInclude6.forEach((n, i) => {
      env[`CISCO_IPV6_SPLIT_INC_${i}_ADDR`] = ipv6Text(n.address);
      env[`CISCO_IPV6_SPLIT_INC_${i}_MASKLEN`] = prefix6(n.prefixLength);
    });
  }
  return env;
}

/** The mode-config variables (`do_config_to_env`): address, netmask, DNS, NBNS, domain, banner, split lists. */
export function tunnelVariables(tunnel: TunnelConfig): ScriptEnv {
  const address = ipv4(tunnel.address);
  const env: ScriptEnv = { INTERNAL_IP4_ADDRESS: formatIpv4(address) };
  if (tunnel.netmask !== undefined) {
    const mask = ipv4(tunnel.netmask);
    env.INTERNAL_IP4_NETMASK = formatIpv4(mask);
    env.INTERNAL_IP4_NETMASKLEN = String(maskToMasklen(mask));
    env.INTERNAL_IP4_NETADDR = formatIpv4((address & mask) >>> 0);
  }
  const dns = addressList(tunnel.dns);
  if (dns !== undefined) env.INTERNAL_IP4_DNS = dns;
  const nbns = addressList(tunnel.nbns);
  if (nbns !== undefined) env.INTERNAL_IP4_NBNS = nbns;
  if (tunnel.defaultDomain !== undefined) env.CISCO_DEF_DOMAIN = cString(tunnel.defaultDomain);
  if (tunnel.banner !== undefined) env.CISCO_BANNER = cString(tunnel.banner);
  if (tunnel.splitDns !== undefined && tunnel.splitDns.length > 0) {
    env.CISCO_SPLIT_DNS = tunnel.splitDns.map(cString).join(' ');
  }
  if (tunnel.splitInclude !== undefined) Object.assign(env, splitListVariables('CISCO_SPLIT_INC', tunnel.splitInclude));
  if (tunnel.splitExclude !== undefined) Object.assign(env, splitListVariables('CISCO_SPLIT_EXC', tunnel.splitExclude));
  if (tunnel.backupServers !== undefined && tunnel.backupServers.length > 0) env.CISCO_BACKUP_SERVERS = tunnel.backupServers.map(cString).join(' ');
  return Object.assign(env, ipv6Variables(tunnel));
}

/** Interface names the kernel accepts and that are safe as a path component (the script keys state by it). */
function checkTunDev(name: string): string {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw badInput(`not a usable interface name: ${JSON.stringify(name)}`);
  }
  return name;
}

function checkPid(pid: number): string {
  if (!Number.isInteger(pid) || pid <= 0) throw badInput(`VPNPID must be a positive integer, got ${pid}`);
  return String(pid);
}

/** The variables one invocation adds, without anything inherited. */
export function invocationVariables(inv: ScriptInvocation): ScriptEnv {
  const env: ScriptEnv = { reason: inv.reason, VPNPID: checkPid(inv.vpnPid) };
  if (inv.reason === 'pre-init') return env;
  env.TUNDEV = checkTunDev(inv.tunDev);
  if (inv.interfaceMtu !== undefined && Number.isInteger(inv.interfaceMtu) && inv.interfaceMtu > 0 && inv.interfaceMtu <= 65535) {
    env.INTERNAL_IP4_MTU = String(inv.interfaceMtu);
  }
  env.VPNGATEWAY = ipv4Text(inv.gateway);
  Object.assign(env, tunnelVariables(inv.tunnel));
  return env;
}

/**
 * The full environment for one script run: the inherited environment minus every variable of this
 * contract, plus the invocation's variables. Undefined inherited values (as in `process.env`) are dropped.
 */
export function buildScriptEnv(inv: ScriptInvocation, inherited: Readonly<Record<string, string | undefined>> = {}): ScriptEnv {
  const env: ScriptEnv = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !isOwnedVariable(name)) env[name] = value;
  }
  return Object.assign(env, invocationVariables(inv));
}
