import { describe, expect, it } from 'vitest';
import { obfuscate, obfuscateBytes } from '../../../src/config/obfuscation.js';
import {
  convertPcf,
  formatVpncConf,
  holdsSecrets,
  readPcfEntries,
  VPNC_CONF_HEADER,
  XAUTH_HINT,
  type PcfConversion,
} from '../../../src/config/pcf.js';

const settingsOf = (c: PcfConversion): Record<string, string> =>
  Object.fromEntries([...c.settings.values()].map((s) => [s.key, s.value]));

describe('readPcfEntries', () => {
  it('strips leading ! and trailing CR and spaces, keeps everything else', () => {
    const text = '[main]\r\n!Host=vpn.example.com \r\n!!GroupName= g \r\nAuthType=1\t\n';
    expect(readPcfEntries(text)).toEqual([
      { key: 'Host', value: 'vpn.example.com', line: 2 },
      { key: 'GroupName', value: ' g', line: 3 },
      { key: 'AuthType', value: '1\t', line: 4 },
    ]);
  });

  it('splits at the first = and does not trim the key', () => {
    expect(readPcfEntries('GroupPwd=a=b\nHost = x\n Host=y\n')).toEqual([
      { key: 'GroupPwd', value: 'a=b', line: 1 },
      { key: 'Host ', value: ' x', line: 2 },
      { key: ' Host', value: 'y', line: 3 },
    ]);
  });

  it('drops empty values, lines without = and blank lines', () => {
    expect(readPcfEntries('[main]\n\nGroupPwd=\nenc_GroupPwd=  \r\n!\nno equals\nHost=h')).toEqual([
      { key: 'Host', value: 'h', line: 7 },
    ]);
  });

  it('ends lines at LF only: a lone CR stays inside the value', () => {
    expect(readPcfEntries('Host=a\rGroupName=b\r')).toEqual([{ key: 'Host', value: 'a\rGroupName=b', line: 1 }]);
  });

  it('reads an empty file as nothing', () => {
    expect(readPcfEntries('')).toEqual([]);
  });
});

