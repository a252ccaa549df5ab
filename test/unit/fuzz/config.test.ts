/**
 * The configuration readers under fuzzing: arbitrary profile text through the whole path (parseProfile,
 * loadProfiles from a file and from stdin via FdLineInput, applyObfuscated, validateSettings) yields a
 * configuration or a ConfigError naming the file and the line it came from, never anything else; arbitrary
 * .pcf text converts without throwing and its vpnc.conf reads back to the same settings; the obfuscation
 * round-trips and refuses malformed strings with a ConfigError.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { FdLineInput, readAllLines } from '../../../src/config/line-input.js';
import { loadProfiles } from '../../../src/config/load.js';
import { applyObfuscated } from '../../../src/config/obfuscated.js';
import { deobfuscateBytes, obfuscateBytes } from '../../../src/config/obfuscation.js';
import { OPTIONS } from '../../../src/config/options.js';
import { convertPcf, formatVpncConf, readPcfEntries } from '../../../src/config/pcf.js';
import { parseProfile, type Settings } from '../../../src/config/profile-file.js';
import { validateSettings } from '../../../src/config/validate.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import { bytes, mutated } from './mutate.js';
import { caseOf, outcome, same, seeded, target } from './runs.js';

const dir = mkdtempSync(join(tmpdir(), 'vpnc-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, 'fuzz.conf');

/** Hex digits of either case, as obfuscated passwords are written. */
const hexText = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFabcdef'), maxLength: max });
const KEYS = [...new Set(OPTIONS.map((o) => o.key))];
const GOOD_VALUES = ['198.51.100.1', 'gw.example.test', 'cisco', 'netscreen', 'natt', 'none', 'dh2', 'dh14', 'nopfs', 'server', 'tun', 'tap', '0', '10', '300', '65535',
  '192.0.2.0/24', '10.0.0.0/255.0.0.0', 'psk', 'hybrid', obfuscateBytes(Buffer.from('secret'), seeded('obf')), '"quoted value"', 'tun%d'];
const value = fc.oneof(fc.constantFrom(...GOOD_VALUES), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }), hexText(120));
const caseOfKey = (k: string, how: number) => (how === 1 ? k.toLowerCase() : how === 2 ? k.toUpperCase() : k);
/** One profile line: a known key (in some case) with a separator and a value, a comment, a blank, or junk. */
const line = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.nat({ max: 5 }), fc.constantFrom(' ', '\t', '  ', '', ' \t'), value, fc.constantFrom('', ' ', '\t')).map(([k, how, sep, v, tail]) => `${caseOfKey(k, how)}${sep}${v}${tail}`) },
  fc.constantFrom('', '#', '# a comment', '\x04', ' leading blank'),
  fc.string({ maxLength: 30 }),
);
const EOLS = ['\n', '\r\n', '\r'];
const profileText = fc.array(fc.tuple(line, fc.constantFrom(...EOLS)), { maxLength: 12 }).map((ls) => ls.map(([l, e]) => l + e).join(''));

/** Physical lines as parseProfile numbers them (LF only; a CR splits within the same number). */
const physical = (text: string) => text.split('\n');

const escaped = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Checks that a ConfigError or warning names `file` and a line of `text` that exists and, when the message
 * names a key, begins with that key (case-insensitively, in one of its CR-separated pieces).
 */
function checkWhere(text: string, message: string, file: string): void {
  const m = new RegExp(`${escaped(file)}:(\\d+): (.*)$`, 's').exec(message) ?? new RegExp(` in ${escaped(file)} at line (\\d+)$`).exec(message);
  expect(m, message).not.toBeNull();
  const lineNo = Number(m![1]);
  const lines = physical(text);
  expect(lineNo >= 1 && lineNo <= lines.length, message).toBe(true);
  // "option 'KEY' requires a value", or "KEY: invalid value ..." / "KEY: <warning>".
  const rest = m![2];
  const key = rest === undefined ? undefined : (/^option '(.+?)' requires a value$/.exec(rest)?.[1] ?? (rest.includes(': ') ? rest.slice(0, rest.indexOf(': ')) : undefined));
  expect(key === undefined || KEYS.includes(key), message).toBe(true);
  if (key) expect(lines[lineNo - 1]!.split('\r').some((piece) => piece.toLowerCase().startsWith(key.toLowerCase())), `${message} / line ${JSON.stringify(lines[lineNo - 1])}`).toBe(true);
}

