/**
 * Turns raw settings into a typed configuration, checking every value. A bad value is a ConfigError naming
 * where it came from (the option, or the file and line) and the accepted values.
 */
import { ConfigError } from '../errors.js';
import { formatIpv4, ipv4Problem, isIpv4, isNumericHost, tryParseIpv4Network } from '../wire/ipv4-text.js';
import { defaultFor, FORTIGATE_IKE_LIFETIME, VPNC_IKE_LIFETIME } from './defaults.js';
import { IKE_DH_NAMES, PFS_NAMES, specOf, type SettingId } from './options.js';
import { describeOrigin, type Settings } from './profile-file.js';

export type Vendor = 'cisco' | 'netscreen' | 'fortigate';
export type NattMode = 'natt' | 'none' | 'force-natt' | 'cisco-udp';
export type IfMode = 'tun' | 'tap';
export type AuthMode = 'psk' | 'cert' | 'hybrid';
/** A DH group number (1, 2, 5, 14-21), 0 for no PFS, or 'server' (take the gateway's choice). */
export type PfsSetting = number | 'server';

export interface Ipv4Network {
  readonly address: string;
  readonly prefixLength: number;
}

export interface VpncConfig {
  gateway: string;
  id: string;
  secret: string;
  username: string;
  /** Missing only with `Xauth interactive` (prompted at XAUTH time). */
  password: string | undefined;
  domain: string | undefined;
  xauthInteractive: boolean;
  vendor: Vendor;
  /** Vendor was set (profile or option): its dialect holds; else the gateway's vendor IDs may choose another. */
  vendorGiven: boolean;
  nattMode: NattMode;
  script: string;
  dhGroup: number;
  pfs: PfsSetting;
  weakEncryption: boolean;
  noEncryption: boolean;
  weakAuthentication: boolean;
  applicationVersion: string;
  ifName: string | undefined;
  ifMode: IfMode;
  /** 0 = automatic. */
  ifMtu: number;
  debug: number;
  noDetach: boolean;
  /** --no-natt-fallback: no automatic switch to UDP encapsulation when raw ESP is dropped. */
  noNattFallback: boolean;
  /** Do not ask for IPv6 in mode config (no second quick mode). */
  noIpv6: boolean;
  /** Empty string = no pid file. */
  pidFile: string;
  localAddr: string;
  localPort: number;
  udpPort: number;
  /** Seconds; 0 disables DPD. */
  dpdIdle: number;
  nonInteractive: boolean;
  authMode: AuthMode;
  caFile: string | undefined;
  caDir: string;
  targetNetwork: Ipv4Network;
  passwordHelper: string | undefined;
  trace: string | undefined;
  traceKeys: string | undefined;
  /** Seconds to keep trying to reconnect after a dead peer; 0 = exit (vpnc's behaviour). */
  reconnectTimeout: number;
  /** The ISAKMP SA lifetime we propose, in seconds. */
  ikeLifetime: number;
  /** Our certificate (PEM or PKCS#12), its key (PEM) and their password, for authMode cert. */
  certFile: string | undefined;
  keyFile: string | undefined;
  certPassword: string | undefined;
  /** Seconds an unanswered IKE request is resent before the gateway is given up. */
  ikeTimeout: number;
  /** Other gateways to try (Backup servers): names or addresses, resolved when tried. */
  backupServers: string[];
  /** The XAUTH password was typed at the start-up prompt: it serves a re-authentication only if the gateway allows. */
  passwordTyped: boolean;
}

/** Warnings produced while validating (values vpnc would silently adjust). */
export type WarningSink = (message: string) => void;

class Reader {
  constructor(
    private readonly settings: Settings,
    private readonly warn: WarningSink,
  ) {}

  raw(id: SettingId): string | undefined {
    return this.settings.get(id)?.value;
  }

  string(id: SettingId): string {
    return this.raw(id) ?? defaultFor(id) ?? '';
  }

  optional(id: SettingId): string | undefined {
    const v = this.raw(id);
    return v === undefined || v === '' ? undefined : v;
  }

  /** Whether the setting was given at all (else its default holds); for a flag, whether it is on. */
  given(id: SettingId): boolean {
    return this.settings.has(id);
  }

  flag(id: SettingId): boolean {
    return this.given(id);
  }

  /** Whether the value was typed at a start-up prompt (not written in a profile or on the command line). */
  typed(id: SettingId): boolean {
    const o = this.settings.get(id)?.origin;
    return o?.kind === 'option' && o.option === 'prompt';
  }

