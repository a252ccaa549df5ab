/**
 * Every vpnc 0.5.3 option and config-file key, in vpnc's own order (the order of `--long-help` and of
 * `--print-config`), with the same names, argument forms, defaults and help texts.
 *
 * Order matters twice: the config-file parser matches keys as case-insensitive line prefixes and takes the
 * first entry that matches (so a key that is a prefix of another must come after it), and `--print-config`
 * prints settings in this order.
 */

/** Identifies a setting; several table rows may share one (`--enable-1des` is an alias). */
export const SettingId = {
  gateway: 'gateway',
  id: 'id',
  secret: 'secret',
  secretObfuscated: 'secretObfuscated',
  username: 'username',
  password: 'password',
  passwordObfuscated: 'passwordObfuscated',
  domain: 'domain',
  xauthInteractive: 'xauthInteractive',
  vendor: 'vendor',
  nattMode: 'nattMode',
  script: 'script',
  dhGroup: 'dhGroup',
  pfs: 'pfs',
  weakEncryption: 'weakEncryption',
  noEncryption: 'noEncryption',
  weakAuthentication: 'weakAuthentication',
  applicationVersion: 'applicationVersion',
  ifName: 'ifName',
  ifMode: 'ifMode',
  ifMtu: 'ifMtu',
  debug: 'debug',
  noDetach: 'noDetach',
  pidFile: 'pidFile',
  localAddr: 'localAddr',
  localPort: 'localPort',
  udpPort: 'udpPort',
  dpdIdle: 'dpdIdle',
  nonInteractive: 'nonInteractive',
  authMode: 'authMode',
  caFile: 'caFile',
  caDir: 'caDir',
  targetNetwork: 'targetNetwork',
  passwordHelper: 'passwordHelper',
  // Extensions beyond vpnc 0.5.3 (listed after vpnc's own keys).
  trace: 'trace',
  traceKeys: 'traceKeys',
  reconnectTimeout: 'reconnectTimeout',
  ikeLifetime: 'ikeLifetime',
  noNattFallback: 'noNattFallback',
  backupServers: 'backupServers',
  noIpv6: 'noIpv6',
  ikeTimeout: 'ikeTimeout',
  certFile: 'certFile',
  keyFile: 'keyFile',
  certPassword: 'certPassword',
} as const;
export type SettingId = (typeof SettingId)[keyof typeof SettingId];

export interface OptionSpec {
  readonly id: SettingId;
  /** Command-line form, or null for config-file-only keys. */
  readonly option: string | null;
  /** Config-file key (matched case-insensitively at column 0). */
  readonly key: string;
  /** Argument placeholder as vpnc prints it, or null for a flag. */
  readonly arg: string | null;
  readonly help: string;
  /** Shown by `--help` as well as `--long-help`. */
  readonly short: boolean;
  /** Holds a secret: never logged below debug 99; a profile holding it should not be world-readable. */
  readonly secret: boolean;
  /** Not a vpnc 0.5.3 option: our extension. */
  readonly extension?: boolean;
}

const NATT_HELP = [
  'Which NAT-Traversal Method to use:',
  ' * natt -- NAT-T as defined in RFC3947',
  ' * none -- disable use of any NAT-T method',
  ' * force-natt -- always use NAT-T encapsulation even',
  '                 without presence of a NAT device',
  '                 (useful if the OS captures all ESP traffic)',
  ' * cisco-udp -- Cisco proprietary UDP encapsulation, commonly over Port 10000',
  'Note: cisco-tcp encapsulation is not yet supported',
].join('\n');

const SCRIPT_HELP = [
  'command is executed using system() to configure the interface,',
  'routing and so on. Device name, IP, etc. are passed using environment',
  'variables, see README. This script is executed right after ISAKMP is',
  'done, but before tunneling is enabled. It is called when vpnc',
  'terminates, too',
].join('\n');

const DEBUG_HELP = [
  'Show verbose debug messages',
  ' *  0: Do not print debug information.',
  ' *  1: Print minimal debug information.',
  ' *  2: Show statemachine and packet/payload type information.',
  ' *  3: Dump everything excluding authentication data.',
  ' * 99: Dump everything INCLUDING AUTHENTICATION data (e.g. PASSWORDS).',
].join('\n');

const UDP_PORT_HELP = [
  'Local UDP port number to use (0 == use random port).',
  'This is only relevant if cisco-udp nat-traversal is used.',
  'This is the _local_ port, the remote udp port is discovered automatically.',
  'It is especially not the cisco-tcp port.',
].join('\n');

