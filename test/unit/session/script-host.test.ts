/** What the route script is told of the site's other gateways (tunnelConfigOf). */
import { describe, expect, it } from 'vitest';
import type { ModeConfig } from '../../../src/ike/exchanges/mode-config.js';
import { tunnelConfigOf } from '../../../src/session/script-host.js';

const mc = (backupServers: string[]): ModeConfig => ({
  address: '192.0.2.10', netmask: undefined, dns: [], nbns: [], defaultDomain: undefined, banner: undefined, splitDns: [], splitInclude: [],
  splitExclude: [], pfs: undefined, udpEncapPort: undefined, savePassword: undefined, applicationVersion: undefined, backupServers, address6: undefined, dns6: [], splitInclude6: [], ipv6Problem: undefined,
});

describe('tunnelConfigOf: CISCO_BACKUP_SERVERS', () => {
  it('the gateway\'s list replaces the profile\'s; with neither, nothing', () => {
    expect(tunnelConfigOf(mc(['gw2']), { backupServers: ['p1'] }).backupServers).toEqual(['gw2']);
    expect(tunnelConfigOf(mc([]), { backupServers: ['p1', 'p2'] }).backupServers).toEqual(['p1', 'p2']);
    expect(tunnelConfigOf(mc([])).backupServers).toBeUndefined();
  });

  it('names the configured gateway first when the tunnel runs at another one (a reconnection starts there), once', () => {
    expect(tunnelConfigOf(mc([]), { backupServers: ['198.51.100.4'], gateway: '198.51.100.4', origin: '198.51.100.1' }).backupServers).toEqual(['198.51.100.1', '198.51.100.4']);
    expect(tunnelConfigOf(mc(['198.51.100.1']), { gateway: '198.51.100.4', origin: '198.51.100.1' }).backupServers).toEqual(['198.51.100.1']);
    expect(tunnelConfigOf(mc([]), { gateway: '198.51.100.1', origin: '198.51.100.1' }).backupServers).toBeUndefined();
  });
});