  where(id: SettingId): string {
    const v = this.settings.get(id);
    const spec = specOf(id);
    return v ? describeOrigin(v.origin, spec) : spec.option ?? spec.key;
  }

  fail(id: SettingId, value: string, accepted: string): never {
    throw new ConfigError(`${this.where(id)}: invalid value ${JSON.stringify(value)} (accepted: ${accepted})`);
  }

  oneOf<T extends string>(id: SettingId, allowed: readonly T[]): T {
    const v = this.string(id);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    return this.fail(id, v, allowed.join(', '));
  }

  integer(id: SettingId, min: number, max: number, accepted: string): number {
    const v = this.string(id);
    if (!/^\d+$/.test(v)) return this.fail(id, v, accepted);
    const n = Number(v);
    if (n < min || n > max) return this.fail(id, v, accepted);
    return n;
  }

  warnAbout(id: SettingId, message: string): void {
    this.warn(`warning: ${this.where(id)}: ${message}`);
  }
}

function dhNumber(name: string): number {
  return Number(name.slice(2));
}

/** Parses `a.b.c.d/m.m.m.m` or `a.b.c.d/len`; returns null when malformed or the mask is not contiguous. */
export function parseIpv4Network(text: string): Ipv4Network | null {
  const n = tryParseIpv4Network(text);
  return n === undefined ? null : { address: formatIpv4(n.address), prefixLength: n.prefixLength };
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Why `text` is neither a host name nor an IPv4 address (those are resolved later, at connect time), or undefined
 * when it is one. A name ending in a number ("010.0.0.1", "127.1") is an address or nothing: resolvers would read
 * it as inet_aton does (010 as octal), so it must be a strict dotted quad.
 */
function hostProblem(text: string): string | undefined {
  if (isIpv4(text)) return undefined;
  if (isNumericHost(text)) {
    // Only digits and dots: the dotted quad's own fault. Letters or a final dot: a name ending in a number.
    return /^[0-9.]+$/.test(text) && !text.endsWith('.') ? `read as an address: ${ipv4Problem(text)}` : 'a name ending in a number, which resolvers would read as an address';
  }
  return HOST_NAME.test(text) ? undefined : '';
}

function isHost(text: string): boolean {
  return hostProblem(text) === undefined;
}

/**
 * Checks every value that is present. With `complete`, also requires the credentials (after prompting) and
 * returns the full configuration.
 */
export function validateSettings(settings: Settings, warn: WarningSink = () => {}): VpncConfig {
  const r = new Reader(settings, warn);
  const dhGroup = dhNumber(r.oneOf('dhGroup', IKE_DH_NAMES));
  const pfsName = r.oneOf('pfs', PFS_NAMES);
  const pfs: PfsSetting = pfsName === 'server' ? 'server' : pfsName === 'nopfs' ? 0 : dhNumber(pfsName);

  let dpdIdle = r.integer('dpdIdle', 0, Number.MAX_SAFE_INTEGER, '0 or 10-86400 seconds');
  if (dpdIdle !== 0 && (dpdIdle < 10 || dpdIdle > 86400)) {
    const clamped = dpdIdle < 10 ? 10 : 86400;
    r.warnAbout('dpdIdle', `${dpdIdle} is outside 10-86400, using ${clamped}`);
    dpdIdle = clamped;
  }

  const debugText = r.string('debug') || '0';
  if (!/^\d+$/.test(debugText)) r.fail('debug', debugText, '0, 1, 2, 3, 99');

  const vendor = r.oneOf('vendor', ['cisco', 'netscreen', 'fortigate'] as const);

  const targetText = r.string('targetNetwork');
  const targetNetwork = parseIpv4Network(targetText);
  if (!targetNetwork) r.fail('targetNetwork', targetText, 'a network as a.b.c.d/m.m.m.m or a.b.c.d/len');

  const ifName = r.raw('ifName');
  // The kernel's IFNAMSIZ is 16 with the NUL; a slash or blank cannot be in a device name.
  if (ifName !== undefined && (Buffer.byteLength(ifName) > 15 || /[\s/]/.test(ifName) || ifName === '.' || ifName === '..')) {
    r.fail('ifName', ifName, 'a device name of at most 15 bytes, without blanks or slashes (%d for a number)');
  }

  for (const id of ['gateway', 'localAddr'] as const) {
    const v = r.raw(id);
    const problem = v === undefined ? undefined : hostProblem(v);
    if (v !== undefined && problem !== undefined) r.fail(id, v, `an IPv4 address or a host name${problem && `; ${problem}`}`);
  }
  const backupText = r.raw('backupServers') ?? '';
  const backupServers = backupText.split(/[\s,]+/).filter(Boolean);
  const badBackup = backupServers.find((h) => !isHost(h));
  if (badBackup !== undefined) {
    const problem = hostProblem(badBackup);
    r.fail('backupServers', backupText, `IPv4 addresses or host names, comma or space separated (${JSON.stringify(badBackup)} is neither${problem && `; ${problem}`})`);
  }

  return {
    gateway: r.string('gateway'),
    id: r.string('id'),
    secret: r.string('secret'),
    username: r.string('username'),
    password: r.raw('password'),
    passwordTyped: r.typed('password'),
    domain: r.optional('domain'),
    xauthInteractive: r.flag('xauthInteractive'),
    vendor,
    vendorGiven: r.given('vendor'),
    nattMode: r.oneOf('nattMode', ['natt', 'none', 'force-natt', 'cisco-udp'] as const),
    script: r.string('script'),
    dhGroup,
    pfs,
    weakEncryption: r.flag('weakEncryption'),
    noEncryption: r.flag('noEncryption'),
    weakAuthentication: r.flag('weakAuthentication'),
    applicationVersion: r.string('applicationVersion'),
    ifName: r.optional('ifName'),
    ifMode: r.oneOf('ifMode', ['tun', 'tap'] as const),
    ifMtu: r.raw('ifMtu') === undefined ? 0 : r.integer('ifMtu', 0, 65535, '0-65535 (0 = automatic)'),
    debug: Number(debugText),
    noDetach: r.flag('noDetach'),
    noNattFallback: r.flag('noNattFallback'),
    noIpv6: r.flag('noIpv6'),
    pidFile: r.string('pidFile'),
    localAddr: r.string('localAddr'),
    localPort: r.integer('localPort', 0, 65535, '0-65535 (0 = random)'),
    udpPort: r.integer('udpPort', 0, 65535, '0-65535 (0 = random)'),
    dpdIdle,
    nonInteractive: r.flag('nonInteractive'),
    authMode: r.oneOf('authMode', ['psk', 'cert', 'hybrid'] as const),
    caFile: r.optional('caFile'),
    caDir: r.string('caDir'),
    targetNetwork: targetNetwork!,
    passwordHelper: r.optional('passwordHelper'),
    trace: r.optional('trace'),
    traceKeys: r.optional('traceKeys'),
    backupServers,
    reconnectTimeout: r.integer('reconnectTimeout', 0, 86400, '0-86400 seconds (0 = off)'),
    ikeTimeout: r.integer('ikeTimeout', 2, 3600, '2-3600 seconds'),
    certFile: r.optional('certFile'),
    keyFile: r.optional('keyFile'),
    certPassword: r.optional('certPassword'),
    // FortiGate refuses vpnc's 2147483 s ("peer SA proposal does not match local policy", ndpgroup/vpnc PR #9).
    ikeLifetime: vendor === 'fortigate' && !r.given('ikeLifetime') ? FORTIGATE_IKE_LIFETIME : r.integer('ikeLifetime', 10, VPNC_IKE_LIFETIME, `10-${VPNC_IKE_LIFETIME} seconds`),
  };
}

/** The credentials vpnc insists on, with its messages; checked after prompting. */
/** What a phase 1 needs of the group: the gateway, the group ID and the group secret (with certificates: our certificate). */
export function requireGroup(config: VpncConfig): void {
  const cert = config.authMode === 'cert';
  const group: Array<readonly [string | undefined, string]> = cert
    ? [[config.certFile, 'IKE Authmode cert needs our certificate (--cert FILE, or "IPSec certificate" in a profile)']]
    : [
        [config.id, 'missing IPSec ID (--id, or "IPSec ID" in a profile)'],
        [config.secret, 'missing IPSec secret (--secret, or "IPSec secret" in a profile)'],
      ];
  const missing = [[config.gateway, 'missing IPSec gateway address (--gateway, or "IPSec gateway" in a profile)'] as const, ...group];
  for (const [value, message] of missing) if (!value) throw new ConfigError(message);
}

export function requireCredentials(config: VpncConfig): void {
  requireGroup(config);
  if (!config.username) throw new ConfigError('missing Xauth username (--username, or "Xauth username" in a profile)');
  if (config.password === undefined && !config.xauthInteractive) {
    throw new ConfigError('missing Xauth password (--password, or "Xauth password" in a profile)');
  }
}
