/**
 * IPv6 through the tunnel against strongSwan: a gateway with an IPv4 and an IPv6 pool and inner networks in
 * both families. Our client asks mode config for IPv6 too, runs a second quick mode with IPv6 IDs, and our
 * vpnc-script gives the device both addresses and routes both families in; ping -6 and a TCP transfer over
 * IPv6 reach the inner host with matching sha256, and everything is as before at the end.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsRun, requireBinaries, requireRoot } from '../helpers/netns.js';
import { CHARON, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { addInnerIpv6, BED, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, tcpTransferBothWays } from '../helpers/traffic.js';
import { envRecordingScript, startVpnc, type TunnelInfo, type VpncRef, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const OUR_SCRIPT = join(ROOT, 'scripts', 'vpnc-script');
const BYTES = 8 << 20;

/** Addresses, routes of both families (all tables), links and resolv.conf: identical before and after. */
function snapshot(bed: Testbed): string {
  return [
    nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']),
    nsRun(bed.client, 'ip', ['-6', 'route', 'show', 'table', 'all']),
    nsRun(bed.client, 'ip', ['-o', 'addr', 'show']).replace(/\d+: /g, '').replace(/valid_lft.*$/gm, ''),
    nsRun(bed.client, 'ip', ['-o', 'link', 'show']).replace(/\d+: /g, ''),
    readClientResolvConf(bed) ?? '',
  ].join('\n---\n');
}

type GatewayOptions = Omit<Parameters<typeof startStrongSwan>[0], 'netns'>;

/** A bed with IPv6 behind the gateway and strongSwan with both pools and both inner networks. */
function withGateway(prefix: string, extra: GatewayOptions = {}, pool6: Partial<NonNullable<GatewayOptions['pool6']>> = {}) {
  const h = { bed: undefined as unknown as Testbed, gw: undefined as unknown as StrongSwanGateway };
  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, 'ip', 'unshare', 'ping', 'sysctl']);
    h.bed = createTestbed({ prefix });
    addInnerIpv6(h.bed);
    h.gw = await startStrongSwan({
      netns: h.bed.gateway,
      localTs: `${BED.innerNet},${BED.innerNet6}`,
      ...extra,
      pool6: { first: BED.pool6First, last: BED.pool6Last, dns: BED.vpnDns6, ...pool6 },
    });
  });
  afterAll(async () => {
    await h.gw?.stop();
    if (h.bed) destroyTestbed(h.bed);
  });
  return h;
}

/** The bed's link-local addresses finish duplicate address detection (their local routes appear then). */
async function settled(bed: Testbed): Promise<void> {
  await expect.poll(() => nsRun(bed.client, 'ip', ['-6', 'addr', 'show', 'tentative']), { timeout: 10_000 }).toBe('');
}

/**
 * Connects our client with our vpnc-script (its environment recorded), runs `body` on the tunnel, stops it, and
 * checks the client's addresses, routes and resolv.conf are as before.
 */
async function connected(bed: Testbed, gw: StrongSwanGateway, body: (tun: TunnelInfo, env: Map<string, string>, v: VpncRef) => Promise<void>): Promise<Map<string, string>> {
  await settled(bed);
  const before = snapshot(bed);
  const script = envRecordingScript(OUR_SCRIPT);
  const v = startVpnc(clientOptions(bed, gw, script.path));
  try {
    const tun = await v.waitForTunnel(30_000);
    await body(tun, script.env('connect'), v);
  } finally {
    await v.stop();
  }
  const disconnectEnv = script.env('disconnect');
  rmSync(script.dir, { recursive: true, force: true });
  expect(snapshot(bed)).toBe(before);
  return disconnectEnv;
}

function clientOptions(bed: Testbed, gw: StrongSwanGateway, script: string, extraConfig: string[] = []): VpncRefOptions {
  const user = gw.options.users[0]!;
  return { netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, script, debug: 1, extraConfig };
}

