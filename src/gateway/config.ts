/**
 * The gateway's configuration file, in the style of vpnc profiles: one `Key value` line each, keys matched
 * case-insensitively at the start of the line, `#` comments, blank lines ignored, one pair of surrounding
 * double quotes removed from values. Unlike a client profile, the file is strict: an unknown key, a bad
 * value or a missing mandatory key is a ConfigError naming the file and line.
 *
 *   Listen 198.51.100.1
 *   Group testgroup
 *   Group secret s3cret
 *   User alice wonderland
 *   Token user bob 123456 4321      (XAUTH asks a passcode, then a new PIN: RSA SecurID's next-PIN mode)
 *   Pool 192.0.2.10-192.0.2.50
 *   Split include 203.0.113.0/24
 *   Certificate gw.pem              (main mode with RSA signatures: our chain, its key, the clients' CAs;
 *   Private key gw.key               with these, Group and Group secret may be left out: no aggressive mode)
 *   Client CA ca.pem
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import {
  DEFAULT_DH_GROUPS,
  DEFAULT_ESP_PROPOSALS,
  DEFAULT_IKE_PROPOSALS,
  parseDhGroup,
  parseEspProposal,
  parseIkeProposal,
  type EspProposal,
  type IkeProposal,
} from './algorithms.js';
import type { X509Certificate, KeyObject } from 'node:crypto';
import { gatewayCertificate, readCertificates, readPrivateKey, type GatewayCertificate } from './certificate.js';
import { GATEWAY_DIALECTS, type GatewayDialect } from './dialect.js';
import type { ModeConfigSettings } from './exchanges/mode-config.js';
import { HOSTILE_STEPS, type HostileConfig } from './hostile/plan.js';
import { formatIpv4, parseIpv4, parseIpv4Cidr, parseNetmask } from '../wire/ipv4-text.js';

/** An XAUTH account. */
export interface GatewayUser {
  readonly name: string;
  /** The password, or for a token user the passcode. */
  readonly password: string;
  /** A token user (`Token user`): after the passcode the gateway asks for a new PIN, which must be this one. */
  readonly nextPin?: string;
}

/** Everything the gateway needs, checked. Addresses are dotted quads. */
export interface GatewayConfig extends ModeConfigSettings {
  /** The file it came from, for messages. */
  readonly file: string;
  /** Outside address: IKE and ESP are bound here; NAT-D hashes and raw ESP use it. */
  readonly listen: string;
  /** The group of aggressive mode with a pre-shared key; both undefined when only certificates are accepted. */
  readonly group: string | undefined;
  readonly groupSecret: string | undefined;
  /** Main mode with RSA signatures: our certificate and key, the clients' CAs; undefined = aggressive mode only. */
  readonly certificate: GatewayCertificate | undefined;
  /** XAUTH accounts; with none, plain pre-shared-key authentication is negotiated (no XAUTH). */
  readonly users: readonly GatewayUser[];
  /** First and last address handed out by mode config (inclusive, as numbers). */
  readonly pool: { readonly first: number; readonly last: number };
  /** Mode config's addresses as dotted quads (the rest of what it hands out: ModeConfigSettings). */
  readonly netmask: string | undefined;
  readonly dns: readonly string[];
  readonly nbns: readonly string[];
  readonly ikeProposals: readonly IkeProposal[];
  readonly dhGroups: readonly number[];
  readonly espProposals: readonly EspProposal[];
  /**
   * The ESP SA lifetime the gateway imposes (as Cisco concentrators do: a RESPONDER-LIFETIME notify in QM2
   * when the client proposed more or nothing), enforced by expiring the SA pair; 0 = none of its own.
   */
  readonly espLifetimeSeconds: number;
  readonly espLifetimeKilobytes: number;
  /** Seconds of silence after which a client is probed with R-U-THERE; 0 turns DPD off. */
  readonly dpdIdle: number;
  /**
   * A cluster member that sends every client to another one (Cisco load balancing): after phase 1 a notify 40501
   * with this address instead of XAUTH, then the session is dropped. Undefined: serve the client.
   */
  readonly redirect: string | undefined;
  /** The vendor whose behaviour on the wire the gateway reproduces (dialect.ts); cisco by default. */
  readonly dialect: GatewayDialect;
  /** TUN device name or pattern (`gw%d`). */
  readonly interfaceName: string;
  readonly interfaceMtu: number;
  /** Network namespace (name under /run/netns) for sockets, the TUN device and its routes. */
  readonly netns: string | undefined;
  readonly debug: number;
  /** A test tool's test tool: attack each client at one step (hostile/plan.ts); undefined = behave. */
  readonly hostile: HostileConfig | undefined;
}