const AUTH_HELP = [
  'Authentication mode:',
  ' * psk:    pre-shared key (default)',
  ' * cert:   server + client certificate (main mode with RSA signatures; --cert, --key)',
  ' * hybrid: server certificate + xauth (if built with openssl support)',
].join('\n');

/** DH groups accepted for IKE (vpnc's, plus the ECP groups 19-21). */
export const IKE_DH_NAMES = ['dh1', 'dh2', 'dh5', 'dh14', 'dh15', 'dh16', 'dh17', 'dh18', 'dh19', 'dh20', 'dh21'] as const;
/** Values accepted for Perfect Forward Secrecy. */
export const PFS_NAMES = ['nopfs', ...IKE_DH_NAMES, 'server'] as const;

function row(
  id: SettingId,
  option: string | null,
  key: string,
  arg: string | null,
  help: string,
  extra: { short?: boolean; secret?: boolean; extension?: boolean } = {},
): OptionSpec {
  return { id, option, key, arg, help, short: extra.short ?? false, secret: extra.secret ?? false, extension: extra.extension ?? false };
}

export const OPTIONS: readonly OptionSpec[] = [
  row('gateway', '--gateway', 'IPSec gateway', '<ip/hostname>', 'IP/name of your IPSec gateway', { short: true }),
  row('id', '--id', 'IPSec ID', '<ASCII string>', 'your group name', { short: true }),
  row('secret', '--secret', 'IPSec secret', '<ASCII string>', 'your group password (cleartext)', { short: true, secret: true }),
  row('secretObfuscated', null, 'IPSec obfuscated secret', '<hex string>', 'your group password (obfuscated)', { short: true, secret: true }),
  row('username', '--username', 'Xauth username', '<ASCII string>', 'your username', { short: true }),
  row('password', '--password', 'Xauth password', '<ASCII string>', 'your password (cleartext)', { short: true, secret: true }),
  row('passwordObfuscated', null, 'Xauth obfuscated password', '<hex string>', 'your password (obfuscated)', { short: true, secret: true }),
  row('domain', '--domain', 'Domain', '<ASCII string>', '(NT-) Domain name for authentication'),
  row('xauthInteractive', '--xauth-inter', 'Xauth interactive', null, 'enable interactive extended authentication (for challenge response auth)'),
  row('vendor', '--vendor', 'Vendor', '<cisco/netscreen/fortigate>', 'vendor of your IPSec gateway'),
  row('nattMode', '--natt-mode', 'NAT Traversal Mode', '<natt/none/force-natt/cisco-udp>', NATT_HELP),
  row('script', '--script', 'Script', '<command>', SCRIPT_HELP),
  row('dhGroup', '--dh', 'IKE DH Group', '<dh1/dh2/dh5/dh14/dh15/dh16/dh17/dh18>', 'name of the IKE DH Group'),
  row('pfs', '--pfs', 'Perfect Forward Secrecy', '<nopfs/dh1/dh2/dh5/dh14/dh15/dh16/dh17/dh18/server>', 'Diffie-Hellman group to use for PFS'),
  row('weakEncryption', '--enable-1des', 'Enable Single DES', null, 'Deprecated: Please use --enable-weak-encryption instead.'),
  row('weakEncryption', '--enable-weak-encryption', 'Enable weak encryption', null, 'enables weak encryption methods (such as DES, 3DES)'),
  row('noEncryption', '--enable-no-encryption', 'Enable no encryption', null, 'enables using no encryption for data traffic (key exchanged must be encrypted)'),
  row('weakAuthentication', '--enable-weak-authentication', 'Enable weak authentication', null, 'enables weak authentication methods (such as MD5)'),
  row('applicationVersion', '--application-version', 'Application version', '<ASCII string>', 'Application Version to report. Note: Default string is generated at runtime.'),
  row('ifName', '--ifname', 'Interface name', '<ASCII string>', 'visible name of the TUN/TAP interface'),
  row('ifMode', '--ifmode', 'Interface mode', '<tun/tap>', 'mode of TUN/TAP interface:\n * tun: virtual point to point interface (default)\n * tap: virtual ethernet interface'),
  row('ifMtu', '--ifmtu', 'Interface MTU', '<0-65535>', 'Set MTU for TUN/TAP interface (default 0 == automatic detect)'),
  row('debug', '--debug', 'Debug', '<0/1/2/3/99>', DEBUG_HELP),
  row('noDetach', '--no-detach', 'No Detach', null, "Don't detach from the console after login"),
  row('pidFile', '--pid-file', 'Pidfile', '<filename>', 'store the pid of background process in <filename>'),
  row('localAddr', '--local-addr', 'Local Addr', '<ip/hostname>', 'local IP to use for ISAKMP / ESP / ... (0.0.0.0 == automatically assign)'),
  row('localPort', '--local-port', 'Local Port', '<0-65535>', 'local ISAKMP port number to use (0 == use random port)'),
  row('udpPort', '--udp-port', 'Cisco UDP Encapsulation Port', '<0-65535>', UDP_PORT_HELP),
  row('dpdIdle', '--dpd-idle', 'DPD idle timeout (our side)', '<0,10-86400>', 'Send DPD packet after not receiving anything for <idle> seconds.\nUse 0 to disable DPD completely (both ways).'),
  row('nonInteractive', '--non-inter', 'Noninteractive', null, "Don't ask anything, exit on missing options"),
  row('authMode', '--auth-mode', 'IKE Authmode', '<psk/cert/hybrid>', AUTH_HELP),
  row('caFile', '--ca-file', 'CA-File', '<filename>', 'filename and path to the CA-PEM-File'),
  row('caDir', '--ca-dir', 'CA-Dir', '<directory>', 'path of the trusted CA-Directory'),
  row('targetNetwork', '--target-network', 'IPSEC target network', '<target network/netmask>', 'Target network in dotted decimal or CIDR notation'),
  row('passwordHelper', '--password-helper', 'Password helper', '<executable>', 'path to password program or helper name'),
  // Extensions: placed last so that vpnc's keys keep their precedence in prefix matching.
  row('traceKeys', '--trace-keys', 'Trace keys file', '<filename>', 'write the IKE and ESP keys of this session in Wireshark\'s formats to <filename>', { extension: true, secret: true }),
  row('reconnectTimeout', '--reconnect-timeout', 'Reconnect timeout', '<0-86400>', 'after the gateway is found dead (DPD), keep the tunnel device and routes and try to reconnect\nfor this many seconds (0 = exit at once, as vpnc does; 300 is OpenConnect\'s default)', { extension: true }),
  row('ikeLifetime', '--ike-lifetime', 'IKE lifetime', '<10-2147483>', 'the ISAKMP SA lifetime to propose, in seconds (vpnc proposes 2147483); phase 1 is\nre-authenticated at 85 % of the lifetime the gateway accepts or states', { extension: true }),
  row('noNattFallback', '--no-natt-fallback', 'No NAT-T fallback', null, 'when no ESP comes back although IKE answers (something drops IP protocol 50), do not\nswitch to UDP encapsulation by itself (natt mode): say so and exit', { extension: true }),
  row('backupServers', '--backup-servers', 'Backup servers', '<host list>', 'other gateways of the site (comma or space separated), tried in turn when the gateway does not\nanswer at the start or stops answering; a Cisco .pcf\'s BackupServer. The list the gateway sends\n(UNITY_BACKUP_SERVERS) replaces it', { extension: true }),
  row('noIpv6', '--no-ipv6', 'No IPv6', null, 'do not ask the gateway for IPv6 (an IPv6 address, DNS servers and networks, and the second\nquick mode that carries IPv6); vpnc never asks', { extension: true }),
  row('ikeTimeout', '--ike-timeout', 'IKE timeout', '<2-3600>', 'seconds to keep resending an IKE request the gateway does not answer (pauses from 1 s, doubling to\n4 s, ±20 %), then "no response from target"; vpnc gives up after 15 s', { extension: true }),
  // "IPSec certificate password" before "IPSec certificate": keys match as prefixes, the first entry wins.
  row('certPassword', '--cert-password', 'IPSec certificate password', '<ASCII string>', 'the password of an encrypted private key or PKCS#12 file (asked for when needed and not given)', { extension: true, secret: true }),
  row('certFile', '--cert', 'IPSec certificate', '<filename>', 'our certificate for --auth-mode cert: a PEM file (with the chain, and the key unless --key\ngives it) or a PKCS#12 file', { extension: true }),
  row('keyFile', '--key', 'IPSec private key', '<filename>', 'the private key of --cert (PEM, PKCS#1 or PKCS#8, encrypted or not)', { extension: true }),
  row('trace', '--trace', 'Trace file', '<filename>', 'write a pcapng trace of the outer (IKE, ESP) and inner (cleartext) packets to <filename>', { extension: true }),
];

/** Options that take no argument. */
export function isFlag(spec: OptionSpec): boolean {
  return spec.arg === null;
}

/** The first table row for a setting (used for messages: `--dh`, `IKE DH Group`). */
export function specOf(id: SettingId): OptionSpec {
  const spec = OPTIONS.find((o) => o.id === id);
  if (!spec) throw new Error(`no option row for ${id}`);
  return spec;
}