describe('IPv6 through the tunnel: our client against strongSwan with an IPv6 pool', () => {
  const h = withGateway('v6');

  it(`gets both addresses, ping -6 and ${BYTES >> 20} MiB each way over IPv6 reach the inner host, the script saw the IPv6 variables, clean end`, async () => {
    const { bed, gw } = h;
    let spi6 = '';
    const atDisconnect = await connected(bed, gw, async (tun, env, v) => {
      const address6 = env.get('INTERNAL_IP6_ADDRESS');
      expect(address6, v.output()).toMatch(/^2001:db8:192::/);
      expect(env.get('INTERNAL_IP6_NETMASK')).toBe(`${address6}/128`);
      expect(env.get('INTERNAL_IP6_DNS')).toBe(BED.vpnDns6);
      expect(env.get('INTERNAL_IP4_ADDRESS')).toBe(tun.address);
      // The IPv6 quick mode ran beside the IPv4 one: strongSwan lists a CHILD_SA for our IPv6 address.
      await expect.poll(() => gw.listSas(), { timeout: 10_000 }).toContain(`${address6}/128`);
      const addrs = nsRun(bed.client, 'ip', ['-o', 'addr', 'show', 'dev', tun.device]);
      expect(addrs).toContain(`inet ${tun.address}/32`);
      expect(addrs).toContain(`inet6 ${address6}/128`);
      const routes6 = nsRun(bed.client, 'ip', ['-6', 'route', 'show']);
      expect(routes6).toMatch(new RegExp(`^::/1 dev ${tun.device}`, 'm'));
      expect(routes6).toMatch(new RegExp(`^8000::/1 dev ${tun.device}`, 'm'));
      expect(readClientResolvConf(bed)).toContain(`nameserver ${BED.vpnDns6}`);
      const p = await ping(bed.client, BED.innerHost6, 3);
      expect(p.received, p.output).toBe(3);
      const t = await tcpTransferBothWays(bed.client, bed.inner, BED.innerHost6, BYTES);
      expect(t.upload.received).toEqual(t.upload.sent);
      expect(t.download.received).toEqual(t.download.sent);
      expect(t.upload.sent.bytes).toBe(BYTES);
      // IPv4 still works beside it.
      expect((await ping(bed.client, BED.innerHost, 2)).received).toBe(2);
      spi6 = /IPSEC SA selected IPv6: .*SPI in 0x([0-9a-f]{8}) out/.exec(v.output())?.[1] ?? 'none';
    });
    expect(atDisconnect.get('INTERNAL_IP6_ADDRESS')).toMatch(/^2001:db8:192::/);
    // The IPv6 pair was deleted at the gateway by its own DELETE (strongSwan names the SPI it got), then the rest.
    await expect.poll(() => gw.log(), { timeout: 5000 }).toContain(`received DELETE for ESP CHILD_SA with SPI ${spi6}`);
    await expect.poll(() => gw.listSas(), { timeout: 5000 }).not.toMatch(/inner|cisco/);
  }, 120_000);
});

describe('IPv6 split: the gateway names its IPv6 network (INTERNAL_IP6_SUBNET)', () => {
  const h = withGateway('v6s', {}, { subnet: BED.innerNet6 });

  it('CISCO_IPV6_SPLIT_INC reaches the script, only that network goes into the tunnel, ping -6 passes', async () => {
    const { bed, gw } = h;
    await connected(bed, gw, async (tun, env, v) => {
      expect(env.get('CISCO_IPV6_SPLIT_INC'), v.output()).toBe('1');
      expect(env.get('CISCO_IPV6_SPLIT_INC_0_ADDR')).toBe('2001:db8:203::');
      expect(env.get('CISCO_IPV6_SPLIT_INC_0_MASKLEN')).toBe('64');
      const routes6 = nsRun(bed.client, 'ip', ['-6', 'route', 'show']);
      expect(routes6).toMatch(new RegExp(`^2001:db8:203::/64 dev ${tun.device}`, 'm'));
      expect(routes6).not.toMatch(/^::\/1 /m);
      const p = await ping(bed.client, BED.innerHost6, 3);
      expect(p.received, p.output).toBe(3);
    });
  }, 120_000);
});

