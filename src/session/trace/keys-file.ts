/**
 * The session's keys in Wireshark's decryption tables, so that tshark decrypts the trace:
 * - `ikev1_decryption_table`: `<initiator cookie, 16 hex>,<encryption key, hex>` (unquoted);
 * - `esp_sa`: `"IPv4","<src>","<dst>","0x<spi>","<cipher>","0x<key>","<integrity>","0x<key>"`, with the
 *   algorithm names of Wireshark's ESP preferences (tshark 4.0).
 * The file holds secrets: written with mode 0600, and only when the user asked for it (--trace-keys).
 * A path naming an existing directory gets Wireshark configuration files (use it as WIRESHARK_CONFIG_DIR);
 * any other path gets one text file whose non-comment lines are each one `tshark -o` argument.
 */
import { statSync } from 'node:fs';
import { writePrivate } from './private-file.js';
import { join } from 'node:path';
import type { EspSuite } from '../../esp/transforms.js';
import { cookieHex, formatSpi, type IkeCookie, type Spi } from '../../wire/sa-ids.js';

/** What an esp_sa line needs of one SA direction. */
export interface EspSaKeys {
  readonly spi: Spi;
  readonly suite: Pick<EspSuite, 'cipher' | 'hash' | 'icvLength' | 'name'>;
  readonly keys: { readonly encryption: Buffer; readonly salt: Buffer; readonly integrity: Buffer };
}

/** The preference that turns ESP decryption on. */
export const ESP_DECRYPT_PREFERENCE = 'esp.enable_encryption_decode';

/** Wireshark's name for the ESP cipher of `suite`; throws for one Wireshark cannot decrypt. */
export function wiresharkEncryptionName(suite: EspSaKeys['suite']): string {
  switch (suite.cipher) {
    case 'null':
      return 'NULL';
    case 'des-ede3-cbc':
      return 'TripleDES-CBC [RFC2451]';
    case 'aes-cbc':
      return 'AES-CBC [RFC3602]';
    case 'aes-gcm':
      if (suite.icvLength === 8 || suite.icvLength === 12 || suite.icvLength === 16) return `AES-GCM with ${suite.icvLength} octet ICV [RFC4106]`;
      break;
  }
  throw new RangeError(`no Wireshark ESP cipher for ${suite.name}`);
}

/** Wireshark's name for the ESP integrity algorithm of `suite` ("NULL" for none or a combined mode). */
export function wiresharkIntegrityName(suite: EspSaKeys['suite']): string {
  switch (suite.hash) {
    case null:
      return 'NULL';
    case 'md5':
      return 'HMAC-MD5-96 [RFC2403]';
    case 'sha1':
      return 'HMAC-SHA-1-96 [RFC2404]';
    case 'sha256':
      return 'HMAC-SHA-256-128 [RFC4868]';
  }
  throw new RangeError(`no Wireshark ESP integrity algorithm for ${suite.name}`);
}

const hex0x = (b: Buffer): string => (b.length ? `0x${b.toString('hex')}` : '');

/** One `esp_sa` line for the SA carrying packets from `src` to `dst` (AES-GCM's key is key | salt). */
export function espSaLine(sa: EspSaKeys, src: string, dst: string): string {
  const key = sa.suite.cipher === 'aes-gcm' ? Buffer.concat([sa.keys.encryption, sa.keys.salt]) : sa.keys.encryption;
  const fields = ['IPv4', src, dst, formatSpi(sa.spi), wiresharkEncryptionName(sa.suite), hex0x(key), wiresharkIntegrityName(sa.suite), hex0x(sa.keys.integrity)];
  return fields.map((f) => `"${f}"`).join(',');
}

/** One `ikev1_decryption_table` line. Throws RangeError unless the cookie has 8 bytes. */
export function ikev1DecryptionLine(cookieI: IkeCookie, encKey: Buffer): string {
  if (cookieI.length !== 8) throw new RangeError(`initiator cookie must have 8 bytes, got ${cookieI.length}`);
  return `${cookieHex(cookieI)},${encKey.toString('hex')}`;
}

/** The tables so far. */
export interface KeyTables {
  readonly ikev1: readonly string[];
  readonly esp: readonly string[];
}

/** The single-file form: a comment, then one `tshark -o` argument a line. */
export function formatOptionLines(t: KeyTables): string {
  const lines = [
    '# IKEv1 and ESP keys of a vpnc session for Wireshark. SECRET: anyone with this file decrypts the trace.',
    "# Each line below is one tshark -o argument, e.g.: grep -v '^#' KEYS | sed 's/^/-o\\n/' | xargs -d '\\n' tshark -r TRACE",
    `${ESP_DECRYPT_PREFERENCE}:TRUE`,
    ...t.ikev1.map((l) => `uat:ikev1_decryption_table:${l}`),
    ...t.esp.map((l) => `uat:esp_sa:${l}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The configuration-directory form: file name -> contents. */
export function formatConfigFiles(t: KeyTables): Record<string, string> {
  const table = (rows: readonly string[]) => (rows.length ? `${rows.join('\n')}\n` : '');
  return {
    preferences: `# written by vpnc --trace-keys\n${ESP_DECRYPT_PREFERENCE}: TRUE\n`,
    ikev1_decryption_table: table(t.ikev1),
    esp_sa: table(t.esp),
  };
}

/** Keeps the tables of a session and rewrites the file (or directory) whenever a key is added. */
export class KeysFile {
  private readonly ikev1: string[] = [];
  private readonly esp: string[] = [];
  private readonly directory: boolean;

  constructor(readonly path: string) {
    let dir = false;
    try {
      dir = statSync(path).isDirectory();
    } catch {
      /* a new file */
    }
    this.directory = dir;
    this.write();
  }

  addIkeSa(cookieI: IkeCookie, encKey: Buffer): void {
    this.ikev1.push(ikev1DecryptionLine(cookieI, encKey));
    this.write();
  }

  /** Adds SAs; each is `[sa, src, dst]`. */
  addEspSas(entries: readonly (readonly [EspSaKeys, string, string])[]): void {
    for (const [sa, src, dst] of entries) this.esp.push(espSaLine(sa, src, dst));
    this.write();
  }

  private write(): void {
    const tables = { ikev1: this.ikev1, esp: this.esp };
    if (!this.directory) return writePrivate(this.path, formatOptionLines(tables));
    for (const [name, text] of Object.entries(formatConfigFiles(tables))) writePrivate(join(this.path, name), text);
  }
}
