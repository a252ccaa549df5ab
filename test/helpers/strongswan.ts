/**
 * strongSwan (charon + swanctl from Debian) as a Cisco-style concentrator inside a test-bed namespace:
 * IKEv1 aggressive mode, PSK + XAUTH (xauth-generic), a mode-config pool with DNS, Unity split include (from the
 * child's local_ts), banner (28672) and default domain (28674). The kernel has no ESP here, so ESP runs in
 * userspace through kernel-libipsec, which creates a TUN `ipsec0` and installs the routes to the pool's
 * virtual IPs itself (kernel-netlink, routing table 220 with a rule in front of main). libipsec only does
 * UDP-encapsulated ESP and fakes its NAT-D so that clients always float to UDP 4500.
 *
 * Everything is private to one temp dir: STRONGSWAN_CONF, swanctl.conf, the vici socket and charon's log.
 * charon runs in a private mount namespace with its own /run (it refuses to start if /run/charon.pid exists).
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nsSpawnPrivateRun, run, stopChild, waitFor, type ExitStatus } from './netns.js';

/** Debian's charon binary. */
export const CHARON = '/usr/lib/ipsec/charon';
/** Debian's swanctl binary. */
export const SWANCTL = '/usr/sbin/swanctl';

/** IKE proposals the bed is tested with (vpnc proposes one DH group: dh2 = modp1024 by default). */
export const IKE_PROPOSALS = {
  default: 'aes256-sha1-modp1024',
  sha256: 'aes128-sha256-modp2048',
  legacy: '3des-md5-modp1024',
} as const;

/** Plugins charon loads (load_modular = no): the set measured to work for a Cisco-style gateway here. */
export const CHARON_PLUGINS = [
  'random', 'nonce', 'openssl', 'aes', 'sha1', 'sha2', 'md5', 'hmac', 'gmp', 'pem', 'pkcs1', 'x509', 'pubkey',
  'kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici', 'attr', 'unity', 'xauth-generic',
] as const;

/** One XAUTH account. */
export interface XauthUser {
  name: string;
  password: string;
}

/**
 * Hybrid authentication (IKEv1 HybridInitRSA): the gateway proves itself with this certificate and key
 * (`local { auth = pubkey }`, sent always), the client only with XAUTH (`remote { auth = xauth }`, no PSK round).
 * The files are copied into the private swanctl dir (x509/, private/, x509ca/).
 */
export interface HybridCredentials {
  /** The gateway's certificate (PEM) and its private key (PEM, PKCS#1 or PKCS#8). */
  certPath: string;
  keyPath: string;
  /** CA certificates charon should know (x509ca/), e.g. an intermediate; optional. */
  caPaths?: string[];
}

