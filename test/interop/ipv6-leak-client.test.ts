/**
 * No IPv6 leak beside a full tunnel, end to end: our client against our gateway in a full tunnel (no split
 * include) that gives no IPv6, with IPv6 on the client's outside link and a host beyond it. During the
 * connection `ping -6` to that host fails (our vpnc-script blocks IPv6 outside the tunnel) while IPv4 goes
 * through the tunnel; after disconnect it works again and the IPv6 routes are as before. Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { nsRun, requireRoot } from '../helpers/netns.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { BED, createTestbed, destroyTestbed, waitForDad, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { startVpnc } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const CLIENT6 = '2001:db8:1::2';
const ROUTER6 = '2001:db8:1::1';
/** An IPv6 host beyond the client's outside link (on the gateway namespace's loopback). */
const OUTSIDE6 = '2001:db8:ffff::1';

describe('full tunnel without IPv6 from the gateway: IPv6 does not leak beside it', () => {
  let bed: Testbed;
  let gateway: Gateway;
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'v6l' });
    nsRun(bed.gateway, 'ip', ['-6', 'addr', 'add', `${ROUTER6}/64`, 'dev', bed.gatewayOutsideIf, 'nodad']);
    nsRun(bed.gateway, 'ip', ['-6', 'addr', 'add', `${OUTSIDE6}/128`, 'dev', 'lo']);
    nsRun(bed.client, 'ip', ['-6', 'addr', 'add', `${CLIENT6}/64`, 'dev', bed.clientIf, 'nodad']);
    nsRun(bed.client, 'ip', ['-6', 'route', 'add', 'default', 'via', ROUTER6]);
    waitForDad([bed.client, bed.gateway]);
    gateway = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`], { name: 'ipv6-leak.conf' });
  });
  afterAll(() => {
    gateway?.close();
    if (bed) destroyTestbed(bed);
  });

  it('ping -6 to a host outside fails during the connection and works again after it', async () => {
    const routes6 = () => nsRun(bed.client, 'ip', ['-6', 'route', 'show', 'table', 'all']);
    expect((await ping(bed.client, OUTSIDE6, 2)).received).toBe(2);
    const before = routes6();
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, script: join(ROOT, 'scripts', 'vpnc-script') });
    try {
      await v.waitForTunnel(20_000);
      expect(v.output()).toContain('IPv6 outside the tunnel is blocked until disconnect');
      const during = await ping(bed.client, OUTSIDE6, 3);
      expect(during.received, during.output).toBe(0);
      const inner = await ping(bed.client, BED.innerHost, 2);
      expect(inner.received, inner.output).toBe(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(routes6()).toBe(before);
    expect((await ping(bed.client, OUTSIDE6, 2)).received).toBe(2);
  });
});
