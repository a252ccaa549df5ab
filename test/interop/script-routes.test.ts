/**
 * Route scripts in network namespaces, with real `ip` and a real resolv.conf: our scripts/vpnc-script,
 * Debian's /usr/share/vpnc-scripts/vpnc-script and the wrapper example, split and full tunnel. During the
 * connection the routes are the ones asked for; after disconnect the routing table and resolv.conf are what
 * they were before connect. Root only (throws otherwise, never skips).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../src/script/env.js';
import { deleteAllNetns, requireBinaries, requireRoot } from '../helpers/netns.js';
import {
  CLIENT_ADDR,
  DEBIAN_SCRIPT,
  GATEWAY_ADDR,
  ORIGINAL_RESOLV,
  OUR_SCRIPT,
  SPLIT,
  TUNDEV,
  WRAPPER,
  createScriptBed,
  destroyScriptBed,
  mainRoutes,
  mustRun,
  pathTo,
  sampleTunnel,
  snapshot,
  type ScriptBed,
} from './script-bed.js';

requireRoot();
requireBinaries(['ip', DEBIAN_SCRIPT]);

let bed: ScriptBed | undefined;
afterEach(() => {
  destroyScriptBed(bed);
  bed = undefined;
});
afterAll(deleteAllNetns);

interface Variant {
  name: string;
  script: string;
  env: Record<string, string>;
  /** Our script restores the tunnel device's MTU and state; Debian's leaves the MTU it set. */
  restoresLink: boolean;
  /** The wrapper replaces the gateway's split list with its own. */
  wrapper: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'our vpnc-script', script: OUR_SCRIPT, env: {}, restoresLink: true, wrapper: false },
  { name: "Debian's vpnc-script", script: DEBIAN_SCRIPT, env: {}, restoresLink: false, wrapper: false },
  { name: 'the wrapper example over our script', script: WRAPPER, env: { VPNC_SCRIPT_MAIN: OUR_SCRIPT }, restoresLink: true, wrapper: true },
  { name: "the wrapper example over Debian's script", script: WRAPPER, env: { VPNC_SCRIPT_MAIN: DEBIAN_SCRIPT }, restoresLink: false, wrapper: true },
];

const WRAPPER_NETS = ['203.0.113.0/24', '198.18.0.0/15'];

/** Connects, checks `during`, disconnects, checks that all is as before; returns what the connect script printed. */
async function connectDisconnect(v: Variant, tunnel: TunnelConfig, during: (b: ScriptBed) => void, bedOptions: Parameters<typeof createScriptBed>[0] = {}): Promise<string> {
  bed = createScriptBed(bedOptions);
  const before = snapshot(bed);
  const connected = await mustRun(bed, v.script, 'connect', tunnel, v.env);
  during(bed);
  const dns = snapshot(bed).resolvConf;
  expect(dns).toMatch(/^#@VPNC_GENERATED@/);
  expect(dns).toContain('nameserver 192.0.2.53\nnameserver 192.0.2.54\n');
  expect(dns).not.toContain('198.51.100.53');
  await mustRun(bed, v.script, 'disconnect', tunnel, v.env);
  const after = snapshot(bed);
  expect(after.routes).toEqual(before.routes);
  expect(after.resolvConf).toBe(ORIGINAL_RESOLV);
  expect(after.addrs).toEqual(before.addrs);
  if (v.restoresLink) expect(after.tunLink).toBe(before.tunLink);
  return `${connected.stdout}${connected.stderr}`;
}

function expectGatewayPinned(b: ScriptBed): void {
  expect(mainRoutes(b).some((r) => r.startsWith(`${GATEWAY_ADDR} dev ${b.clientIf}`))).toBe(true);
  expect(pathTo(b, GATEWAY_ADDR)).toBe(`dev ${b.clientIf}`);
}

describe.each(VARIANTS)('$name', (v) => {
  it('split tunnel: only the split networks go into the tunnel, and everything is put back', async () => {
    await connectDisconnect(v, sampleTunnel({ splitInclude: SPLIT }), (b) => {
      const routes = mainRoutes(b);
      const nets = v.wrapper ? WRAPPER_NETS : ['203.0.113.0/24', '10.20.0.0/16'];
      for (const net of nets) expect(routes.some((r) => r.startsWith(`${net} dev ${TUNDEV}`))).toBe(true);
      if (v.wrapper) expect(routes.some((r) => r.startsWith('10.20.0.0/16'))).toBe(false);
      expect(routes).toContain(`default via ${GATEWAY_ADDR} dev ${b.clientIf}`);
      expect(pathTo(b, '203.0.113.7')).toBe(`dev ${TUNDEV}`);
      expect(pathTo(b, '8.8.8.8')).toBe(`via ${GATEWAY_ADDR} dev ${b.clientIf}`);
      expectGatewayPinned(b);
      expect(snapshot(b).addrs.some((a) => a.includes(`${TUNDEV}    inet 192.0.2.10/32`))).toBe(true);
    });
  });

  it(v.wrapper ? 'full tunnel pushed by the gateway: the wrapper still splits' : 'full tunnel: the default route goes into the tunnel and the old one comes back', async () => {
    await connectDisconnect(v, sampleTunnel(), (b) => {
      const routes = mainRoutes(b);
      if (v.wrapper) {
        for (const net of WRAPPER_NETS) expect(routes.some((r) => r.startsWith(`${net} dev ${TUNDEV}`))).toBe(true);
        expect(pathTo(b, '8.8.8.8')).toBe(`via ${GATEWAY_ADDR} dev ${b.clientIf}`);
      } else {
        expect(routes.some((r) => r.startsWith(`default dev ${TUNDEV}`))).toBe(true);
        expect(routes.some((r) => r.startsWith(`default via ${GATEWAY_ADDR}`))).toBe(false);
        expect(pathTo(b, '8.8.8.8')).toBe(`dev ${TUNDEV}`);
      }
      expectGatewayPinned(b);
      expect(pathTo(b, CLIENT_ADDR.replace(/\.2$/, '.77'))).toBe(`dev ${b.clientIf}`);
    });
  });
});

describe('our vpnc-script and CISCO_BACKUP_SERVERS', () => {
  it('full tunnel: each backup server gets a host route outside the tunnel (a name is resolved, one that does not resolve is said), removed at disconnect', async () => {
    const v = VARIANTS[0]!;
    const backup = '203.0.113.77';
    const named = '203.0.113.78';
    const tunnel = { ...sampleTunnel(), backupServers: [backup, 'backup2.corp.example', 'no-such-host.invalid'] };
    // Names from the namespace's own hosts file, no DNS (the bed has no resolver to ask).
    const bedOptions = { nsswitch: 'hosts: files\n', hosts: `127.0.0.1 localhost\n${named} backup2.corp.example\n` };
    const output = await connectDisconnect(v, tunnel, (b) => {
      expect(pathTo(b, '8.8.8.8')).toBe(`dev ${TUNDEV}`);
      for (const address of [backup, named]) {
        expect(pathTo(b, address)).toBe(`via ${GATEWAY_ADDR} dev ${b.clientIf}`);
        expect(mainRoutes(b).some((r) => r.startsWith(`${address} via ${GATEWAY_ADDR} dev ${b.clientIf}`))).toBe(true);
      }
      expectGatewayPinned(b);
    }, bedOptions);
    expect(output).toContain('the backup server no-such-host.invalid does not resolve; no route pinned for it');
  });
});
