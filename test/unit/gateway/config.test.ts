/** The gateway's config file: values, defaults, and errors that name the file and line. */
import { describe, expect, it } from 'vitest';
import { applyOverrides, parseGatewayArgs } from '../../../src/gateway/cli.js';
import { loadGatewayConfig, parseGatewayConfig } from '../../../src/gateway/config.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { formatIpv4 } from '../../../src/wire/ipv4-text.js';

const MINIMAL = ['Listen 198.51.100.1', 'Group g', 'Group secret s', 'Pool 192.0.2.10-192.0.2.50'];
const parse = (lines: string[]) => parseGatewayConfig(lines.join('\n') + '\n', 'gw.conf');

function errorOf(lines: string[]): string {
  try {
    parse(lines);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('parseGatewayConfig', () => {
  it('reads every key, case-insensitively, with comments, quotes and repeated list keys', () => {
    const c = parse([
      '# a test gateway',
      '',
      'listen 198.51.100.1',
      'GROUP testgroup',
      'Group secret "  spaced secret  "',
      'User alice wonderland',
      'User bob two words',
      'Pool 192.0.2.10 - 192.0.2.50',
      'Netmask 255.255.255.0',
      'DNS 203.0.113.53, 203.0.113.54',
      'DNS 203.0.113.55',
      'NBNS 203.0.113.137',
      'Default domain corp.example',
      'Banner "Hello, world"',
      'Split include 203.0.113.0/24',
      'Split include 10.0.0.0/8 172.16.0.0/12',
      'Split DNS corp.example',
      'PFS yes',
      'Cisco UDP port 10000',
      'IKE proposals aes128-sha1 3des-md5',
      'IKE DH groups dh2 14',
      'ESP proposals aes256-sha1 null-sha1',
      'DPD 0',
      'Interface name vpn0',
      'Interface MTU 1400',
      'Netns gwns',
      'Debug 2',
    ]);
    expect(c.listen).toBe('198.51.100.1');
    expect(c.group).toBe('testgroup');
    expect(c.groupSecret).toBe('  spaced secret  ');
    expect(c.users).toEqual([
      { name: 'alice', password: 'wonderland' },
      { name: 'bob', password: 'two words' },
    ]);
    expect([formatIpv4(c.pool.first), formatIpv4(c.pool.last)]).toEqual(['192.0.2.10', '192.0.2.50']);
    expect(c.netmask).toBe('255.255.255.0');
    expect(c.dns).toEqual(['203.0.113.53', '203.0.113.54', '203.0.113.55']);
    expect(c.nbns).toEqual(['203.0.113.137']);
    expect(c.defaultDomain).toBe('corp.example');
    expect(c.banner).toBe('Hello, world');
    expect(c.splitInclude.map((n) => `${formatIpv4(n.address)}/${n.prefixLength}`)).toEqual(['203.0.113.0/24', '10.0.0.0/8', '172.16.0.0/12']);
    expect(c.splitDns).toEqual(['corp.example']);
    expect(c.pfs).toBe(true);
    expect(c.ciscoUdpPort).toBe(10000);
    expect(c.ikeProposals.map((p) => p.name)).toEqual(['aes128-sha1', '3des-md5']);
    expect(c.dhGroups).toEqual([2, 14]);
    expect(c.espProposals.map((p) => [p.name, p.transformId, p.keyBits, p.auth])).toEqual([
      ['aes256-sha1', 12, 256, 2],
      ['null-sha1', 11, 0, 2],
    ]);
    expect(c.dpdIdle).toBe(0);
    expect([c.interfaceName, c.interfaceMtu, c.netns, c.debug]).toEqual(['vpn0', 1400, 'gwns', 2]);
  });

  it('fills defaults: strong proposals, vpnc MODP groups, DPD 30, no XAUTH users, no Cisco UDP', () => {
    const c = parse(MINIMAL);
    expect(c.users).toEqual([]);
    expect(c.ikeProposals.map((p) => p.name)).toEqual(['aes256-sha1', 'aes192-sha1', 'aes128-sha1']);
    expect(c.espProposals.map((p) => p.name)).toEqual(['aes256-sha1', 'aes192-sha1', 'aes128-sha1']);
    expect(c.dhGroups).toEqual([2, 5, 14, 15, 16, 17, 18]);
    expect([c.dpdIdle, c.ciscoUdpPort, c.pfs, c.interfaceName, c.interfaceMtu, c.netns]).toEqual([30, 0, false, 'gw%d', 1412, undefined]);
  });

  it.each([
    [['Frobnicate 1'], 'gw.conf:5: unknown configuration key in "Frobnicate..."'],
    [['Listen 198.51.100.2'], 'gw.conf:5: Listen may appear only once'],
    [['Banner'], 'gw.conf:5: Banner needs a value'],
    [['DNS 203.0.113.999'], 'gw.conf:5: DNS: not an IPv4 address: "203.0.113.999"'],
    [['Netmask 255.0.255.0'], 'gw.conf:5: Netmask: "255.0.255.0" is not a contiguous netmask'],
    [['Split include 203.0.113.1/24'], 'gw.conf:5: Split include: "203.0.113.1/24" has host bits set (did you mean 203.0.113.0/24?)'],
    [['Split include 203.0.113.0/33'], 'gw.conf:5: Split include: "203.0.113.0/33": prefix length must be 0..32'],
    [['PFS maybe'], 'gw.conf:5: PFS: "maybe" is neither yes nor no'],
    [['Cisco UDP port 70000'], 'gw.conf:5: Cisco UDP port: "70000" is not a number from 0 to 65535'],
    [['IKE proposals aes256'], 'gw.conf:5: IKE proposals: "aes256" is not cipher-hash (e.g. aes256-sha1)'],
    [['IKE proposals blowfish-sha1'], 'gw.conf:5: IKE proposals: unknown IKE cipher "blowfish"'],
    [['ESP proposals aes256-sha512'], 'gw.conf:5: ESP proposals: unknown ESP hash "sha512"'],
    [['IKE DH groups dh3'], 'gw.conf:5: IKE DH groups: unknown DH group "dh3"'],
    [['User alice'], 'gw.conf:5: User: needs a name and a password: User NAME PASSWORD'],
    [['User a x', 'User a y'], 'gw.conf:6: User: user "a" is defined twice'],
    [['Token user bob 123456'], 'gw.conf:5: Token user: needs a name, a passcode and the next PIN: Token user NAME PASSCODE NEXT-PIN'],
    [['User bob x', 'Token user bob 1 2'], 'gw.conf:6: Token user: user "bob" is defined twice'],
    [['Interface name much-too-long-name'], 'gw.conf:5: Interface name: "much-too-long-name" is not an interface name'],
    [['DPD -1'], 'gw.conf:5: DPD: "-1" is not a number from 0 to 86400'],
  ])('refuses %j', (extra, message) => {
    expect(errorOf([...MINIMAL, ...extra])).toContain(message);
  });

  it('a token user: a passcode and the next PIN', () => {
    expect(parse([...MINIMAL, 'User alice wonderland', 'Token user bob 123456 4321']).users).toEqual([
      { name: 'alice', password: 'wonderland' },
      { name: 'bob', password: '123456', nextPin: '4321' },
    ]);
  });

  it('ESP lifetime in seconds and kilobytes: off by default, numbers only', () => {
    expect(parse(MINIMAL)).toMatchObject({ espLifetimeSeconds: 0, espLifetimeKilobytes: 0 });
    expect(parse([...MINIMAL, 'ESP lifetime 20', 'ESP lifetime kilobytes 4096'])).toMatchObject({ espLifetimeSeconds: 20, espLifetimeKilobytes: 4096 });
    expect(errorOf([...MINIMAL, 'ESP lifetime soon'])).toBe('gw.conf:5: ESP lifetime: "soon" is not a number from 0 to 4294967295');
  });

  it('refuses a pool whose first address comes after the last', () => {
    expect(errorOf(['Listen 198.51.100.1', 'Group g', 'Group secret s', 'Pool 192.0.2.50-192.0.2.10'])).toBe(
      'gw.conf:4: Pool: first address 192.0.2.50 comes after last address 192.0.2.10',
    );
    expect(errorOf(['Pool 192.0.2.10'])).toContain('gw.conf:1: Pool: "192.0.2.10" is not FIRST-LAST');
  });

  it.each([
    ['Listen', MINIMAL.slice(1)],
    ['Pool', MINIMAL.slice(0, 3)],
  ])('names the missing mandatory key %s', (key, lines) => {
    expect(errorOf(lines)).toBe(`gw.conf: ${key} is missing (it is mandatory)`);
  });

  it.each([
    ['Group', MINIMAL.filter((l) => !l.startsWith('Group ') || l.startsWith('Group secret')), 'gw.conf: Group is missing (Group and Group secret go together)'],
    ['Group secret', MINIMAL.filter((l) => !l.startsWith('Group secret')), 'gw.conf: Group secret is missing (Group and Group secret go together)'],
    ['both', MINIMAL.filter((l) => !l.startsWith('Group')), 'gw.conf: Group and Group secret are missing (they are mandatory unless Certificate, Private key and Client CA are given)'],
  ])('without a certificate, the group is mandatory: %s missing', (_what, lines, message) => {
    expect(errorOf(lines)).toBe(message);
  });

  it('a file that cannot be read is a ConfigError naming it', () => {
    expect(() => loadGatewayConfig('/nonexistent/gw.conf')).toThrow(new ConfigError('/nonexistent/gw.conf: cannot read the gateway configuration (ENOENT)'));
  });
});

describe('vpnc-gateway command line', () => {
  it('takes one config file, --debug and --netns, which override the file', () => {
    const args = parseGatewayArgs(['--debug', '3', 'gw.conf', '--netns', 'other']);
    expect(args).toEqual({ action: 'run', configPath: 'gw.conf', debug: 3, netns: 'other' });
    const c = applyOverrides(parse(MINIMAL), args);
    expect([c.debug, c.netns]).toEqual([3, 'other']);
    expect(parseGatewayArgs(['--help']).action).toBe('help');
  });

  it.each([
    [[], 'a config file is required'],
    [['a.conf', 'b.conf'], 'only one config file, got "a.conf" and "b.conf"'],
    [['--debug'], 'option --debug needs a value'],
    [['--debug', 'loud', 'a.conf'], '--debug needs a level from 0 to 99, got "loud"'],
    [['--frob', 'a.conf'], 'unknown option --frob'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseGatewayArgs(argv)).toThrow(new UsageError(message));
  });
});