describe('convertPcf', () => {
  it('maps every known key', () => {
    const c = convertPcf(
      'Host=h\nGroupName=g\nGroupPwd=s\nAuthType=1\nDHGroup=2\nUsername=u\nUserPassword=p\nNTDomain=D\nEnableNat=1\n',
    );
    expect(settingsOf(c)).toEqual({
      'IPSec gateway': 'h',
      'IPSec ID': 'g',
      'IPSec secret': 's',
      'IKE Authmode': 'psk',
      'IKE DH Group': 'dh2',
      'Xauth username': 'u',
      'Xauth password': 'p',
      Domain: 'D',
    });
    expect(c.needsCert).toBe(false);
    expect(c.warnings).toEqual([]);
  });

  it('de-obfuscates enc_GroupPwd and enc_UserPassword, keeping bytes as a byte string', () => {
    const userHex = obfuscateBytes(Buffer.from('pässwort', 'latin1'));
    const c = convertPcf(`enc_GroupPwd=${obfuscate('group')}\nenc_UserPassword=${userHex}\n`);
    expect(c.settings.get('IPSec secret')).toEqual({ key: 'IPSec secret', value: 'group', decrypted: true });
    expect(c.settings.get('Xauth password')).toEqual({ key: 'Xauth password', value: 'pässwort', decrypted: true });
  });

  it('lets the last line win, plain or obfuscated', () => {
    expect(settingsOf(convertPcf(`GroupPwd=a\nenc_GroupPwd=${obfuscate('b')}\n`))['IPSec secret']).toBe('b');
    expect(settingsOf(convertPcf(`enc_GroupPwd=${obfuscate('b')}\nGroupPwd=a\n`))['IPSec secret']).toBe('a');
    expect(settingsOf(convertPcf('Host=1\nHost=2\n'))['IPSec gateway']).toBe('2');
  });

  it.each([
    ['1', 'psk', false],
    ['3', 'cert', true],
    ['5', 'hybrid', true],
    [' 5', 'hybrid', true],
  ])('maps AuthType %j to %s', (value, mode, needsCert) => {
    const c = convertPcf(`AuthType=${value}\n`);
    expect(settingsOf(c)['IKE Authmode']).toBe(mode);
    expect(c.needsCert).toBe(needsCert);
  });

  it('keeps the certificate reminder once a certificate AuthType was seen', () => {
    const c = convertPcf('AuthType=3\nAuthType=1\n');
    expect(settingsOf(c)['IKE Authmode']).toBe('psk');
    expect(c.needsCert).toBe(true);
  });

  it('warns about an unknown AuthType and keeps the earlier one', () => {
    const c = convertPcf('AuthType=1\nAuthType=4\nAuthType=3x\n');
    expect(settingsOf(c)['IKE Authmode']).toBe('psk');
    expect(c.warnings).toEqual([
      'unknown AuthType "4" on line 2 ignored (1 = psk, 3 = cert, 5 = hybrid)',
      'unknown AuthType "3x" on line 3 ignored (1 = psk, 3 = cert, 5 = hybrid)',
    ]);
    expect(c.needsCert).toBe(true); // Perl reads "3x" as 3
  });

  it('ignores keys that name Object.prototype members', () => {
    const c = convertPcf('constructor=x\n__proto__=y\ntoString=z\nAuthType=constructor\nAuthType=__proto__\n');
    expect(c.settings.size).toBe(0);
    expect(c.warnings).toHaveLength(2);
  });

  it('takes BackupServer (as Backup servers, not a Debian key) only with EnableBackup=1, in either order', () => {
    expect(settingsOf(convertPcf('EnableBackup=1\nBackupServer=vpn2.example.com,192.0.2.7\n'))['Backup servers']).toBe('vpn2.example.com,192.0.2.7');
    expect(settingsOf(convertPcf('BackupServer=vpn2.example.com\n!EnableBackup=1\n'))['Backup servers']).toBe('vpn2.example.com');
    expect(convertPcf('EnableBackup=0\nBackupServer=vpn2.example.com\n').settings.has('Backup servers')).toBe(false);
    expect(convertPcf('EnableBackup=1\nBackupServer=\n').settings.has('Backup servers')).toBe(false);
    expect(formatVpncConf(convertPcf('Host=a\nEnableBackup=1\nBackupServer=b,c\n'))).toContain('IPSec gateway a\nBackup servers b,c\n');
  });

  it('passes DHGroup through', () => {
    expect(settingsOf(convertPcf('DHGroup=14\n'))['IKE DH Group']).toBe('dh14');
  });

  it('warns about an obfuscated value it cannot decode and keeps the earlier value', () => {
    const c = convertPcf('GroupPwd=plain\nenc_GroupPwd=00112233\n');
    expect(settingsOf(c)['IPSec secret']).toBe('plain');
    expect(c.warnings).toEqual([
      'cannot decrypt enc_GroupPwd on line 2: obfuscated password is too short: 4 bytes, at least 48 needed',
    ]);
  });

  it('refuses a decrypted value with a line break (it would add lines to the vpnc.conf)', () => {
    const c = convertPcf(`enc_UserPassword=${obfuscate('pw\nScript /tmp/x')}\nenc_GroupPwd=${obfuscate('a\rb')}\n`);
    expect(c.settings.size).toBe(0);
    expect(c.warnings).toEqual([
      'cannot decrypt enc_UserPassword on line 1: the password contains a line break',
      'cannot decrypt enc_GroupPwd on line 2: the password contains a line break',
    ]);
  });

  it('uses the injected deobfuscator', () => {
    const c = convertPcf('enc_GroupPwd=XYZ\n', (hex) => `clear(${hex})`);
    expect(settingsOf(c)['IPSec secret']).toBe('clear(XYZ)');
  });

  it('tells whether the result holds secrets', () => {
    expect(holdsSecrets(convertPcf('Host=h\nUsername=u\n'))).toBe(false);
    expect(holdsSecrets(convertPcf('GroupPwd=s\n'))).toBe(true);
    expect(holdsSecrets(convertPcf('UserPassword=p\n'))).toBe(true);
  });
});