function pipeline(text: string, file: string): { settings: Settings; warnings: string[]; error?: ConfigError } {
  const settings: Settings = new Map();
  const warnings = parseProfile(text, file, settings);
  try {
    applyObfuscated(settings, (w) => warnings.push(w));
    validateSettings(settings, (w) => warnings.push(w));
    return { settings, warnings };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { settings, warnings, error: err };
  }
}

const valuesOf = (s: Settings) => new Map([...s].map(([k, v]) => [k, v.value]));

describe('fuzz: vpnc profiles', () => {
  target('a profile yields a configuration or a ConfigError with file and line', [profileText], (text) => {
    const r = pipeline(text, FILE);
    for (const w of r.warnings) if (w.includes(FILE)) checkWhere(text, w, FILE);
    if (r.error) {
      checkWhere(text, r.error.message, FILE);
      return `ConfigError: ${r.error.message.replace(/^.*?:\d+: /, '').split(':')[0]}`;
    }
    return 'configured';
  });

  target('loadProfiles reads a profile file and stdin (FdLineInput) as parseProfile reads the text', [profileText], (text) => {
    writeFileSync(FILE, text, { mode: 0o600 });
    const direct: Settings = new Map();
    const warnings = parseProfile(text, FILE, direct);
    const loaded = outcome(() => loadProfiles(new Map(), [FILE], { env: { VPNC_SYSCONFDIR: dir } }));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    same(loaded.value.settings, direct);
    same(loaded.value.warnings, warnings);
    // NetworkManager's way: the profile on stdin, read byte by byte up to EOF or a Ctrl-D line.
    const fd = openSync(FILE, 'r');
    try {
      const viaStdin: Settings = new Map();
      parseProfile(readAllLines(new FdLineInput(fd)), 'stdin', viaStdin);
      same(valuesOf(viaStdin), valuesOf(direct));
    } finally {
      closeSync(fd);
    }
  });
});

describe('fuzz: the test gateway\'s configuration', () => {
  const GATEWAY_KEYS = ['Listen', 'Group', 'Group secret', 'User', 'Token user', 'Pool', 'Netmask', 'DNS', 'NBNS', 'Default domain', 'Banner', 'Split include', 'Split DNS',
    'Backup servers', 'PFS', 'Save password', 'Cisco UDP port', 'IKE proposals', 'IKE DH groups', 'ESP proposals', 'DPD', 'Dialect', 'Redirect', 'ESP lifetime', 'Interface name', 'Interface MTU'];
  const gwValue = fc.oneof(value, fc.constantFrom('198.51.100.1', '192.0.2.10-192.0.2.20', 'u p', 'yes', 'no', 'aes256-sha1', 'dh2 dh14', 'aes128-sha1 aes256-sha2_256', 'netscreen', '203.0.113.0/24'));
  const gwLine = fc.oneof({ weight: 5, arbitrary: fc.tuple(fc.constantFrom(...GATEWAY_KEYS), fc.constantFrom(' ', '\t'), gwValue).map((p) => p.join('')) }, fc.string({ maxLength: 20 }));
  const gwText = fc.array(gwLine, { maxLength: 10 }).map((ls) => ls.join('\n'));
  target('parseGatewayConfig yields a configuration or a ConfigError naming the file', [gwText], (text) => {
    const got = outcome(() => parseGatewayConfig(text, 'gw.conf'));
    if (got.ok) return 'configured';
    expect(got.error).toBeInstanceOf(ConfigError);
    const n = /^gw\.conf:(\d+): /.exec(got.error.message);
    expect(n !== null || got.error.message.startsWith('gw.conf: '), got.error.message).toBe(true);
    if (n) expect(Number(n[1])).toBeLessThanOrEqual(text.split('\n').length);
    return `ConfigError: ${got.error.message.replace(/^gw\.conf(:\d+)?: /, '').split(/[:"]/)[0]!.replace(/\d+/g, '#').slice(0, 30)}`;
  });
});