describe('IPv6 rekeys: strongSwan ends both pairs after 8 s (it states no lifetime in quick mode), our client renews each', () => {
  const h = withGateway('v6r', { childLifeSeconds: 8 });

  it('the IPv4 and the IPv6 pair are each renegotiated when the gateway deletes it, again and again; a steady ping -6 loses at most a probe each time', async () => {
    const { bed, gw } = h;
    const v = startVpnc(clientOptions(bed, gw, OUR_SCRIPT));
    try {
      await v.waitForTunnel(30_000);
      const p = await ping(bed.client, BED.innerHost6, 100); // 20 s
      const out = v.output();
      // strongSwan ends a pair without replacing it and says nothing of its lifetime beforehand: a probe that
      // leaves in the moment between its DELETE and the new pair is lost (measured: 99 of 100 once in a CI run).
      const rounds = (out.match(/rekeying the IPv6 ESP SAs/g) ?? []).length;
      expect(p.received, `${p.output}\n${out}\n${gw.logTail(80)}`).toBeGreaterThanOrEqual(100 - rounds);
      // Each family at least twice; strongSwan's expiries of the two pairs may come seconds apart (measured under
      // CI load: the IPv4 pair's second DELETE after the ping had ended), so the count is waited for.
      const count = (re: RegExp) => (v.output().match(re) ?? []).length;
      await expect.poll(() => count(/rekeying the IPv6 ESP SAs: the gateway deleted the SA in use/g), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      await expect.poll(() => count(/rekeying the ESP SAs: the gateway deleted the SA in use/g), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      expect(v.output()).not.toContain('IPv6 is not carried');
    } finally {
      await v.stop();
    }
  }, 120_000);
});

describe('IPv6 and phase-1 re-authentication: a new ISAKMP SA every 10 s carries both families on', () => {
  const h = withGateway('v6a', { dpdDelaySeconds: 0 });

  it('each re-authentication renews the IPv6 pair too; a steady ping -6 loses nothing; same IPv6 address', async () => {
    const { bed, gw } = h;
    const v = startVpnc(clientOptions(bed, gw, OUR_SCRIPT, ['IKE lifetime 10']));
    try {
      const tun = await v.waitForTunnel(30_000);
      const p = await ping(bed.client, BED.innerHost6, 120); // 24 s: two re-authentications at 8.5 s each
      const out = v.output();
      expect(p.received, `${p.output}\n${out}`).toBe(120);
      expect((out.match(/phase 1 re-authenticated/g) ?? []).length, out).toBeGreaterThanOrEqual(2);
      const spis6 = [...out.matchAll(/IPSEC SA selected IPv6: .*SPI in 0x([0-9a-f]{8}) out/g)].map((m) => m[1]!);
      expect(spis6.length, out).toBeGreaterThanOrEqual(3);
      expect(out).not.toMatch(/IPv6 is not carried|the gateway's configuration changed/);
      // At the gateway: one IKE SA, and two pairs in use, the current ones (strongSwan keeps the replaced pairs it
      // moved to the new IKE SA listed as REKEYED until they expire, for IPv4 as for IPv6).
      const sas = gw.listSas();
      expect((sas.match(/^cisco: #\d+/gm) ?? []).length, sas).toBe(1);
      expect((sas.match(/^\s+inner: #\d+, reqid \d+, INSTALLED/gm) ?? []).length, sas).toBe(2);
      expect(sas).toContain(`out ${spis6.at(-1)},`);
      expect(nsRun(bed.client, 'ip', ['-o', '-6', 'addr', 'show', 'dev', tun.device])).toMatch(/inet6 2001:db8:192::\S+\/128/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});