type Draft = { -readonly [K in keyof GatewayConfig]?: GatewayConfig[K] } & { certChain?: X509Certificate[]; privateKey?: KeyObject; clientCas?: X509Certificate[] };
type Setter = (value: string, draft: Draft) => void;

interface KeySpec {
  readonly key: string;
  /** Repeatable keys add to a list; others may appear once. */
  readonly repeatable?: boolean;
  readonly set: Setter;
}

const int = (value: string, min: number, max: number): number => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new Error(`"${value}" is not a number from ${min} to ${max}`);
  return Number(value);
};

const words = (value: string): string[] => value.split(/[\s,]+/).filter(Boolean);

const yesNo = (value: string): boolean => {
  const v = value.toLowerCase();
  if (['yes', 'on', 'true', '1'].includes(v)) return true;
  if (['no', 'off', 'false', '0'].includes(v)) return false;
  throw new Error(`"${value}" is neither yes nor no`);
};

function oneOf<T extends string>(value: string, allowed: readonly T[]): T {
  const v = value.toLowerCase();
  const found = allowed.find((a) => a === v);
  if (found === undefined) throw new Error(`"${value}" is not one of ${allowed.join(', ')}`);
  return found;
}

function parsePool(value: string): { first: number; last: number } {
  const m = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(value);
  if (!m) throw new Error(`"${value}" is not FIRST-LAST (e.g. 192.0.2.10-192.0.2.50)`);
  const first = parseIpv4(m[1]!);
  const last = parseIpv4(m[2]!);
  if (first > last) throw new Error(`first address ${m[1]} comes after last address ${m[2]}`);
  if (last - first > 65535) throw new Error('a pool of more than 65536 addresses is not supported');
  return { first, last };
}

function parseHostile(value: string): HostileConfig {
  const m = /^(0x[0-9a-f]+|\d+)(?:\s+(\S+))?$/i.exec(value);
  const seed = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(seed) || seed > 0xffffffff) throw new Error(`"${value}" is not SEED [STEP] with a SEED from 0 to 4294967295`);
  const step = m[2] === undefined || m[2].toLowerCase() === 'any' ? undefined : oneOf(m[2], HOSTILE_STEPS);
  return { seed, step };
}

