import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/config/args.js';
import { formatConfig } from '../../../src/config/print.js';
import { parseProfile, splitProfileLines, unquote, type Settings } from '../../../src/config/profile-file.js';
import { UsageError } from '../../../src/errors.js';

function parse(text: string, settings: Settings = new Map()) {
  const warnings = parseProfile(text, 'p.conf', settings);
  return { settings, warnings, values: Object.fromEntries([...settings].map(([k, v]) => [k, v.value])) };
}

describe('profile parser', () => {
  it('reads keys case-insensitively at column 0 and trims values', () => {
    const { values, warnings } = parse('ipsec gateway   198.51.100.1 \t\nIPSEC ID\tg\n');
    expect(values).toEqual({ gateway: '198.51.100.1', id: 'g' });
    expect(warnings).toEqual([]);
  });

  it('keeps the first value and records file and line', () => {
    const { settings } = parse('IPSec ID a\n\nIPSec ID b\n');
    expect(settings.get('id')).toEqual({ value: 'a', origin: { kind: 'file', file: 'p.conf', line: 1 } });
  });

  it('does not override values already set (command line wins)', () => {
    const pre: Settings = new Map([['id', { value: 'cli', origin: { kind: 'option', option: '--id' } }]]);
    expect(parse('IPSec ID file\n', pre).values).toEqual({ id: 'cli' });
  });

  it('warns about unknown directives with file and line, and about leading blanks', () => {
    const { warnings, values } = parse('Foo bar\n IPSec ID x\n# ok\n\nDebugging 3\n');
    expect(values).toEqual({});
    expect(warnings).toEqual([
      'warning: unknown configuration directive in p.conf at line 1',
      'warning: unknown configuration directive in p.conf at line 2',
      'warning: unknown configuration directive in p.conf at line 5',
    ]);
  });

  it('warns when a key has no value and leaves it unset', () => {
    const { warnings, values } = parse('IPSec secret\nIPSec ID   \n');
    expect(values).toEqual({});
    expect(warnings).toEqual([
      "warning: p.conf:1: option 'IPSec secret' requires a value",
      "warning: p.conf:2: option 'IPSec ID' requires a value",
    ]);
  });

  it('treats flags as present, by prefix', () => {
    expect(parse('No Detachment\nEnable weak encryption yes\n').values).toEqual({ noDetach: 'No Detach', weakEncryption: 'Enable weak encryption' });
  });

  it('distinguishes keys that share a prefix', () => {
    expect(parse('Xauth obfuscated password 00\nXauth password p\nXauth interactive\n').values).toEqual({
      passwordObfuscated: '00',
      password: 'p',
      xauthInteractive: 'Xauth interactive',
    });
  });

  it('splits lines on LF, CRLF and CR, and stops at a Ctrl-D line', () => {
    expect(splitProfileLines('a\r\nb\rc\n\x04x\nd\n')).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 2],
    ]);
  });

  it('removes one pair of surrounding quotes only', () => {
    expect(unquote('"a b"')).toBe('a b');
    expect(unquote('""x""')).toBe('"x"');
    expect(unquote('"')).toBe('"');
    expect(unquote('a"')).toBe('a"');
  });
});

describe('command line', () => {
  it('accepts --opt value, --opt=value and flags; the last occurrence wins', () => {
    const a = parseArgs(['--dh', 'dh5', '--dh=dh14', '--no-detach', 'prof', '-', '--print-config']);
    expect(a.settings.get('dhGroup')?.value).toBe('dh14');
    expect(a.settings.has('noDetach')).toBe(true);
    expect(a.profiles).toEqual(['prof', '-']);
    expect(a.printConfig).toBe(true);
    expect(a.action).toBe('run');
  });

  it('rejects unknown options and options missing their value', () => {
    expect(() => parseArgs(['--gatway', 'x'])).toThrow(UsageError);
    expect(() => parseArgs(['--gatway', 'x'])).toThrow('unknown option "--gatway"');
    expect(() => parseArgs(['--gateway'])).toThrow('option --gateway requires a value <ip/hostname>');
    expect(() => parseArgs([''])).toThrow('unknown option ""');
  });

  it('stops at --help, --long-help and --version', () => {
    expect(parseArgs(['--help', '--bogus']).action).toBe('help');
    expect(parseArgs(['--long-help']).action).toBe('long-help');
    expect(parseArgs(['--version']).action).toBe('version');
  });
});

describe('--print-config format', () => {
  it('prints in table order, flags bare, edge blanks quoted, empty values skipped', () => {
    const { settings } = parse('Debug 3\nNo Detach\nIPSec ID " g"\nDomain\t"x"\nEnable weak encryption\n');
    settings.set('username', { value: '"q"', origin: { kind: 'option', option: '--username' } });
    settings.set('pidFile', { value: '', origin: { kind: 'option', option: '--pid-file' } });
    expect(formatConfig(settings)).toBe(
      'IPSec ID " g"\nXauth username ""q""\nDomain x\nEnable Single DES\nEnable weak encryption\nDebug 3\nNo Detach\n',
    );
  });
});