describe('formatVpncConf', () => {
  it('writes the header, the settings in a fixed order and no hint when Xauth is set', () => {
    const text = formatVpncConf(convertPcf('NTDomain=D\nUsername=u\nDHGroup=2\nAuthType=1\nGroupPwd=s\nGroupName=g\nHost=h\n'));
    expect(text).toBe(
      '## generated by pcf2vpnc\n' +
        'IPSec gateway h\nIPSec ID g\nIPSec secret s\nIKE Authmode psk\nIKE DH Group dh2\nXauth username u\nDomain D\n',
    );
  });

  it('follows a de-obfuscated value with an empty line, as Debian does', () => {
    const text = formatVpncConf(convertPcf(`enc_GroupPwd=${obfuscate('s')}\nUserPassword=p\n`));
    expect(text).toBe(`${VPNC_CONF_HEADER}IPSec secret s\n\nXauth password p\n`);
  });

  it('adds the Xauth hint when neither username nor password is set', () => {
    expect(formatVpncConf(convertPcf(''))).toBe(VPNC_CONF_HEADER + XAUTH_HINT);
    expect(XAUTH_HINT).toBe(
      '\n## To add your username and password,\n## use the following lines:\n' +
        '# Xauth username <your username>\n# Xauth password <your password>\n',
    );
  });
});

describe('the certificate keys of AuthType 3 (ours: Debian writes none of them)', () => {
  const pcf = 'Host=h\nAuthType=3\nUsername=u\nCertStore=1\nCertName=alice@example.org\nCertPath=C:\\certs\nCertSubjectName=CN=alice\nVerifyCertDN=CN=vpn,O=Example\n';

  it('become comments after the settings: which certificate, from which store, and the keys that name the exported files', () => {
    const text = formatVpncConf(convertPcf(pcf));
    expect(text.startsWith(`${VPNC_CONF_HEADER}IPSec gateway h\nIKE Authmode cert\nXauth username u\n\n`)).toBe(true);
    const comments = text.slice(`${VPNC_CONF_HEADER}IPSec gateway h\nIKE Authmode cert\nXauth username u\n`.length);
    expect(comments).toContain('## "alice@example.org", subject CN=alice from the Cisco client\'s certificate store (CertPath C:\\certs).\n');
    expect(comments).toContain('\n# IPSec certificate /etc/vpnc/client.p12\n');
    expect(comments).toContain('\n# CA-File /etc/vpnc/ca.pem\n');
    expect(comments).toContain("## The Cisco client required the gateway's subject to match: CN=vpn,O=Example\n");
    // Every added line is a comment (or empty): nothing changes what vpnc reads.
    expect(comments.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
  });

  it('the Microsoft store, a store number unknown, no certificate keys at all', () => {
    expect(formatVpncConf(convertPcf('AuthType=3\nCertStore=2\n'))).toContain("from the Microsoft certificate store.\n");
    expect(formatVpncConf(convertPcf('AuthType=3\nCertStore=7\n'))).toContain('from certificate store 7.\n');
    expect(formatVpncConf(convertPcf('AuthType=3\n'))).toContain('## from a certificate store.\n');
  });

  it('nothing for other auth types, and a value with a CR is refused (it would end the comment and start a line of its own)', () => {
    expect(formatVpncConf(convertPcf('AuthType=5\nCertName=x\n'))).not.toContain('Certificate authentication');
    const c = convertPcf('AuthType=3\nCertName=x\rScript /tmp/evil\n');
    expect(c.warnings).toEqual(['CertName on line 2 ignored: its value contains a line break']);
    expect(formatVpncConf(c)).not.toContain('evil');
  });
});