describe('fuzz: Cisco .pcf profiles and the obfuscation', () => {
  const PCF_KEYS = ['Host', 'GroupName', 'GroupPwd', 'Username', 'UserPassword', 'NTDomain', 'enc_GroupPwd', 'enc_UserPassword', 'AuthType', 'DHGroup', 'EnableBackup', 'BackupServer', 'Description', '[main]'];
  const pcfValue = fc.oneof(value, fc.constantFrom('1', '3', '5', ' 3', 'x', obfuscateBytes(Buffer.from('pw'), seeded('pcf'))), fc.string({ unit: 'binary', maxLength: 16 }));
  const pcfLine = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom('', '!'), fc.constantFrom(...PCF_KEYS), fc.constantFrom('=', '= ', ''), pcfValue, fc.constantFrom('', '\r', ' \r', '  ')).map((p) => p.join('')) },
    fc.string({ maxLength: 20 }),
  );
  const pcfText = fc.array(pcfLine, { maxLength: 10 }).map((ls) => ls.join('\n'));

  target('convertPcf never throws, and its vpnc.conf reads back to the settings it converted', [pcfText], (text) => {
    const conv = convertPcf(text);
    for (const w of conv.warnings) expect(w).toMatch(/line \d+/);
    for (const e of readPcfEntries(text)) expect(e.line).toBeLessThanOrEqual(physical(text).length);
    const out = formatVpncConf(conv);
    const settings: Settings = new Map();
    const warnings = parseProfile(out, 'converted.conf', settings);
    // The only complaint vpnc may have: a value of blanks only ("requires a value"); never a line it does not know.
    for (const w of warnings) expect(w).toMatch(/^warning: converted\.conf:\d+: option '.+' requires a value$/);
    for (const [key, s] of conv.settings) {
      const spec = OPTIONS.find((o) => o.key === key);
      if (!spec) continue; // "Backup servers" before the option existed
      // What vpnc's reader does to a value: blanks trimmed, one pair of quotes removed.
      const trimmed = s.value.replace(/^[ \t]+|[ \t]+$/g, '');
      const read = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
      expect(settings.get(spec.id)?.value, `${key} ${JSON.stringify(s.value)}`).toBe(read === '' ? undefined : read);
    }
    return conv.settings.size ? `${conv.settings.size} settings` : 'nothing';
  });

  const obfuscated = fc.oneof(
    hexText(140),
    fc.string({ maxLength: 60 }),
    bytes(40).map((b) => obfuscateBytes(b, seeded(b.toString('hex')))).chain((hex) => fc.oneof(fc.constant(hex), mutated(Buffer.from(hex, 'latin1'), 0, 2).map((b) => b.toString('latin1')))),
  );
  target('deobfuscateBytes refuses with a ConfigError or returns bytes', [obfuscated], (hex) => {
    const got = outcome(() => deobfuscateBytes(hex));
    if (!got.ok) expect(got.error).toBeInstanceOf(ConfigError);
    return got.ok ? 'decoded' : caseOf(got.error);
  });

  target('deobfuscateBytes(obfuscateBytes(x)) = x up to its first NUL', [bytes(80), bytes(20, 20)], (plain, salt) => {
    const nul = plain.indexOf(0);
    same(deobfuscateBytes(obfuscateBytes(plain, () => salt)), nul < 0 ? plain : plain.subarray(0, nul));
  });
});