/** Gateway settings; everything but the namespace has a test-bed default. */
export interface GatewayOptions {
  /** Namespace to run charon in (the bed's gateway namespace). */
  netns: string;
  /** The gateway's own IKE identity (its outside address). */
  localId?: string;
  /** Group name (the client's KEY_ID) and group secret (the PSK). */
  group?: string;
  groupSecret?: string;
  /** XAUTH accounts; the first one is also the connection's `xauth_id`. */
  users?: XauthUser[];
  /** IKE proposals, comma separated (`aes256-sha1-modp1024`). */
  ikeProposals?: string;
  /** ESP proposals without a DH group (`aes256-sha1`); with `pfsGroup` the group is appended (PFS required). */
  espProposals?: string;
  /** A DH group such as `modp1024` turns PFS on for quick mode; undefined leaves it off. */
  pfsGroup?: string;
  /** DPD interval in seconds; 0 disables DPD. */
  dpdDelaySeconds?: number;
  /** IKEv1: seconds without an answer to DPD after which charon deletes the client's SAs (its default 150). */
  dpdTimeoutSeconds?: number;
  /** Mode-config pool. */
  pool?: { first: string; last: string };
  /** DNS server handed out by mode config. */
  dns?: string;
  /**
   * An IPv6 pool beside the IPv4 one (a second pool of the connection): its addresses, DNS server
   * (INTERNAL_IP6_DNS) and, when given, networks sent as INTERNAL_IP6_SUBNET. Add the IPv6 inner network to
   * `localTs` for the IPv6 quick mode to be accepted.
   */
  pool6?: { first: string; last: string; dns?: string; subnet?: string };
  /** Unity banner (attribute 28672) and default domain (28674). */
  banner?: string;
  defaultDomain?: string;
  /** The child's local traffic selector, which strongSwan's unity plugin sends as the split include. */
  localTs?: string;
  /** charon log level for the ike/cfg/knl/net groups (default 2; 4 dumps key material). */
  logLevel?: number;
  /** Child SA rekey time in seconds (the gateway starts quick mode then); default strongSwan's own. */
  childRekeySeconds?: number;
  /** Child SA hard lifetime in seconds with rekeying by the gateway off (the client must rekey). */
  childLifeSeconds?: number;
  /** Hybrid authentication instead of PSK + XAUTH. */
  hybrid?: HybridCredentials;
  /**
   * Certificate authentication both ways (main mode, `auth = pubkey` then a second round `auth = xauth`): the
   * gateway's certificate and key, and in caPaths the CA that issued the clients' certificates.
   */
  certAuth?: HybridCredentials;
  /** charon's `load` list (default CHARON_PLUGINS); tests of this helper name a plugin that does not exist. */
  plugins?: readonly string[];
}

/**
 * Lines in charon's log that mean a tunnel cannot come up (a missing plugin, XAUTH impossible, no matching
 * configuration, authentication refused): a test waiting for a tunnel stops at once with these words.
 */
export const CHARON_FATAL = [
  /plugin '[^']+'.*failed to load/,
  /no XAuth method found/,
  /no IKE config found/,
  /no (matching )?peer config found/,
  /no acceptable proposal found/,
  /loading [^ ]+ failed/,
  /XAuth authentication of '[^']*' failed/,
  /tried \d+ shared keys? for .* but MAC mismatched/,
  /(initiating|establishing) .* failed/,
] as const;

/** The fatal lines of a log, in order. */
export function fatalLines(log: string): string[] {
  return log.split('\n').filter((l) => CHARON_FATAL.some((re) => re.test(l)));
}

/** The plugins charon says it did not load: the names in CHARON_PLUGINS missing from its "loaded plugins" line. */
export function missingPlugins(log: string, wanted: readonly string[] = CHARON_PLUGINS): string[] | undefined {
  const line = /loaded plugins: (.*)/.exec(log)?.[1];
  if (line === undefined) return undefined;
  const loaded = new Set(line.trim().split(/\s+/));
  return wanted.filter((p) => !loaded.has(p));
}

/** Gateways running now: a test waiting for a tunnel asks them whether charon already gave up. */
const running = new Set<StrongSwanGateway>();

/** Where each running gateway's log ends now: a waiting test looks only at what is logged after this. */
export function gatewayLogMarks(): Map<StrongSwanGateway, number> {
  return new Map([...running].map((gw) => [gw, gw.log().length]));
}

/**
 * charon's own words for why no tunnel can come, logged by a running gateway since `marks` were taken;
 * undefined while all is well.
 */
export function gatewayFailureSince(marks: Map<StrongSwanGateway, number>): string | undefined {
  for (const gw of running) {
    const lines = fatalLines(gw.log().slice(marks.get(gw) ?? 0));
    if (lines.length > 0) return `the strongSwan gateway gave up (${gw.logPath}):\n${lines.slice(0, 5).join('\n')}`;
  }
  return undefined;
}

