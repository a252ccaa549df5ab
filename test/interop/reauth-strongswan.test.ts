/**
 * Phase-1 re-authentication against strongSwan: with a short ISAKMP SA lifetime (`IKE lifetime`), a tunnel
 * held for several lifetimes gets a new ISAKMP SA each time (aggressive mode, XAUTH, mode config, quick mode
 * on the new SA, then DELETEs of the old ones) while a steady ping loses nothing and the TUN device stays.
 * Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsRun, requireRoot } from '../helpers/netns.js';
import { startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { nsExec } from '../helpers/traffic.js';
import { startVpnc } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const LIFETIME = 15;

describe('phase-1 re-authentication against strongSwan', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => {
    requireRoot();
    bed = createTestbed({ prefix: 'ra' });
    gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 0 });
  });
  afterAll(async () => {
    await gw?.stop();
    if (bed) destroyTestbed(bed);
  });

  it(`with IKE lifetime ${LIFETIME} s, three re-authentications during a steady ping: nothing lost, same device, old SAs deleted`, async () => {
    const routesBefore = nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']);
    const v = startVpnc({
      netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret,
      user: gw.options.users[0]!.name, password: gw.options.users[0]!.password, command: OURS, debug: 1,
      extraConfig: [`IKE lifetime ${LIFETIME}`],
    });
    try {
      const tun = await v.waitForTunnel(30_000);
      expect(v.output()).toContain(`ISAKMP SA lifetime ${LIFETIME} s`);
      const resolvDuring = readClientResolvConf(bed);
      const routesDuring = nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']);
      const out = await nsExec(bed.client, 'ping', ['-c', '200', '-i', '0.2', '-W', '1', BED.innerHost], 60_000);
      expect(out, v.output()).toMatch(/200 packets transmitted, 200 received, 0% packet loss/);
      const reauths = v.output().match(new RegExp(`phase 1 re-authenticated: ISAKMP SA lifetime ${LIFETIME} s`, 'g')) ?? [];
      expect(reauths.length, v.output()).toBeGreaterThanOrEqual(3);
      // The device is the same one, with the same address, routes and DNS.
      expect(nsRun(bed.client, 'ip', ['-o', '-4', 'addr', 'show', 'dev', tun.device])).toContain(`${tun.address}/`);
      expect(nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all'])).toBe(routesDuring);
      expect(readClientResolvConf(bed)).toBe(resolvDuring);
      expect(v.output()).not.toMatch(/mode config changed|connection terminated|re-authentication failed/);
      // strongSwan saw a new IKE SA each time, and the old one deleted by us.
      const log = gw.log();
      expect((log.match(/IKE_SA cisco\[\d+\] established/g) ?? []).length, log).toBeGreaterThanOrEqual(4);
      expect((log.match(/received DELETE for IKE_SA cisco\[\d+\]/g) ?? []).length).toBeGreaterThanOrEqual(3);
      const sas = gw.listSas();
      expect((sas.match(/^cisco: #\d+/gm) ?? []).length, sas).toBe(1);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all'])).toBe(routesBefore);
  }, 120_000);
});
