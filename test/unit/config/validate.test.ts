import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/config/args.js';
import { parseIpv4Network, requireCredentials, validateSettings } from '../../../src/config/validate.js';
import { ConfigError } from '../../../src/errors.js';
import { parseProfile, type Settings } from '../../../src/config/profile-file.js';

const cli = (...argv: string[]) => parseArgs(argv).settings;

describe('validateSettings', () => {
  it('applies vpnc defaults', () => {
    const c = validateSettings(new Map());
    expect(c).toMatchObject({
      vendor: 'cisco', nattMode: 'natt', dhGroup: 2, pfs: 'server', ifMode: 'tun', ifMtu: 0, debug: 0,
      pidFile: '/run/vpnc.pid', localAddr: '0.0.0.0', localPort: 500, udpPort: 10000, dpdIdle: 300,
      authMode: 'psk', caDir: '/etc/ssl/certs', targetNetwork: { address: '0.0.0.0', prefixLength: 0 },
      weakEncryption: false, noDetach: false,
    });
    expect(c.applicationVersion).toMatch(/^Cisco Systems VPN Client 0\.5\.3:/);
  });

  it('types every value', () => {
    const c = validateSettings(cli('--dh', 'dh20', '--pfs', 'nopfs', '--ifmtu', '1400', '--dpd-idle', '0', '--target-network', '203.0.113.0/24', '--enable-1des', '--pid-file', ''));
    expect(c).toMatchObject({ dhGroup: 20, pfs: 0, ifMtu: 1400, dpdIdle: 0, targetNetwork: { address: '203.0.113.0', prefixLength: 24 }, weakEncryption: true, pidFile: '' });
    expect(validateSettings(cli('--pfs', 'dh14')).pfs).toBe(14);
  });

  it('Vendor: whether it was given; fortigate proposes 28800 s unless an IKE lifetime is set', () => {
    expect(validateSettings(new Map())).toMatchObject({ vendor: 'cisco', vendorGiven: false, ikeLifetime: 2147483 });
    expect(validateSettings(cli('--vendor', 'cisco'))).toMatchObject({ vendor: 'cisco', vendorGiven: true, ikeLifetime: 2147483 });
    expect(validateSettings(cli('--vendor', 'fortigate'))).toMatchObject({ vendor: 'fortigate', vendorGiven: true, ikeLifetime: 28800 });
    expect(validateSettings(cli('--vendor', 'fortigate', '--ike-lifetime', '3600')).ikeLifetime).toBe(3600);
    expect(validateSettings(cli('--vendor', 'netscreen')).ikeLifetime).toBe(2147483);
  });

  it('Backup servers: comma or space separated hosts; none by default', () => {
    expect(validateSettings(new Map()).backupServers).toEqual([]);
    expect(validateSettings(cli('--backup-servers', 'vpn2.example.com, 192.0.2.7 vpn3')).backupServers).toEqual(['vpn2.example.com', '192.0.2.7', 'vpn3']);
    expect(() => validateSettings(cli('--backup-servers', 'vpn2,bad/host'))).toThrow(
      '--backup-servers: invalid value "vpn2,bad/host" (accepted: IPv4 addresses or host names, comma or space separated ("bad/host" is neither))',
    );
  });

  const bad: Array<[string[], string]> = [
    [['--natt-mode', 'foo'], '--natt-mode: invalid value "foo" (accepted: natt, none, force-natt, cisco-udp)'],
    [['--dh', 'dh3'], '--dh: invalid value "dh3" (accepted: dh1, dh2, dh5, dh14, dh15, dh16, dh17, dh18, dh19, dh20, dh21)'],
    [['--pfs', 'dh3'], '--pfs: invalid value "dh3" (accepted: nopfs, dh1, dh2, dh5, dh14, dh15, dh16, dh17, dh18, dh19, dh20, dh21, server)'],
    [['--ifmtu', '70000'], '--ifmtu: invalid value "70000" (accepted: 0-65535 (0 = automatic))'],
    [['--ifmtu', '-1'], '--ifmtu: invalid value "-1" (accepted: 0-65535 (0 = automatic))'],
    [['--local-port', '65536'], '--local-port: invalid value "65536" (accepted: 0-65535 (0 = random))'],
    [['--udp-port', 'x'], '--udp-port: invalid value "x" (accepted: 0-65535 (0 = random))'],
    [['--dpd-idle', 'soon'], '--dpd-idle: invalid value "soon" (accepted: 0 or 10-86400 seconds)'],
    [['--vendor', 'juniper'], '--vendor: invalid value "juniper" (accepted: cisco, netscreen, fortigate)'],
    [['--ifmode', 'tan'], '--ifmode: invalid value "tan" (accepted: tun, tap)'],
    [['--auth-mode', 'rsa'], '--auth-mode: invalid value "rsa" (accepted: psk, cert, hybrid)'],
    [['--debug', 'lots'], '--debug: invalid value "lots" (accepted: 0, 1, 2, 3, 99)'],
    [['--target-network', '203.0.113.0/255.0.255.0'], '--target-network: invalid value "203.0.113.0/255.0.255.0" (accepted: a network as a.b.c.d/m.m.m.m or a.b.c.d/len)'],
    [['--gateway', 'bad host!'], '--gateway: invalid value "bad host!" (accepted: an IPv4 address or a host name)'],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => {
      expect(() => validateSettings(cli(...argv))).toThrow(ConfigError);
      expect(() => validateSettings(cli(...argv))).toThrow(message);
    });
  }

  it('names the file and line of a bad profile value', () => {
    const s: Settings = new Map();
    parseProfile('IPSec ID g\nNAT Traversal Mode natt-t\n', '/etc/vpnc/w.conf', s);
    expect(() => validateSettings(s)).toThrow('/etc/vpnc/w.conf:2: NAT Traversal Mode: invalid value "natt-t" (accepted: natt, none, force-natt, cisco-udp)');
  });

  it('clamps the DPD idle time to 10-86400 with a warning, as vpnc does', () => {
    const warnings: string[] = [];
    expect(validateSettings(cli('--dpd-idle', '5'), (w) => warnings.push(w)).dpdIdle).toBe(10);
    expect(validateSettings(cli('--dpd-idle', '100000'), (w) => warnings.push(w)).dpdIdle).toBe(86400);
    expect(warnings).toEqual(['warning: --dpd-idle: 5 is outside 10-86400, using 10', 'warning: --dpd-idle: 100000 is outside 10-86400, using 86400']);
  });

  it('requires the credentials with vpnc messages', () => {
    expect(() => requireCredentials(validateSettings(new Map()))).toThrow('missing IPSec gateway address');
    const c = validateSettings(cli('--gateway', 'g', '--id', 'i', '--secret', 's', '--username', 'u'));
    expect(() => requireCredentials(c)).toThrow('missing Xauth password');
    expect(() => requireCredentials(validateSettings(cli('--gateway', 'g', '--id', 'i', '--secret', 's', '--username', 'u', '--xauth-inter')))).not.toThrow();
  });
});

describe('parseIpv4Network', () => {
  it('accepts dotted masks and prefix lengths', () => {
    expect(parseIpv4Network('0.0.0.0/0.0.0.0')).toEqual({ address: '0.0.0.0', prefixLength: 0 });
    expect(parseIpv4Network('10.1.0.0/255.255.0.0')).toEqual({ address: '10.1.0.0', prefixLength: 16 });
    expect(parseIpv4Network('192.0.2.1/32')).toEqual({ address: '192.0.2.1', prefixLength: 32 });
  });
  it('rejects malformed input', () => {
    for (const t of ['10.0.0.0', '10.0.0/8', '10.0.0.0/33', '300.0.0.0/8', '10.0.0.0/255.0.255.0', 'a/b']) expect(parseIpv4Network(t)).toBeNull();
  });
});
