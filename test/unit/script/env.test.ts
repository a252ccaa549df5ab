import { describe, expect, it } from 'vitest';
import {
  buildScriptEnv,
  invocationVariables,
  isOwnedVariable,
  VPNC_UNSET_VARIABLES,
  type ScriptInvocation,
  type TunnelConfig,
} from '../../../src/script/env.js';
import { ScriptError } from '../../../src/script/errors.js';

const TUNNEL: TunnelConfig = {
  address: '192.0.2.10',
  netmask: '255.255.255.0',
  dns: ['192.0.2.53', '192.0.2.54'],
  nbns: ['192.0.2.55'],
  defaultDomain: 'corp.example',
  banner: 'Welcome\nto the VPN',
  splitDns: ['corp.example,internal.example', 'lab.example'],
  splitInclude: [
    { addr: '203.0.113.0', mask: '255.255.255.0', protocol: 0, sport: 0, dport: 0 },
    { addr: '10.20.0.0', mask: '255.255.0.0', protocol: 6, sport: 1024, dport: 443 },
  ],
};

const CONNECT: ScriptInvocation = {
  reason: 'connect',
  vpnPid: 4242,
  tunDev: 'tun0',
  gateway: '198.51.100.1',
  tunnel: TUNNEL,
};

describe('invocationVariables: the variables vpnc exports, formatted as vpnc formats them', () => {
  it('exports the whole tunnel at connect, exactly', () => {
    expect(invocationVariables(CONNECT)).toEqual({
      reason: 'connect',
      VPNPID: '4242',
      TUNDEV: 'tun0',
      VPNGATEWAY: '198.51.100.1',
      INTERNAL_IP4_ADDRESS: '192.0.2.10',
      INTERNAL_IP4_NETMASK: '255.255.255.0',
      INTERNAL_IP4_NETMASKLEN: '24',
      INTERNAL_IP4_NETADDR: '192.0.2.0',
      INTERNAL_IP4_DNS: '192.0.2.53 192.0.2.54',
      INTERNAL_IP4_NBNS: '192.0.2.55',
      CISCO_DEF_DOMAIN: 'corp.example',
      CISCO_BANNER: 'Welcome\nto the VPN',
      CISCO_SPLIT_DNS: 'corp.example,internal.example lab.example',
      CISCO_SPLIT_INC: '2',
      CISCO_SPLIT_INC_0_ADDR: '203.0.113.0',
      CISCO_SPLIT_INC_0_MASK: '255.255.255.0',
      CISCO_SPLIT_INC_0_MASKLEN: '24',
      CISCO_SPLIT_INC_0_PROTOCOL: '0',
      CISCO_SPLIT_INC_0_SPORT: '0',
      CISCO_SPLIT_INC_0_DPORT: '0',
      CISCO_SPLIT_INC_1_ADDR: '10.20.0.0',
      CISCO_SPLIT_INC_1_MASK: '255.255.0.0',
      CISCO_SPLIT_INC_1_MASKLEN: '16',
      CISCO_SPLIT_INC_1_PROTOCOL: '6',
      CISCO_SPLIT_INC_1_SPORT: '1024',
      CISCO_SPLIT_INC_1_DPORT: '443',
    });
  });

  it('gives disconnect the same variables as connect (and the same VPNPID)', () => {
    const { reason: _c, ...atConnect } = invocationVariables(CONNECT);
    const { reason: _d, ...atDisconnect } = invocationVariables({ ...CONNECT, reason: 'disconnect' });
    expect(atDisconnect).toEqual(atConnect);
    expect(invocationVariables({ ...CONNECT, reason: 'reconnect' }).reason).toBe('reconnect');
    expect(invocationVariables({ ...CONNECT, reason: 'attempt-reconnect' }).reason).toBe('attempt-reconnect');
  });

  it('exports only reason and VPNPID at pre-init (vpnc runs it before the tunnel exists)', () => {
    expect(invocationVariables({ reason: 'pre-init', vpnPid: 7 })).toEqual({ reason: 'pre-init', VPNPID: '7' });
  });

  it('leaves out what the gateway did not send', () => {
    const env = invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10' } });
    expect(Object.keys(env).sort()).toEqual(['INTERNAL_IP4_ADDRESS', 'TUNDEV', 'VPNGATEWAY', 'VPNPID', 'reason']);
  });

  it('exports CISCO_BACKUP_SERVERS (ours) blank-separated, only when the gateway named some; an inherited one is dropped', () => {
    expect(invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10', backupServers: ['192.0.2.7', 'vpn2.example'] } }).CISCO_BACKUP_SERVERS).toBe('192.0.2.7 vpn2.example');
    expect(invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10', backupServers: [] } }).CISCO_BACKUP_SERVERS).toBeUndefined();
    expect(isOwnedVariable('CISCO_BACKUP_SERVERS')).toBe(true);
  });

  it('exports CISCO_SPLIT_INC=0 for an empty list that was sent, nothing for a list that was not', () => {
    expect(invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10', splitInclude: [] } }).CISCO_SPLIT_INC).toBe('0');
    expect(invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10' } }).CISCO_SPLIT_INC).toBeUndefined();
  });

  it('exports the split-exclude list with the same per-entry variables', () => {
    const env = invocationVariables({
      ...CONNECT,
      tunnel: { address: '192.0.2.10', splitExclude: [{ addr: '0.0.0.0', mask: '255.255.255.255', protocol: 0, sport: 0, dport: 0 }] },
    });
    expect(env).toMatchObject({
      CISCO_SPLIT_EXC: '1',
      CISCO_SPLIT_EXC_0_ADDR: '0.0.0.0',
      CISCO_SPLIT_EXC_0_MASK: '255.255.255.255',
      CISCO_SPLIT_EXC_0_MASKLEN: '32',
      CISCO_SPLIT_EXC_0_PROTOCOL: '0',
      CISCO_SPLIT_EXC_0_SPORT: '0',
      CISCO_SPLIT_EXC_0_DPORT: '0',
    });
  });

  it('exports the split-include address as sent (not masked) and a non-contiguous mask as vpnc does', () => {
    const env = invocationVariables({
      ...CONNECT,
      tunnel: { address: '192.0.2.10', splitInclude: [{ addr: '10.1.2.3', mask: '255.0.255.0', protocol: 0, sport: 0, dport: 0 }] },
    });
    expect(env.CISCO_SPLIT_INC_0_ADDR).toBe('10.1.2.3');
    expect(env.CISCO_SPLIT_INC_0_MASKLEN).toBe('24');
  });

  it('exports INTERNAL_IP4_MTU only for 1..65535, as vpnc ignores other --ifmtu values', () => {
    expect(invocationVariables({ ...CONNECT, interfaceMtu: 1400 }).INTERNAL_IP4_MTU).toBe('1400');
    expect(invocationVariables({ ...CONNECT, interfaceMtu: 0 }).INTERNAL_IP4_MTU).toBeUndefined();
    expect(invocationVariables({ ...CONNECT, interfaceMtu: 70000 }).INTERNAL_IP4_MTU).toBeUndefined();
  });

  it('cuts strings at a NUL as a C string would, keeps every other byte of the banner', () => {
    const banner = 'a $(touch /tmp/x) `id` "q" \'s\'\nline2\0hidden';
    const env = invocationVariables({ ...CONNECT, tunnel: { address: '192.0.2.10', banner, defaultDomain: 'x\0y' } });
    expect(env.CISCO_BANNER).toBe('a $(touch /tmp/x) `id` "q" \'s\'\nline2');
    expect(env.CISCO_DEF_DOMAIN).toBe('x');
  });

  it('computes NETADDR from the address and the mask', () => {
    const env = invocationVariables({ ...CONNECT, tunnel: { address: '10.1.200.7', netmask: '255.255.240.0' } });
    expect([env.INTERNAL_IP4_NETADDR, env.INTERNAL_IP4_NETMASKLEN]).toEqual(['10.1.192.0', '20']);
  });
});

describe('invocationVariables: IPv6, as OpenConnect exports it', () => {
  it('address with prefix, DNS servers, split networks (canonical text)', () => {
    const env = invocationVariables({
      ...CONNECT,
      tunnel: {
        address: '192.0.2.10',
        address6: { address: '2001:DB8:1:0::10', prefixLength: 64 },
        dns6: ['2001:db8:2::53', '2001:db8:2:0:0:0:0:54'],
        splitInclude6: [{ address: '2001:db8:2::', prefixLength: 64 }, { address: '2001:db8:3::', prefixLength: 48 }],
      },
    });
    expect(env).toMatchObject({
      INTERNAL_IP6_ADDRESS: '2001:db8:1::10',
      INTERNAL_IP6_NETMASK: '2001:db8:1::10/64',
      INTERNAL_IP6_DNS: '2001:db8:2::53 2001:db8:2::54',
      CISCO_IPV6_SPLIT_INC: '2',
      CISCO_IPV6_SPLIT_INC_0_ADDR: '2001:db8:2::',
      CISCO_IPV6_SPLIT_INC_0_MASKLEN: '64',
      CISCO_IPV6_SPLIT_INC_1_ADDR: '2001:db8:3::',
      CISCO_IPV6_SPLIT_INC_1_MASKLEN: '48',
    });
  });

  it('no IPv6 from the gateway: none of the IPv6 variables', () => {
    const env = invocationVariables(CONNECT);
    expect(Object.keys(env).filter((k) => k.includes('IP6') || k.includes('IPV6'))).toEqual([]);
  });
});

describe('invocationVariables: malformed input is refused, never passed on', () => {
  const cases: Array<[string, ScriptInvocation]> = [
    ['address', { ...CONNECT, tunnel: { address: '192.0.2' } }],
    ['address with a leading zero', { ...CONNECT, tunnel: { address: '192.0.2.010' } }],
    ['octet > 255', { ...CONNECT, tunnel: { address: '192.0.2.256' } }],
    ['gateway', { ...CONNECT, gateway: 'vpn.example.com' }],
    ['DNS server', { ...CONNECT, tunnel: { address: '192.0.2.10', dns: ['192.0.2.53; rm -rf /'] } }],
    ['netmask', { ...CONNECT, tunnel: { address: '192.0.2.10', netmask: '24' } }],
    ['split port', { ...CONNECT, tunnel: { address: '192.0.2.10', splitInclude: [{ addr: '10.0.0.0', mask: '255.0.0.0', protocol: 0, sport: 70000, dport: 0 }] } }],
    ['TUNDEV with a slash', { ...CONNECT, tunDev: '../etc' }],
    ['TUNDEV too long', { ...CONNECT, tunDev: 'a-very-long-interface' }],
    ['VPNPID', { ...CONNECT, vpnPid: 0 }],
    ['IPv6 address', { ...CONNECT, tunnel: { address: '192.0.2.10', address6: { address: '2001:db8::1; reboot', prefixLength: 64 } } }],
    ['IPv6 prefix > 128', { ...CONNECT, tunnel: { address: '192.0.2.10', address6: { address: '2001:db8::1', prefixLength: 129 } } }],
    ['IPv6 DNS server', { ...CONNECT, tunnel: { address: '192.0.2.10', address6: { address: '2001:db8::1', prefixLength: 64 }, dns6: ['203.0.113.53'] } }],
    ['IPv6 split network', { ...CONNECT, tunnel: { address: '192.0.2.10', splitInclude6: [{ address: 'corp', prefixLength: 64 }] } }],
  ];
  it.each(cases)('%s', (_what, inv) => {
    expect(() => invocationVariables(inv)).toThrow(ScriptError);
    try {
      invocationVariables(inv);
    } catch (err) {
      expect((err as ScriptError).code).toBe('VPNC_ERR_SCRIPT_INPUT');
    }
  });
});

describe('buildScriptEnv: the inherited environment', () => {
  it('keeps unrelated variables and drops every variable vpnc unsets', () => {
    const inherited: Record<string, string | undefined> = { PATH: '/usr/bin:/bin', HOME: '/root', LANG: 'C', UNSET: undefined };
    for (const name of VPNC_UNSET_VARIABLES) inherited[name] = 'stale';
    const env = buildScriptEnv({ reason: 'pre-init', vpnPid: 9 }, inherited);
    expect(env).toEqual({ PATH: '/usr/bin:/bin', HOME: '/root', LANG: 'C', reason: 'pre-init', VPNPID: '9' });
  });

  it('drops stale variables of this contract that vpnc would have left behind', () => {
    const stale = {
      TUNDEV: 'tun9',
      VPNGATEWAY: '203.0.113.9',
      INTERNAL_IP4_NETMASKLEN: '8',
      INTERNAL_IP4_NETADDR: '10.0.0.0',
      CISCO_SPLIT_INC_5_ADDR: '10.0.0.0',
      CISCO_SPLIT_EXC: '1',
      CISCO_SPLIT_EXC_0_ADDR: '10.0.0.0',
      INTERNAL_IP6_ADDRESS: '2001:db8::1',
      CISCO_IPV6_SPLIT_INC_0_ADDR: '2001:db8::',
      IDLE_TIMEOUT: '1800',
    };
    const env = buildScriptEnv({ ...CONNECT, tunnel: { address: '192.0.2.10' } }, stale);
    expect(env.TUNDEV).toBe('tun0');
    expect(env.VPNGATEWAY).toBe('198.51.100.1');
    for (const name of Object.keys(stale)) if (!['TUNDEV', 'VPNGATEWAY', 'IDLE_TIMEOUT'].includes(name)) expect(env[name]).toBeUndefined();
    expect(env.IDLE_TIMEOUT).toBe('1800');
  });

  it('knows which names it owns', () => {
    expect(['reason', 'VPNPID', 'CISCO_SPLIT_INC_0_ADDR', 'INTERNAL_IP4_MTU'].every(isOwnedVariable)).toBe(true);
    expect(['PATH', 'CISCO_SPLIT', 'INTERNAL_IP4', 'reasons'].some(isOwnedVariable)).toBe(false);
  });
});
