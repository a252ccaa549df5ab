/**
 * What our scripts/vpnc-script promises beyond Debian's: replaced routes and multipath defaults come back
 * exactly, the gateway is pinned through the current path whatever that path looks like, split exclude, MTU,
 * hooks, and a disconnect that can run twice or after a crash. Namespaces, real `ip`; root only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteAllNetns, linkNetns, requireBinaries, requireRoot } from '../helpers/netns.js';
import {
  GATEWAY_ADDR,
  ORIGINAL_RESOLV,
  OUR_SCRIPT,
  SPLIT,
  TUNDEV,
  createScriptBed,
  destroyScriptBed,
  inClient,
  mainRoutes,
  mustRun,
  pathTo,
  runInBed,
  sampleTunnel,
  snapshot,
  type ScriptBed,
} from './script-bed.js';

requireRoot();
requireBinaries(['ip']);

let bed: ScriptBed | undefined;
afterEach(() => {
  destroyScriptBed(bed);
  bed = undefined;
});
afterAll(deleteAllNetns);

function exact(b: ScriptBed, prefix: string): string[] {
  return inClient(b, 'ip', '-4', 'route', 'show', 'table', 'main', 'exact', prefix).split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('our vpnc-script: routes it replaces come back', () => {
  it('a multipath default route: the gateway is pinned to one nexthop, the default restored exactly', async () => {
    bed = createScriptBed();
    const { aIf: second } = linkNetns(bed.client, '10.99.0.2/24', bed.gateway, '10.99.0.1/24');
    inClient(bed, 'ip', 'route', 'replace', 'default', 'nexthop', 'via', GATEWAY_ADDR, 'dev', bed.clientIf, 'weight', '1', 'nexthop', 'via', '10.99.0.1', 'dev', second, 'weight', '2');
    const before = snapshot(bed);
    const farGateway = '198.18.5.5';
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel(), {}, { gateway: farGateway });
    const pinned = exact(bed, `${farGateway}/32`);
    expect(pinned).toHaveLength(1);
    expect(pinned[0]).toMatch(new RegExp(`^${farGateway} via (${GATEWAY_ADDR} dev ${bed.clientIf}|10\\.99\\.0\\.1 dev ${second})`));
    expect(exact(bed, '0.0.0.0/0')).toEqual([`default dev ${TUNDEV} scope link linkdown`]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel(), {}, { gateway: farGateway });
    expect(snapshot(bed)).toEqual(before);
    expect(before.routes.join('\n')).toContain('nexthop via 10.99.0.1');
  });

  it('a split network that replaces an existing route: the old route returns, one with another metric is never touched', async () => {
    bed = createScriptBed();
    inClient(bed, 'ip', 'route', 'add', '10.20.0.0/16', 'via', GATEWAY_ADDR, 'proto', 'static');
    inClient(bed, 'ip', 'route', 'add', '10.20.0.0/16', 'via', GATEWAY_ADDR, 'metric', '50');
    const before = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel({ splitInclude: SPLIT }));
    expect(exact(bed, '10.20.0.0/16').sort()).toEqual([
      `10.20.0.0/16 dev ${TUNDEV} scope link linkdown`,
      `10.20.0.0/16 via ${GATEWAY_ADDR} dev ${bed.clientIf} metric 50`,
    ]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ splitInclude: SPLIT }));
    expect(snapshot(bed)).toEqual(before);
  });

  it('a split network covering the local LAN and the gateway: the gateway stays reachable, the connected route returns', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    const lan = [{ addr: '198.51.100.0', mask: '255.255.255.0', protocol: 0, sport: 0, dport: 0 }];
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel({ splitInclude: lan }));
    expect(pathTo(bed, '198.51.100.77')).toBe(`dev ${TUNDEV}`);
    expect(pathTo(bed, GATEWAY_ADDR)).toBe(`dev ${bed.clientIf}`);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ splitInclude: lan }));
    expect(snapshot(bed)).toEqual(before);
    expect(before.routes).toContain(`198.51.100.0/24 dev ${bed.clientIf} proto kernel scope link src 198.51.100.2`);
  });
});

describe('our vpnc-script: split exclude, netmask, MTU', () => {
  it('split exclude keeps its networks on the pre-existing path; the local-LAN marker is ignored', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    const tunnel = sampleTunnel({
      splitExclude: [
        { addr: '203.0.113.128', mask: '255.255.255.128', protocol: 0, sport: 0, dport: 0 },
        { addr: '0.0.0.0', mask: '255.255.255.255', protocol: 0, sport: 0, dport: 0 },
      ],
    });
    await mustRun(bed, OUR_SCRIPT, 'connect', tunnel);
    expect(pathTo(bed, '203.0.113.200')).toBe(`via ${GATEWAY_ADDR} dev ${bed.clientIf}`);
    expect(pathTo(bed, '203.0.113.5')).toBe(`dev ${TUNDEV}`);
    expect(pathTo(bed, '8.8.8.8')).toBe(`dev ${TUNDEV}`);
    expect(mainRoutes(bed).filter((r) => r.startsWith('0.0.0.0'))).toEqual([]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', tunnel);
    expect(snapshot(bed)).toEqual(before);
  });

  it('routes the network of INTERNAL_IP4_NETMASK into the tunnel, and split entries sent with host bits set', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    const sloppy = [{ addr: '10.20.3.4', mask: '255.255.0.0', protocol: 0, sport: 0, dport: 0 }];
    const tunnel = sampleTunnel({ netmask: '255.255.255.0', splitInclude: sloppy });
    await mustRun(bed, OUR_SCRIPT, 'connect', tunnel);
    expect(exact(bed, '192.0.2.0/24')).toEqual([`192.0.2.0/24 dev ${TUNDEV} scope link linkdown`]);
    expect(exact(bed, '10.20.0.0/16')).toEqual([`10.20.0.0/16 dev ${TUNDEV} scope link linkdown`]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', tunnel);
    expect(snapshot(bed)).toEqual(before);
  });

  it('MTU: the path to the gateway minus 88, or INTERNAL_IP4_MTU; the old MTU comes back', async () => {
    bed = createScriptBed();
    inClient(bed, 'ip', 'link', 'set', 'dev', bed.clientIf, 'mtu', '1400');
    const before = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    expect(snapshot(bed).tunLink).toMatch(/,UP> mtu 1312$/);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(snapshot(bed)).toEqual(before);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel(), {}, { interfaceMtu: 1300 });
    expect(snapshot(bed).tunLink).toMatch(/ mtu 1300$/);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(snapshot(bed).tunLink).toBe('<POINTOPOINT,MULTICAST,NOARP> mtu 1500');
  });
});

describe('our vpnc-script: disconnect is safe to repeat', () => {
  it('a second disconnect changes nothing, and so does a disconnect without a connect', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(snapshot(bed)).toEqual(before);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel({ splitInclude: SPLIT }));
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ splitInclude: SPLIT }));
    // Someone adds a route the second disconnect must not mistake for ours.
    inClient(bed, 'ip', 'route', 'add', '203.0.113.0/24', 'via', GATEWAY_ADDR);
    const settled = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ splitInclude: SPLIT }));
    expect(snapshot(bed)).toEqual(settled);
    expect(existsSync(join(bed.runDir, 'vpnc', TUNDEV))).toBe(false);
  });

  it('connect after a crash undoes the leftovers first; one disconnect then restores everything', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    const r = await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    expect(r.stderr).toContain('undoing what an earlier connection');
    expect(exact(bed, '0.0.0.0/0')).toEqual([`default dev ${TUNDEV} scope link linkdown`]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(snapshot(bed)).toEqual(before);
  });

  it('disconnect after the tunnel device vanished (the client died) still restores the default route and DNS', async () => {
    bed = createScriptBed();
    const before = snapshot(bed);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    inClient(bed, 'ip', 'tuntap', 'del', 'dev', TUNDEV, 'mode', 'tun');
    expect(exact(bed, '0.0.0.0/0')).toEqual([]);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(mainRoutes(bed)).toEqual(before.routes.filter((r) => !r.includes('table local')));
    expect(readFileSync(bed.resolvConf, 'utf8')).toBe(ORIGINAL_RESOLV);
  });

  it('connect without the tunnel device fails and changes nothing', async () => {
    bed = createScriptBed();
    inClient(bed, 'ip', 'tuntap', 'del', 'dev', TUNDEV, 'mode', 'tun');
    const routes = mainRoutes(bed);
    const r = await runInBed(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    expect(r.exit).toEqual({ kind: 'exited', status: 1 });
    expect(r.stderr).toContain(`no interface ${TUNDEV}`);
    expect(mainRoutes(bed)).toEqual(routes);
    expect(readFileSync(bed.resolvConf, 'utf8')).toBe(ORIGINAL_RESOLV);
    expect(existsSync(join(bed.runDir, 'vpnc', TUNDEV))).toBe(false);
  });
});

describe('our vpnc-script: hooks and the other reasons', () => {
  const log = (name: string): string => `echo "${name} $reason" >> /run/hooks.log\n`;
  const HOOKS = {
    'pre-init.d/10-log': log('pre-init'),
    'connect.d/10-log': log('connect'),
    // Hooks are sourced: they may change what the script does, as users' hooks do.
    'connect.d/20-split': 'CISCO_SPLIT_INC=1\nCISCO_SPLIT_INC_0_ADDR=198.18.0.0\nCISCO_SPLIT_INC_0_MASKLEN=15\n',
    'post-connect.d/10-log': log('post-connect'),
    'attempt-reconnect.d/10-log': log('attempt-reconnect'),
    'post-attempt-reconnect.d/10-log': log('post-attempt-reconnect'),
    'reconnect.d/10-log': log('reconnect'),
    'disconnect.d/10-log': log('disconnect'),
    'post-disconnect.d/10-log': log('post-disconnect'),
  };

  it('runs the hooks of every reason in order, sourced; attempt-reconnect pins the gateway again', async () => {
    bed = createScriptBed({ hooks: HOOKS });
    const before = snapshot(bed);
    const tunnel = sampleTunnel({ splitInclude: SPLIT });
    await mustRun(bed, OUR_SCRIPT, 'pre-init', tunnel);
    await mustRun(bed, OUR_SCRIPT, 'connect', tunnel);
    expect(pathTo(bed, '198.18.1.1')).toBe(`dev ${TUNDEV}`);
    expect(pathTo(bed, '203.0.113.7')).toBe(`via ${GATEWAY_ADDR} dev ${bed.clientIf}`);
    inClient(bed, 'ip', 'route', 'del', `${GATEWAY_ADDR}/32`);
    await mustRun(bed, OUR_SCRIPT, 'attempt-reconnect', tunnel);
    expect(exact(bed, `${GATEWAY_ADDR}/32`)).toEqual([`${GATEWAY_ADDR} dev ${bed.clientIf} scope link src 198.51.100.2`]);
    await mustRun(bed, OUR_SCRIPT, 'reconnect', tunnel);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', tunnel);
    expect(snapshot(bed)).toEqual(before);
    expect(readFileSync(join(bed.runDir, 'hooks.log'), 'utf8').trim().split('\n')).toEqual([
      'pre-init pre-init',
      'connect connect',
      'post-connect connect',
      'attempt-reconnect attempt-reconnect',
      'post-attempt-reconnect attempt-reconnect',
      'reconnect reconnect',
      'disconnect disconnect',
      'post-disconnect disconnect',
    ]);
  });

  it('refuses to run without a reason or with an unknown one', async () => {
    bed = createScriptBed();
    const r = await runInBed(bed, OUR_SCRIPT, 'pre-init', sampleTunnel(), { VPNC_TEST_UNUSED: '1' });
    expect(r.exit).toEqual({ kind: 'exited', status: 0 });
    const bad = inClient(bed, 'sh', '-c', `reason=bogus TUNDEV=${TUNDEV} sh ${OUR_SCRIPT} 2>&1; echo "status=$?"`);
    expect(bad).toContain("unknown reason 'bogus'");
    expect(bad).toContain('status=1');
    const none = inClient(bed, 'sh', '-c', `env -u reason sh ${OUR_SCRIPT} 2>&1; echo "status=$?"`);
    expect(none).toContain('reason is not set');
    expect(none).toContain('status=1');
  });
});