/** Longer keys first: matching is by prefix (`Group secret` before `Group`). */
const KEYS: readonly KeySpec[] = [
  { key: 'Listen', set: (v, d) => (d.listen = formatIpv4(parseIpv4(v))) },
  { key: 'Group secret', set: (v, d) => (d.groupSecret = v) },
  { key: 'Group', set: (v, d) => (d.group = v) },
  {
    key: 'User',
    repeatable: true,
    set: (v, d) => {
      const m = /^(\S+)\s+(.+)$/.exec(v);
      if (!m) throw new Error('needs a name and a password: User NAME PASSWORD');
      if ((d.users ?? []).some((u) => u.name === m[1])) throw new Error(`user "${m[1]}" is defined twice`);
      d.users = [...(d.users ?? []), { name: m[1]!, password: m[2]! }];
    },
  },
  {
    key: 'Token user',
    repeatable: true,
    set: (v, d) => {
      const m = /^(\S+)\s+(\S+)\s+(\S+)$/.exec(v);
      if (!m) throw new Error('needs a name, a passcode and the next PIN: Token user NAME PASSCODE NEXT-PIN');
      if ((d.users ?? []).some((u) => u.name === m[1])) throw new Error(`user "${m[1]}" is defined twice`);
      d.users = [...(d.users ?? []), { name: m[1]!, password: m[2]!, nextPin: m[3]! }];
    },
  },
  { key: 'Pool', set: (v, d) => (d.pool = parsePool(v)) },
  { key: 'Certificate', set: (v, d) => (d.certChain = readCertificates(v)) },
  { key: 'Private key', set: (v, d) => (d.privateKey = readPrivateKey(v)) },
  { key: 'Client CA', repeatable: true, set: (v, d) => (d.clientCas = [...(d.clientCas ?? []), ...readCertificates(v)]) },
  { key: 'Netmask', set: (v, d) => (d.netmask = formatIpv4(parseNetmask(v))) },
  { key: 'DNS', repeatable: true, set: (v, d) => (d.dns = [...(d.dns ?? []), ...words(v).map((a) => formatIpv4(parseIpv4(a)))]) },
  { key: 'NBNS', repeatable: true, set: (v, d) => (d.nbns = [...(d.nbns ?? []), ...words(v).map((a) => formatIpv4(parseIpv4(a)))]) },
  { key: 'Default domain', set: (v, d) => (d.defaultDomain = v) },
  { key: 'Banner', set: (v, d) => (d.banner = v) },
  { key: 'Split include', repeatable: true, set: (v, d) => (d.splitInclude = [...(d.splitInclude ?? []), ...words(v).map((n) => parseIpv4Cidr(n))]) },
  { key: 'Split DNS', repeatable: true, set: (v, d) => (d.splitDns = [...(d.splitDns ?? []), ...words(v)]) },
  { key: 'Backup servers', set: (v, d) => (d.backupServers = words(v)) },
  { key: 'PFS', set: (v, d) => (d.pfs = yesNo(v)) },
  { key: 'Save password', set: (v, d) => (d.savePassword = yesNo(v)) },
  { key: 'Cisco UDP port', set: (v, d) => (d.ciscoUdpPort = int(v, 0, 65535)) },
  { key: 'IKE proposals', set: (v, d) => (d.ikeProposals = words(v).map(parseIkeProposal)) },
  { key: 'IKE DH groups', set: (v, d) => (d.dhGroups = words(v).map(parseDhGroup)) },
  { key: 'ESP proposals', set: (v, d) => (d.espProposals = words(v).map(parseEspProposal)) },
  { key: 'DPD', set: (v, d) => (d.dpdIdle = int(v, 0, 86400)) },
  { key: 'Dialect', set: (v, d) => (d.dialect = oneOf(v, GATEWAY_DIALECTS)) },
  { key: 'Redirect', set: (v, d) => (d.redirect = formatIpv4(parseIpv4(v))) },
  { key: 'ESP lifetime kilobytes', set: (v, d) => (d.espLifetimeKilobytes = int(v, 0, 0xffffffff)) },
  { key: 'ESP lifetime', set: (v, d) => (d.espLifetimeSeconds = int(v, 0, 0xffffffff)) },
  {
    key: 'Interface name',
    set: (v, d) => {
      if (Buffer.byteLength(v) > 15 || /[\s/]/.test(v)) throw new Error(`"${v}" is not an interface name (at most 15 bytes, no blanks or slashes)`);
      d.interfaceName = v;
    },
  },
  { key: 'Interface MTU', set: (v, d) => (d.interfaceMtu = int(v, 576, 9000)) },
  { key: 'Netns', set: (v, d) => (d.netns = v) },
  { key: 'Debug', set: (v, d) => (d.debug = int(v, 0, 99)) },
  { key: 'Hostile seed', set: (v, d) => (d.hostile = parseHostile(v)) },
];

const MANDATORY: ReadonlyArray<[keyof Draft, string]> = [
  ['listen', 'Listen'],
  ['pool', 'Pool'],
];

