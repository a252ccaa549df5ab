/**
 * Cisco VPN client profiles (.pcf) and their conversion to a vpnc.conf, with the rules of Debian's
 * `pcf2vpnc` (vpnc 0.5.3): which lines count, which keys map to which vpnc setting, and the text written.
 *
 * Strings here are byte strings (one char per byte, 'latin1'): .pcf files come from Windows in whatever
 * code page, and the conversion must carry their bytes through unchanged, as the Perl script does.
 */
import { deobfuscateBytes } from './obfuscation.js';
import { certificateComments, PCF_CERT_KEYS, type PcfCertificate } from './pcf-certificate.js';

/** One `Key=Value` line of a .pcf file whose value is not empty. */
export interface PcfEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line number in the file. */
  readonly line: number;
}

/**
 * Reads the `Key=Value` lines of a .pcf file as Debian's pcf2vpnc does: leading `!` (locked field) and
 * trailing CR and spaces are removed, the key is everything before the first `=` (case-sensitive, not
 * trimmed), the value everything after it, and lines with an empty value are dropped. Section headers
 * (`[main]`) and other lines without `=` are ignored. Lines end at LF only.
 */
export function readPcfEntries(text: string): PcfEntry[] {
  const entries: PcfEntry[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const content = raw.replace(/^!*/, '').replace(/[\r ]*$/, '');
    const eq = content.indexOf('=');
    if (eq === -1) return;
    const value = content.slice(eq + 1);
    if (value === '') return;
    entries.push({ key: content.slice(0, eq), value, line: index + 1 });
  });
  return entries;
}

/** The vpnc.conf settings pcf2vpnc can write, in the order it writes them. */
export const VPNC_KEYS = [
  'IPSec gateway',
  'IPSec ID',
  'IPSec secret',
  'IKE Authmode',
  'IKE DH Group',
  'Xauth username',
  'Xauth password',
  'Domain',
  // Not in Debian's pcf2vpnc: the Cisco client's backup gateways, for our `Backup servers` (vpnc warns
  // "unknown configuration directive" and goes on).
  'Backup servers',
] as const;
/** A vpnc.conf setting name pcf2vpnc writes (the part before the value). */
export type VpncKey = (typeof VPNC_KEYS)[number];

/** A vpnc.conf setting and where its value came from. */
export interface VpncSetting {
  readonly key: VpncKey;
  readonly value: string;
  /** True when the value was de-obfuscated from an `enc_` key. */
  readonly decrypted: boolean;
}

/** The result of converting a .pcf file. */
export interface PcfConversion {
  /** The settings found, at most one per key (a later line overrides an earlier one). */
  readonly settings: ReadonlyMap<VpncKey, VpncSetting>;
  /** An `AuthType` of 3 (certificate) or 5 (hybrid) was seen: the user must copy certificates. */
  readonly needsCert: boolean;
  /** What the .pcf says about the client's certificate (written as comments for `IKE Authmode cert`). */
  readonly certificate: PcfCertificate;
  /** Lines that could not be converted, one message each (no trailing newline). */
  readonly warnings: readonly string[];
}

/** Decodes an `enc_` value to a byte string; throws with a message on failure. */
export type Deobfuscator = (hex: string) => string;

const deobfuscateToByteString: Deobfuscator = (hex) => deobfuscateBytes(hex).toString('latin1');

/** pcf AuthType numbers and vpnc `IKE Authmode` names. */
export const PCF_AUTH_TYPE: ReadonlyMap<string, string> = new Map([
  ['1', 'psk'],
  ['3', 'cert'],
  ['5', 'hybrid'],
]);

/** Plain .pcf keys that map one to one onto a vpnc setting. */
const PLAIN_KEYS: ReadonlyMap<string, VpncKey> = new Map([
  ['Host', 'IPSec gateway'],
  ['GroupName', 'IPSec ID'],
  ['GroupPwd', 'IPSec secret'],
  ['Username', 'Xauth username'],
  ['UserPassword', 'Xauth password'],
  ['NTDomain', 'Domain'],
]);

/** Obfuscated .pcf keys and the vpnc setting their plaintext goes to. */
const OBFUSCATED_KEYS: ReadonlyMap<string, VpncKey> = new Map([
  ['enc_GroupPwd', 'IPSec secret'],
  ['enc_UserPassword', 'Xauth password'],
]);

/** Perl's numeric reading of a string (leading number, else 0), used for the AuthType check. */
function perlNumber(value: string): number {
  const match = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(value);
  return match === null ? 0 : Number(match[0]);
}