/** A running gateway. */
export interface StrongSwanGateway {
  readonly pid: number;
  readonly dir: string;
  readonly logPath: string;
  readonly viciUri: string;
  readonly options: Readonly<Required<Omit<GatewayOptions, 'pfsGroup' | 'childRekeySeconds' | 'childLifeSeconds' | 'hybrid' | 'certAuth' | 'plugins' | 'dpdTimeoutSeconds' | 'pool6'>>> & {
    pool6: GatewayOptions['pool6'];
    dpdTimeoutSeconds: number | undefined;
    plugins: readonly string[];
    pfsGroup: string | undefined;
    childRekeySeconds: number | undefined;
    childLifeSeconds: number | undefined;
    hybrid: HybridCredentials | undefined;
    certAuth: HybridCredentials | undefined;
  };
  /** The last `lines` lines of charon's log. */
  logTail(lines?: number): string;
  /** The whole log. */
  log(): string;
  /** `swanctl --list-sas` output. */
  listSas(): string;
  /** Stops charon by its pid (SIGTERM, then SIGKILL) and removes the temp dir unless `keepDir`. */
  stop(opts?: { keepDir?: boolean }): Promise<ExitStatus>;
}

type ResolvedOptions = StrongSwanGateway['options'];

function resolveOptions(o: GatewayOptions): ResolvedOptions {
  return {
    netns: o.netns,
    localId: o.localId ?? '198.51.100.1',
    group: o.group ?? 'testgroup',
    groupSecret: o.groupSecret ?? 'group-secret-42',
    users: o.users ?? [{ name: 'alice', password: 'alice-password' }],
    ikeProposals: o.ikeProposals ?? IKE_PROPOSALS.default,
    espProposals: o.espProposals ?? 'aes256-sha1',
    pfsGroup: o.pfsGroup,
    childRekeySeconds: o.childRekeySeconds,
    childLifeSeconds: o.childLifeSeconds,
    hybrid: o.hybrid,
    certAuth: o.certAuth,
    plugins: o.plugins ?? CHARON_PLUGINS,
    dpdTimeoutSeconds: o.dpdTimeoutSeconds,
    dpdDelaySeconds: o.dpdDelaySeconds ?? 30,
    pool: o.pool ?? { first: '192.0.2.10', last: '192.0.2.50' },
    dns: o.dns ?? '203.0.113.53',
    pool6: o.pool6,
    banner: o.banner ?? 'Welcome to the vpnc-ts test bed',
    defaultDomain: o.defaultDomain ?? 'example.test',
    localTs: o.localTs ?? '203.0.113.0/24',
    logLevel: o.logLevel ?? 2,
  };
}