/** Which ways in are configured: a group with its secret, a certificate with its key and client CAs, or both. */
function checkAuthentication(d: Draft, file: string): GatewayCertificate | undefined {
  if ((d.group === undefined) !== (d.groupSecret === undefined)) throw new ConfigError(`${file}: ${d.group === undefined ? 'Group' : 'Group secret'} is missing (Group and Group secret go together)`);
  const parts: Array<[unknown, string]> = [[d.certChain, 'Certificate'], [d.privateKey, 'Private key'], [d.clientCas, 'Client CA']];
  const given = parts.filter(([v]) => v !== undefined);
  if (given.length === 0) {
    if (d.group === undefined) throw new ConfigError(`${file}: Group and Group secret are missing (they are mandatory unless Certificate, Private key and Client CA are given)`);
    return undefined;
  }
  const missing = parts.filter(([v]) => v === undefined).map(([, k]) => k);
  if (missing.length > 0) throw new ConfigError(`${file}: ${missing.join(' and ')} missing (Certificate, Private key and Client CA go together)`);
  try {
    return gatewayCertificate(d.certChain!, d.privateKey!, d.clientCas!, `Client CA in ${file}`);
  } catch (err) {
    throw new ConfigError(`${file}: Private key: ${(err as Error).message}`);
  }
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function findKey(line: string): { spec: KeySpec; value: string } | undefined {
  const lower = line.toLowerCase();
  for (const spec of KEYS) {
    if (!lower.startsWith(spec.key.toLowerCase())) continue;
    const rest = line.slice(spec.key.length);
    if (rest !== '' && rest[0] !== ' ' && rest[0] !== '\t') continue;
    return { spec, value: unquote(rest.trim()) };
  }
  return undefined;
}

/** Parses config text; `file` names it in errors ("gateway.conf:7: Pool: ..."). */
export function parseGatewayConfig(text: string, file: string): GatewayConfig {
  const draft: Draft = {};
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const found = findKey(line);
    if (!found) throw new ConfigError(`${where}: unknown configuration key in "${line.split(/\s/)[0]}..."`);
    const { spec, value } = found;
    if (value === '') throw new ConfigError(`${where}: ${spec.key} needs a value`);
    if (!spec.repeatable && seen.has(spec.key)) throw new ConfigError(`${where}: ${spec.key} may appear only once`);
    seen.add(spec.key);
    try {
      spec.set(value, draft);
    } catch (err) {
      throw new ConfigError(`${where}: ${spec.key}: ${(err as Error).message}`);
    }
  });
  for (const [field, key] of MANDATORY) {
    if (draft[field] === undefined) throw new ConfigError(`${file}: ${key} is missing (it is mandatory)`);
  }
  return withDefaults(draft, file, checkAuthentication(draft, file));
}

function withDefaults(d: Draft, file: string, certificate: GatewayCertificate | undefined): GatewayConfig {
  return {
    file,
    listen: d.listen!,
    group: d.group,
    groupSecret: d.groupSecret,
    certificate,
    users: d.users ?? [],
    pool: d.pool!,
    netmask: d.netmask,
    dns: d.dns ?? [],
    nbns: d.nbns ?? [],
    defaultDomain: d.defaultDomain,
    banner: d.banner,
    splitInclude: d.splitInclude ?? [],
    splitDns: d.splitDns ?? [],
    backupServers: d.backupServers ?? [],
    pfs: d.pfs ?? false,
    savePassword: d.savePassword ?? false,
    ciscoUdpPort: d.ciscoUdpPort ?? 0,
    ikeProposals: d.ikeProposals ?? DEFAULT_IKE_PROPOSALS.map(parseIkeProposal),
    dhGroups: d.dhGroups ?? DEFAULT_DH_GROUPS,
    espProposals: d.espProposals ?? DEFAULT_ESP_PROPOSALS.map(parseEspProposal),
    dpdIdle: d.dpdIdle ?? 30,
    redirect: d.redirect,
    dialect: d.dialect ?? 'cisco',
    espLifetimeSeconds: d.espLifetimeSeconds ?? 0,
    espLifetimeKilobytes: d.espLifetimeKilobytes ?? 0,
    interfaceName: d.interfaceName ?? 'gw%d',
    interfaceMtu: d.interfaceMtu ?? 1412,
    netns: d.netns,
    debug: d.debug ?? 0,
    hostile: d.hostile,
  };
}

/** Reads and parses a config file; a file that cannot be read is a ConfigError too. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the gateway configuration (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseGatewayConfig(text, path);
}