/**
 * Converts the text of a .pcf file (as a byte string) to vpnc settings. Unknown keys are ignored. An `enc_`
 * value that cannot be de-obfuscated, a value written out that holds a line break (a CR inside a line, or in
 * an `enc_` plaintext: it would inject lines into the vpnc.conf), and an unknown AuthType are reported in
 * `warnings` and leave the setting as it was.
 */
export function convertPcf(text: string, deobfuscate: Deobfuscator = deobfuscateToByteString): PcfConversion {
  const settings = new Map<VpncKey, VpncSetting>();
  const warnings: string[] = [];
  let needsCert = false;
  const certificate: PcfCertificate = {};
  let enableBackup = false;
  let backupServer: string | undefined;
  const set = (key: VpncKey, value: string, decrypted: boolean): void => {
    settings.set(key, { key, value, decrypted });
  };
  for (const { key, value, line } of readPcfEntries(text)) {
    const plainKey = PLAIN_KEYS.get(key);
    const obfuscatedKey = OBFUSCATED_KEYS.get(key);
    const certKey = PCF_CERT_KEYS.get(key);
    if (value.includes('\r') && (plainKey !== undefined || certKey !== undefined || key === 'DHGroup' || key === 'BackupServer')) {
      // vpnc ends a line at CR too: written out, the rest would become a line of its own (a `Script`, say).
      warnings.push(`${key} on line ${line} ignored: its value contains a line break`);
    } else if (plainKey !== undefined) {
      set(plainKey, value, false);
    } else if (certKey !== undefined) {
      certificate[certKey] = value;
    } else if (obfuscatedKey !== undefined) {
      try {
        const plain = deobfuscate(value);
        if (/[\r\n]/.test(plain)) throw new Error('the password contains a line break');
        set(obfuscatedKey, plain, true);
      } catch (err) {
        warnings.push(`cannot decrypt ${key} on line ${line}: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else if (key === 'AuthType') {
      // Debian looks the untrimmed value up and writes an empty `IKE Authmode` for " 3"; trimming is harmless.
      const mode = PCF_AUTH_TYPE.get(value.trim());
      if (mode === undefined) {
        warnings.push(`unknown AuthType ${JSON.stringify(value)} on line ${line} ignored (1 = psk, 3 = cert, 5 = hybrid)`);
      } else {
        set('IKE Authmode', mode, false);
      }
      const number = perlNumber(value);
      if (number === 3 || number === 5) needsCert = true;
    } else if (key === 'DHGroup') {
      set('IKE DH Group', `dh${value}`, false);
    } else if (key === 'EnableBackup') {
      enableBackup = value.trim() === '1';
    } else if (key === 'BackupServer') {
      backupServer = value;
    }
  }
  // The Cisco client uses its BackupServer list (comma separated) only with EnableBackup=1.
  if (enableBackup && backupServer !== undefined) set('Backup servers', backupServer, false);
  return { settings, needsCert, certificate, warnings };
}

/** True when the conversion carries a group secret or a user password (the output file must be private). */
export function holdsSecrets(conversion: PcfConversion): boolean {
  return conversion.settings.has('IPSec secret') || conversion.settings.has('Xauth password');
}

/** The first line of every generated vpnc.conf. */
export const VPNC_CONF_HEADER = '## generated by pcf2vpnc\n';

/** Written when no Xauth setting was found, as Debian's pcf2vpnc does. */
export const XAUTH_HINT =
  '\n## To add your username and password,\n' +
  '## use the following lines:\n' +
  '# Xauth username <your username>\n' +
  '# Xauth password <your password>\n';

/**
 * Formats the vpnc.conf text: the header, one `Key value` line per setting in {@link VPNC_KEYS} order, then
 * the Xauth hint when neither Xauth setting is present, then (ours only) for `IKE Authmode cert` comments on the
 * certificate the .pcf names. A de-obfuscated value is followed by an empty line, because Debian's script keeps
 * the newline that ends cisco-decrypt's output (vpnc skips empty lines).
 */
export function formatVpncConf(conversion: PcfConversion): string {
  let text = VPNC_CONF_HEADER;
  for (const key of VPNC_KEYS) {
    const setting = conversion.settings.get(key);
    if (setting === undefined) continue;
    text += `${key} ${setting.value}\n${setting.decrypted ? '\n' : ''}`;
  }
  if (!conversion.settings.has('Xauth username') && !conversion.settings.has('Xauth password')) {
    text += XAUTH_HINT;
  }
  if (conversion.settings.get('IKE Authmode')?.value === 'cert') text += certificateComments(conversion.certificate);
  return text;
}