/** Quotes a value for strongSwan's settings syntax. */
export function quote(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`strongSwan setting values cannot hold line breaks: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The private strongswan.conf: explicit plugin list, aggressive-mode PSK allowed, private vici socket, file log. */
export function strongswanConf(viciPath: string, logPath: string, logLevel: number, plugins: readonly string[] = CHARON_PLUGINS): string {
  return `charon {
  load_modular = no
  load = ${plugins.join(' ')}
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  send_vendor_id = yes
  filelog {
    testbed {
      path = ${logPath}
      time_format = %H:%M:%S
      default = 1
      ike = ${logLevel}
      cfg = ${logLevel}
      knl = ${logLevel}
      net = ${logLevel}
      flush_line = yes
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  plugins {
    vici {
      socket = unix://${viciPath}
    }
  }
}
swanctl {
  load = pem pkcs1 x509 pubkey random openssl
}
`;
}

/** The swanctl.conf: one IKEv1 aggressive PSK + XAUTH connection with a mode-config pool. */
export function swanctlConf(o: ResolvedOptions): string {
  const esp = o.pfsGroup ? `${o.espProposals}-${o.pfsGroup}` : o.espProposals;
  const dpd = (o.dpdDelaySeconds > 0 ? `\n    dpd_delay = ${o.dpdDelaySeconds}s` : '') + (o.dpdTimeoutSeconds ? `\n    dpd_timeout = ${o.dpdTimeoutSeconds}s` : '');
  const firstUser = o.users[0];
  if (!firstUser) throw new Error('the gateway needs at least one XAUTH user');
  const xauthSecrets = o.users
    .map((u, i) => `  xauth-${i} {\n    id = ${quote(u.name)}\n    secret = ${quote(u.password)}\n  }`)
    .join('\n');
  return `connections {
  cisco {
    version = 1
    aggressive = ${o.certAuth ? 'no' : 'yes'}
    proposals = ${o.ikeProposals}
    pools = testpool${o.pool6 ? ', testpool6' : ''}${dpd}
${o.certAuth ? certRounds(o.localId, firstUser.name) : o.hybrid ? hybridRounds(o.localId, firstUser.name) : pskXauthRounds(o.localId, o.group, firstUser.name)}
    children {
      inner {
        local_ts = ${o.localTs}
        esp_proposals = ${esp}${childLifetimes(o)}
      }
    }
  }
}
pools {
  testpool {
    addrs = ${o.pool.first}-${o.pool.last}
    dns = ${o.dns}
    28672 = ${quote(o.banner)}
    28674 = ${quote(o.defaultDomain)}
  }${o.pool6 ? pool6Section(o.pool6) : ''}
}
secrets {
  ike-group {
    id = ${quote(`keyid:${o.group}`)}
    secret = ${quote(o.groupSecret)}
  }
${xauthSecrets}
}
`;
}

/** The IPv6 pool: addresses, and the DNS server and networks it hands out (INTERNAL_IP6_DNS, INTERNAL_IP6_SUBNET). */
function pool6Section(p: NonNullable<GatewayOptions['pool6']>): string {
  return `
  testpool6 {
    addrs = ${p.first}-${p.last}${p.dns ? `\n    dns = ${p.dns}` : ''}${p.subnet ? `\n    subnet = ${p.subnet}` : ''}
  }`;
}

/** The authentication rounds of PSK + XAUTH: group PSK both ways, then XAUTH of the client. */
function pskXauthRounds(localId: string, group: string, xauthId: string): string {
  return `    local {
      auth = psk
      id = ${localId}
    }
    remote {
      auth = psk
      id = ${quote(`keyid:${group}`)}
    }
    remote-xauth {
      auth = xauth
      xauth_id = ${quote(xauthId)}
    }`;
}

/** Hybrid: the gateway signs with its certificate (sent unasked: vpnc sends no CR), the client does XAUTH only. */
function hybridRounds(localId: string, xauthId: string): string {
  return `    send_cert = always
    local {
      auth = pubkey
      certs = gateway.pem
      id = ${localId}
    }
    remote {
      auth = xauth
      xauth_id = ${quote(xauthId)}
    }`;
}

/** Certificates both ways in main mode, then XAUTH of the client (charon-cmd's ikev1-xauth, as a responder). */
function certRounds(localId: string, xauthId: string): string {
  return `    local {
      auth = pubkey
      certs = gateway.pem
      id = ${localId}
    }
    remote {
      auth = pubkey
    }
    remote-xauth {
      auth = xauth
      xauth_id = ${quote(xauthId)}
    }`;
}

/** Copies the hybrid gateway's certificate, key and CAs where swanctl --load-all looks, next to swanctl.conf. */
function writeHybridCredentials(dir: string, h: HybridCredentials): void {
  for (const sub of ['x509', 'private', 'x509ca']) mkdirSync(join(dir, sub), { mode: 0o700 });
  copyFileSync(h.certPath, join(dir, 'x509', 'gateway.pem'));
  copyFileSync(h.keyPath, join(dir, 'private', 'gateway.key'));
  (h.caPaths ?? []).forEach((p, i) => copyFileSync(p, join(dir, 'x509ca', `ca-${i}.pem`)));
}

function childLifetimes(o: ResolvedOptions): string {
  const line = (k: string, v: string) => `\n        ${k} = ${v}`;
  if (o.childRekeySeconds) return line('rekey_time', `${o.childRekeySeconds}s`) + line('life_time', `${o.childRekeySeconds * 3}s`) + line('rand_time', '0s');
  if (o.childLifeSeconds) return line('rekey_time', '0s') + line('life_time', `${o.childLifeSeconds}s`) + line('rand_time', '0s');
  return '';
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines - 1).join('\n');
}

/** swanctl looks for credential folders next to --file; their absence is noise, not an error. */
function dropFolderNoise(message: string): string {
  return message.replace(/opening directory '[^']*' failed: No such file or directory\n?/g, '');
}

function swanctl(confPath: string, viciUri: string, args: string[]): string {
  try {
    return run('env', [`STRONGSWAN_CONF=${confPath}`, SWANCTL, ...args, '--uri', viciUri]);
  } catch (err) {
    throw new Error(dropFolderNoise((err as Error).message));
  }
}

async function loadWhenReady(child: ChildProcess, confPath: string, swanctlPath: string, viciUri: string, viciPath: string): Promise<void> {
  await waitFor('charon vici socket', () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('charon exited during start-up');
    return existsSync(viciPath) ? true : undefined;
  }, 10_000);
  let lastError = '';
  await waitFor('swanctl --load-all', () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('charon exited during start-up');
    try {
      swanctl(confPath, viciUri, ['--load-all', '--file', swanctlPath]);
      return true;
    } catch (err) {
      lastError = (err as Error).message;
      if (!lastError.includes('connecting to')) throw err; // a configuration error: retrying will not help
      return undefined;
    }
  }, 10_000, 200).catch((err: Error) => {
    throw new Error(err.message === lastError ? err.message : `${err.message}: ${lastError}`);
  });
  const conns = swanctl(confPath, viciUri, ['--list-conns']);
  if (!conns.includes('cisco:')) throw new Error(`connection not loaded:\n${conns}`);
}

/**
 * Writes the private configuration, starts charon in the gateway namespace and loads the connection over the
 * private vici socket. Resolves once `swanctl --list-conns` shows it. On failure charon is stopped and the error
 * carries the tail of its log.
 */
export async function startStrongSwan(opts: GatewayOptions): Promise<StrongSwanGateway> {
  const o = resolveOptions(opts);
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-swan-'));
  const confPath = join(dir, 'strongswan.conf');
  const swanctlPath = join(dir, 'swanctl.conf');
  const viciPath = join(dir, 'charon.vici');
  const viciUri = `unix://${viciPath}`;
  const logPath = join(dir, 'charon.log');
  writeFileSync(confPath, strongswanConf(viciPath, logPath, o.logLevel, o.plugins));
  writeFileSync(swanctlPath, swanctlConf(o), { mode: 0o600 });
  if (o.hybrid) writeHybridCredentials(dir, o.hybrid);
  if (o.certAuth) writeHybridCredentials(dir, o.certAuth);
  const child = nsSpawnPrivateRun(o.netns, CHARON, [], { env: { ...process.env, STRONGSWAN_CONF: confPath } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  const readLog = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const stop = async (stopOpts: { keepDir?: boolean } = {}): Promise<ExitStatus> => {
    const status = await stopChild(child);
    if (!stopOpts.keepDir) rmSync(dir, { recursive: true, force: true });
    return status;
  };
  try {
    await loadWhenReady(child, confPath, swanctlPath, viciUri, viciPath);
    const missing = missingPlugins(readLog(), o.plugins);
    if (missing === undefined) throw new Error('charon logged no "loaded plugins" line');
    if (missing.length > 0) {
      const why = readLog().split('\n').filter((l) => /plugin|failed to load/.test(l) && missing.some((m) => l.includes(m)));
      throw new Error(`charon did not load the plugin(s) ${missing.join(', ')} (see test/prereq/prerequisites.json for their packages):\n${why.join('\n')}`);
    }
  } catch (err) {
    const message = `strongSwan gateway failed to start: ${(err as Error).message}\n--- charon stderr ---\n${tail(stderr, 20)}\n--- ${logPath} (tail) ---\n${tail(readLog(), 40)}`;
    await stop();
    throw new Error(message);
  }
  const gw: StrongSwanGateway = {
    pid: child.pid ?? -1,
    dir,
    logPath,
    viciUri,
    options: o,
    logTail: (lines = 40) => tail(readLog(), lines),
    log: readLog,
    listSas: () => swanctl(confPath, viciUri, ['--list-sas']),
    stop: async (stopOpts) => {
      running.delete(gw);
      return stop(stopOpts);
    },
  };
  running.add(gw);
  return gw;
}
